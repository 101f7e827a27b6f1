package dev.kvbench.report;

import dev.kvbench.cli.CliTestSupport;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's charts from a real result file: series, error bars, axes, colours, and the no-data error. */
class ChartsTest {

    static List<ResultFile> real(Path tmp, String... names) throws Exception {
        return java.util.Arrays.stream(names).map(n -> {
            try {
                return ResultFile.read(ReportFixtures.copy(tmp, n));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }

    @Test
    void everyChartOfARealRunHasItsSeriesAndErrorBars(@TempDir Path tmp) throws Exception {
        List<Chart> charts = Charts.available(real(tmp, "run"));
        assertEquals(Charts.IDS, charts.stream().map(Chart::id).toList());
        Chart verdict = charts.get(0);
        assertEquals(List.of("64 new tokens", "kv = 1"), verdict.series().stream().map(Chart.Series::label).toList());
        assertEquals(List.of("static-gqa", "kv (A/A)"), verdict.xNames());
        assertTrue(verdict.series().get(0).points().stream().allMatch(Chart.Point::hasInterval), "every ratio with its interval");
        Chart perToken = charts.get(1);
        assertEquals(List.of("kv", "no-cache", "static-gqa"), perToken.series().stream().map(Chart.Series::label).toList());
        // Serving: a line per configuration through its loads (1 and 4 clients), x the tokens per second, y the TPOT p95
        // with its interval over the runs.
        Chart serving = charts.stream().filter(c -> c.id().equals("serving")).findFirst().orElseThrow();
        assertEquals(List.of("static-gqa sequential", "static-gqa continuous (8 rows)"),
                serving.series().stream().map(Chart.Series::label).toList());
        for (Chart.Series s : serving.series()) {
            assertEquals(2, s.points().size(), s.label());
            assertTrue(s.points().stream().allMatch(p -> p.x() > 0 && p.y() > 0 && p.hasInterval()), s.label());
            assertEquals("static-gqa", s.strategy());
        }
        assertNotEquals(serving.series().get(0).file(), serving.series().get(1).file(), "a line style per policy");
        for (Chart c : charts) {
            JFreeChart drawn = PngCharts.draw(c);
            assertEquals(Color.WHITE, drawn.getBackgroundPaint(), c.id());
            if (c.kind() == Chart.Kind.XY) {
                XYPlot plot = drawn.getXYPlot();
                assertEquals(Color.WHITE, plot.getBackgroundPaint());
                YIntervalSeriesCollection data = (YIntervalSeriesCollection) plot.getDataset();
                assertEquals(c.series().size(), data.getSeriesCount());
                XYErrorRenderer r = (XYErrorRenderer) plot.getRenderer();
                assertTrue(r.getDrawYError() && !r.getDrawXError(), c.id());
                int bars = 0;
                for (int s = 0; s < data.getSeriesCount(); s++) {
                    for (int i = 0; i < data.getItemCount(s); i++) {
                        assertTrue(data.getStartYValue(s, i) <= data.getYValue(s, i) && data.getYValue(s, i) <= data.getEndYValue(s, i));
                        bars += data.getEndYValue(s, i) > data.getStartYValue(s, i) ? 1 : 0;
                    }
                    // One colour per strategy, the same in every chart.
                    assertEquals(StrategyStyle.colour(c.series().get(s).strategy()), r.getSeriesPaint(s));
                }
                if (c.id().equals("kv-bytes-per-step")) {
                    assertTrue(c.note().contains("the same every step"), c.note()); // deterministic: no spread to draw
                } else {
                    assertTrue(bars >= data.getSeriesCount(), c.id() + ": error bars on " + bars + " points");
                }
                // Times on log axes; the verdict's ratios around 1 on a linear one.
                assertEquals(!c.id().equals("verdict"), plot.getRangeAxis() instanceof LogAxis, c.id());
            }
            assertDrawn(PngCharts.png(c), c.id());
        }
        Chart rss = charts.stream().filter(c -> c.id().equals("peak-rss")).findFirst().orElseThrow();
        assertEquals(Set.of("kv", "kv-copy", "hybrid", "static", "static-gqa"),
                rss.series().get(0).points().stream().map(Chart.Point::category).collect(Collectors.toSet()));
        assertEquals(154608 * 1024 / 1e6, rss.series().get(0).points().get(0).y(), 1e-9);
        Chart hybrid = charts.stream().filter(c -> c.id().equals("hybrid-threshold")).findFirst().orElseThrow();
        assertEquals(List.of(4.0, 10.0, 32.0, 128.0), hybrid.series().stream().filter(s -> s.strategy().equals("hybrid"))
                .findFirst().orElseThrow().points().stream().map(Chart.Point::x).toList());
    }

    @Test
    void twoFilesGetOneColourPerStrategyAndOneLineStylePerFile(@TempDir Path tmp) throws Exception {
        Chart c = Charts.require("ms-per-token", real(tmp, "a", "b"));
        Chart.Series kvA = c.series().stream().filter(s -> s.label().equals("kv (a)")).findFirst().orElseThrow();
        Chart.Series kvB = c.series().stream().filter(s -> s.label().equals("kv (b)")).findFirst().orElseThrow();
        XYErrorRenderer r = (XYErrorRenderer) PngCharts.draw(c).getXYPlot().getRenderer();
        int a = c.series().indexOf(kvA);
        int b = c.series().indexOf(kvB);
        assertEquals(r.getSeriesPaint(a), r.getSeriesPaint(b));
        assertNotEquals(((BasicStroke) r.getSeriesStroke(a)).getDashArray() == null,
                ((BasicStroke) r.getSeriesStroke(b)).getDashArray() == null);
        assertNotEquals(StrategyStyle.colour("kv"), StrategyStyle.colour("no-cache"));
        assertNotEquals(StrategyStyle.colour("no-cache"), new Color(0xF0, 0xE4, 0x42), "no yellow on white");
    }

    @Test
    void logAxesHaveOneTwoFiveTicksAndNeverZoomIntoNoise() {
        assertEquals(List.of(0.5, 1.0, 2.0), OneTwoFiveLogAxis.tickValues(0.3, 3));
        assertEquals(List.of(20.0, 50.0, 100.0, 200.0, 500.0, 1000.0), OneTwoFiveLogAxis.tickValues(13, 1229));
        double[] r = OneTwoFiveLogAxis.range(100, 100.5); // a 0.5% difference
        assertTrue(r[1] / r[0] >= OneTwoFiveLogAxis.MIN_SPAN * 0.999, "range " + r[0] + ".." + r[1]);
        assertTrue(OneTwoFiveLogAxis.tickValues(r[0], r[1]).size() >= 2);
        assertEquals("1,000", OneTwoFiveLogAxis.label(1000));
        assertEquals("0.05", OneTwoFiveLogAxis.label(0.05));
    }

    @Test
    void aChartWithoutDataIsAnErrorNotAnEmptyPicture(@TempDir Path tmp) throws Exception {
        Path stepsOnly = tmp.resolve("steps.json");
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode all = (com.fasterxml.jackson.databind.node.ArrayNode) m.readTree(ReportFixtures.BENCH.toFile());
        com.fasterxml.jackson.databind.node.ArrayNode steps = m.createArrayNode();
        all.forEach(e -> {
            if (e.path("benchmark").asText().contains("StepBenchmark")) {
                steps.add(e);
            }
        });
        m.writeValue(stepsOnly.toFile(), steps);
        CliTestSupport.assertBadInput("chart ms-per-token has no data in steps.json (it needs GenerationBenchmark results)",
                "report", stepsOnly.toString(), "--chart", "ms-per-token", "--out", tmp.resolve("o1").toString());
        CliTestSupport.assertBadInput("chart peak-rss has no data", "report", stepsOnly.toString(), "--chart", "peak-rss",
                "--out", tmp.resolve("o2").toString());
        CliTestSupport.assertBadInput("unknown chart 'speed'", "report", stepsOnly.toString(), "--chart", "speed",
                "--out", tmp.resolve("o3").toString());
        Path other = Files.writeString(tmp.resolve("other.json"), "[]");
        CliTestSupport.assertBadInput("holds no benchmark results", "report", other.toString(), "--out", tmp.resolve("o4").toString());
        assertFalse(Files.exists(tmp.resolve("o1").resolve("ms-per-token.png")));
        // Without --chart, only the charts with data are drawn.
        CliTestSupport.Run r = CliTestSupport.run("report", stepsOnly.toString(), "--out", tmp.resolve("o5").toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(Set.of("step-latency.png", "kv-bytes-per-step.png", "report.html"),
                Files.list(tmp.resolve("o5")).map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    }

    @Test
    void reportNeverOverwrites(@TempDir Path tmp) throws Exception {
        Path f = ReportFixtures.copy(tmp, "r");
        Path out = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(out.resolve("keep.txt"), "x");
        CliTestSupport.assertBadInput("exists and is not an empty folder", "report", f.toString(), "--out", out.toString());
        CliTestSupport.Run first = CliTestSupport.run("report", f.toString());
        CliTestSupport.Run second = CliTestSupport.run("report", f.toString());
        assertEquals(0, first.code(), first.err());
        assertEquals(0, second.code(), second.err());
        assertTrue(Files.isRegularFile(tmp.resolve("report-r").resolve("report.html")));
        assertTrue(Files.isRegularFile(tmp.resolve("report-r-2").resolve("report.html")));
    }

    @Test
    void theAbChartShowsBothSidesWithIntervalsAndTheChange(@TempDir Path tmp) throws Exception {
        java.util.List<java.util.List<dev.kvbench.results.JmhResult>> base = new java.util.ArrayList<>();
        java.util.List<java.util.List<dev.kvbench.results.JmhResult>> head = new java.util.ArrayList<>();
        double[] drift = {1.0, 1.03, 0.98, 1.01};
        for (int i = 0; i < drift.length; i++) {
            base.add(dev.kvbench.results.JmhResults.read(HistoryTest.commit(tmp, "base" + i, "aaaaaaa", "2026-11-01T00:00:00Z", drift[i], 1)));
            head.add(dev.kvbench.results.JmhResults.read(HistoryTest.commit(tmp, "head" + i, "bbbbbbb", "2026-11-02T00:00:00Z", drift[i], 1.2)));
        }
        dev.kvbench.results.PairedComparison.Result r = dev.kvbench.results.PairedComparison.compare(base, head, "primary",
                dev.kvbench.results.Statistics::lowerQuartile, 5, 0.05);
        Chart c = Charts.ab(r, "aaaaaaa", "bbbbbbb");
        assertEquals(List.of("base aaaaaaa", "head bbbbbbb"), c.series().stream().map(Chart.Series::label).toList());
        assertEquals(Set.of("kv newTokens=256", "no-cache newTokens=256", "static-gqa newTokens=256"),
                c.series().get(0).points().stream().map(Chart.Point::category).collect(Collectors.toSet()));
        assertTrue(c.series().stream().allMatch(s -> s.points().stream().allMatch(Chart.Point::hasInterval)), "intervals on both sides");
        assertTrue(c.note().contains("kv newTokens=256: head/base 1.200") && c.note().contains("REGRESSION"), c.note());
        JFreeChart drawn = PngCharts.draw(c);
        org.jfree.data.statistics.DefaultStatisticalCategoryDataset data =
                (org.jfree.data.statistics.DefaultStatisticalCategoryDataset) drawn.getCategoryPlot().getDataset();
        assertEquals(2, data.getRowCount());
        assertTrue(data.getStdDevValue(0, 0).doubleValue() > 0, "error bar on the base side");
        assertDrawn(PngCharts.png(c), "ab");
    }

    static void assertDrawn(byte[] png, String what) {
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(PngCharts.WIDTH, img.getWidth());
            java.util.Set<Integer> colours = new java.util.HashSet<>();
            for (int x = 80; x < img.getWidth() - 20; x += 3) {
                for (int y = 60; y < img.getHeight() - 80; y += 3) {
                    colours.add(img.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 4, what + ": the plot area is blank (" + colours.size() + " colours)");
            assertEquals(Color.WHITE.getRGB(), img.getRGB(2, 2), what + ": white background");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
