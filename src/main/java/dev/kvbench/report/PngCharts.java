package dev.kvbench.report;


import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StatisticalBarRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.statistics.DefaultStatisticalCategoryDataset;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * Draws a {@link Chart} with JFreeChart for PNG files: white background, every point with its interval as an error
 * bar ({@link XYErrorRenderer}, {@link StatisticalBarRenderer}), 1-2-5 log axes ({@link OneTwoFiveLogAxis}), the
 * strategy colours and per-file line styles of {@link StrategyStyle}, and the chart's note as a subtitle.
 */
public final class PngCharts {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    public static final int WIDTH = 900;
    public static final int HEIGHT = 560;
    private static final Color GRID = new Color(0xDD, 0xDD, 0xDD);

    private PngCharts() {
    }

    public static JFreeChart draw(Chart chart) {
        JFreeChart drawn = chart.kind() == Chart.Kind.XY ? xy(chart) : category(chart);
        drawn.setBackgroundPaint(Color.WHITE);
        drawn.addSubtitle(new TextTitle(chart.note(), new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        LegendTitle legend = drawn.getLegend();
        if (legend != null) {
            legend.setPosition(RectangleEdge.BOTTOM);
            legend.setBackgroundPaint(Color.WHITE);
        }
        return drawn;
    }

    public static byte[] png(Chart chart) {
        // ImageIO buffers an encoding in a file in java.io.tmpdir by default: on a full disk that failed before any
        // output was written. The PNG is made in memory instead.
        javax.imageio.ImageIO.setUseCache(false);
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ChartUtils.writeChartAsPNG(out, draw(chart), WIDTH, HEIGHT);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JFreeChart xy(Chart chart) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        for (Chart.Series s : chart.series()) {
            YIntervalSeries series = new YIntervalSeries(s.label(), true, true);
            for (Chart.Point p : s.points()) {
                series.add(p.x(), p.y(), p.low(), p.high());
            }
            data.addSeries(series);
        }
        double[] e = chart.extent();
        ValueAxis x;
        if (chart.xNames() != null) {
            SymbolAxis commits = new SymbolAxis(chart.xLabel(), chart.xNames().toArray(String[]::new));
            commits.setGridBandsVisible(false);
            x = commits;
        } else {
            x = chart.xLog() ? new OneTwoFiveLogAxis(chart.xLabel(), e[0], e[1]) : new NumberAxis(chart.xLabel());
        }
        ValueAxis y = chart.yLog() ? new OneTwoFiveLogAxis(chart.yLabel(), e[2], e[3]) : new NumberAxis(chart.yLabel());
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDrawYError(true);
        renderer.setDefaultLinesVisible(true);
        renderer.setDefaultShapesVisible(true);
        renderer.setCapLength(6);
        for (int i = 0; i < chart.series().size(); i++) {
            Chart.Series s = chart.series().get(i);
            renderer.setSeriesPaint(i, StrategyStyle.colour(s.strategy()));
            renderer.setSeriesStroke(i, StrategyStyle.stroke(s.file()));
            renderer.setSeriesShape(i, s.line() ? StrategyStyle.marker(s.file())
                    : new java.awt.geom.Ellipse2D.Double(-7, -7, 14, 14));
            renderer.setSeriesLinesVisible(i, s.line());
        }
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(GRID);
        plot.setRangeGridlinePaint(GRID);
        return new JFreeChart(chart.title(), JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    }

    private static JFreeChart category(Chart chart) {
        DefaultStatisticalCategoryDataset data = new DefaultStatisticalCategoryDataset();
        for (Chart.Series s : chart.series()) {
            for (Chart.Point p : s.points()) {
                data.add(p.y(), (p.high() - p.low()) / 2, s.label(), p.category());
            }
        }
        boolean colourByCategory = chart.series().stream().allMatch(s -> s.strategy().isEmpty());
        StatisticalBarRenderer renderer = new StatisticalBarRenderer() {
            @Override
            public Paint getItemPaint(int row, int column) {
                return colourByCategory ? StrategyStyle.colour(String.valueOf(data.getColumnKey(column)))
                        : StrategyStyle.colour(chart.series().get(row).strategy());
            }
        };
        for (int i = 0; i < chart.series().size(); i++) {
            // The legend's swatches: the side's colour, or grey where bars take their strategy's colour.
            renderer.setSeriesPaint(i, colourByCategory ? Color.LIGHT_GRAY : StrategyStyle.colour(chart.series().get(i).strategy()));
        }
        renderer.setErrorIndicatorPaint(Color.DARK_GRAY);
        renderer.setDrawBarOutline(true);
        renderer.setDefaultOutlinePaint(Color.DARK_GRAY);
        renderer.setShadowVisible(false);
        renderer.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        NumberAxis y = new NumberAxis(chart.yLabel());
        y.setAutoRangeIncludesZero(true);
        CategoryPlot plot = new CategoryPlot(data, new CategoryAxis(chart.xLabel()), y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(GRID);
        return new JFreeChart(chart.title(), JFreeChart.DEFAULT_TITLE_FONT, plot, chart.series().size() > 1 || !colourByCategory);
    }
}
