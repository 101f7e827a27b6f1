package dev.kvbench.results;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The charts of {@code kvbench report}, drawn by JFreeChart from result rows ({@link Summary#rows}): total generation
 * time vs new tokens (log-log), per-step latency vs context, and Java heap bytes per token.
 */
public final class ReportCharts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private ReportCharts() {
    }

    /** Rows of one result file, labelled (the label is appended to series names when several files are charted). */
    public record Labelled(String label, List<Summary.Row> rows) {
    }

    public static JFreeChart generationTime(List<Labelled> inputs) {
        return logLog("Generation time vs new tokens", "new tokens", "ms per generation",
                series(inputs, "GenerationBenchmark", Summary.Row::msPerOp));
    }

    public static JFreeChart stepLatency(List<Labelled> inputs) {
        return logLog("Per-step latency vs context", "context (tokens)", "ms per decode step",
                series(inputs, "StepBenchmark", Summary.Row::msPerToken));
    }

    public static JFreeChart heapPerToken(List<Labelled> inputs) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (Labelled in : inputs) {
            for (Summary.Row r : in.rows()) {
                if (r.benchmark().equals("GenerationBenchmark") && !Double.isNaN(r.heapBytesPerToken())) {
                    data.addValue(r.heapBytesPerToken(), r.length() + " tokens" + suffix(inputs, in), r.strategy());
                }
            }
        }
        JFreeChart chart = ChartFactory.createBarChart("Java heap bytes allocated per generated token", "strategy",
                "bytes / token (log)", data, PlotOrientation.VERTICAL, true, false, false);
        chart.getCategoryPlot().setRangeAxis(logAxis("bytes / token (log)", 10, 100));
        return chart;
    }

    private static XYSeriesCollection series(List<Labelled> inputs, String benchmark,
                                             java.util.function.ToDoubleFunction<Summary.Row> y) {
        Map<String, XYSeries> byStrategy = new java.util.TreeMap<>();
        for (Labelled in : inputs) {
            for (Summary.Row r : in.rows()) {
                if (r.benchmark().equals(benchmark)) {
                    byStrategy.computeIfAbsent(r.strategy() + suffix(inputs, in), XYSeries::new).add(r.length(), y.applyAsDouble(r));
                }
            }
        }
        XYSeriesCollection data = new XYSeriesCollection();
        byStrategy.values().forEach(data::addSeries);
        return data;
    }

    private static String suffix(List<Labelled> inputs, Labelled in) {
        return inputs.size() > 1 ? " (" + in.label() + ")" : "";
    }

    private static JFreeChart logLog(String title, String x, String y, XYSeriesCollection data) {
        JFreeChart chart = ChartFactory.createXYLineChart(title, x, y, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setDomainAxis(logAxis(x, 2, 1));
        plot.setRangeAxis(logAxis(y, 10, 1e-4));
        plot.setRenderer(new XYLineAndShapeRenderer(true, true));
        return chart;
    }

    /** A log axis with ticks at whole powers of {@code base}, labelled as plain numbers. */
    private static LogAxis logAxis(String label, double base, double smallest) {
        LogAxis axis = new LogAxis(label);
        axis.setBase(base);
        axis.setSmallestValue(smallest);
        axis.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
        axis.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.###"));
        return axis;
    }

    public static byte[] png(JFreeChart chart) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ChartUtils.writeChartAsPNG(out, chart, 900, 560);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
