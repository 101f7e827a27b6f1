package dev.kvbench.results;

import dev.kvbench.cli.CliTestSupport;
import org.jfree.chart.JFreeChart;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportChartsTest {
    static JmhJson results() {
        JmhJson j = new JmhJson();
        for (String s : new String[] {"kv", "no-cache", "static-gqa"}) {
            for (int n : new int[] {16, 64, 256}) {
                double ms = s.equals("no-cache") ? n * n * 0.01 : n * 0.5;
                j.add("GenerationBenchmark.generate", Map.of("strategy", s, "newTokens", "" + n, "model", "m"), ms, 0.05, n, n * 3000.0);
                j.add("StepBenchmark.steps", Map.of("strategy", s, "context", "" + n * 4, "model", "m"), ms / 10, 0.05, n, 1000);
            }
        }
        return j;
    }

    static void assertDrawn(JFreeChart chart) {
        byte[] png = ReportCharts.png(chart);
        try {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            assertEquals(900, img.getWidth());
            long distinct = java.util.stream.IntStream.range(0, 200).map(i -> img.getRGB(100 + i * 3, 280)).distinct().count();
            assertTrue(distinct > 1, "the chart area is blank");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void chartsHaveTheExpectedSeries(@TempDir Path tmp) throws Exception {
        Path f = results().write(tmp.resolve("r.json"));
        List<ReportCharts.Labelled> in = List.of(new ReportCharts.Labelled("r", Summary.rows(JmhResults.read(f))));
        JFreeChart gen = ReportCharts.generationTime(in);
        XYSeriesCollection data = (XYSeriesCollection) gen.getXYPlot().getDataset();
        assertEquals(List.of("kv", "no-cache", "static-gqa"), data.getSeries().stream().map(s -> ((org.jfree.data.xy.XYSeries) s).getKey()).toList());
        assertEquals(3, data.getSeries(0).getItemCount());
        JFreeChart step = ReportCharts.stepLatency(in);
        assertEquals(3, ((XYSeriesCollection) step.getXYPlot().getDataset()).getSeriesCount());
        JFreeChart heap = ReportCharts.heapPerToken(in);
        assertEquals(3, heap.getCategoryPlot().getDataset().getColumnCount());
        assertEquals(3000.0, heap.getCategoryPlot().getDataset().getValue("16 tokens", "kv").doubleValue(), 1e-9);
        for (JFreeChart c : List.of(gen, step, heap)) {
            assertDrawn(c);
        }
    }

    @Test
    void reportCommandWritesPngsAndOneHtmlPage(@TempDir Path tmp) throws Exception {
        Path f = results().write(tmp.resolve("r.json"));
        CliTestSupport.Run r = CliTestSupport.run("report", f.toString(), "--out", tmp.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        for (String png : new String[] {"generation-time.png", "step-latency.png", "heap-per-token.png"}) {
            assertTrue(Files.size(tmp.resolve("out").resolve(png)) > 5000, png);
        }
        String html = Files.readString(tmp.resolve("out/report.html"));
        assertEquals(3, html.split("data:image/png;base64,").length - 1);
        assertTrue(html.contains("GenerationBenchmark on m"));
    }
}
