package dev.kvbench.report;

import java.util.List;

/**
 * What one chart shows, independent of how it is drawn: the PNG renderer ({@link PngCharts}) and the interactive page
 * ({@link HtmlReport}) draw the same value. Every point carries its interval; a chart never has zero points (the
 * builders throw instead).
 *
 * @param id     file-name stem and HTML element id, e.g. {@code ms-per-token}
 * @param kind   {@link Kind#XY} (numeric x) or {@link Kind#CATEGORY} (one group per {@link Point#category()})
 * @param xLog   whether the x axis is logarithmic (XY charts)
 * @param yLog   whether the y axis is logarithmic
 * @param note   one line under the title: what the interval is, what was left out
 * @param xNames names of the x positions 0, 1, 2 … (commits in a history), or null for a numeric x axis
 */
public record Chart(String id, String title, Kind kind, String xLabel, String yLabel, String unit, boolean xLog,
                    boolean yLog, List<Series> series, String note, List<String> xNames) {

    public enum Kind { XY, CATEGORY }

    /**
     * One line (XY) or one bar group member (CATEGORY).
     *
     * @param strategy the strategy whose colour it takes ({@link StrategyStyle}); the side's name for A/B charts
     * @param file     index of the result file it came from: its line style and marker
     * @param line     whether its points are joined (false: markers only, e.g. change points)
     */
    public record Series(String label, String strategy, int file, List<Point> points, boolean line) {
        public Series(String label, String strategy, int file, List<Point> points) {
            this(label, strategy, file, points, true);
        }
    }

    /** A value with its interval {@code [low, high]} (equal to the value where there is none) and where it sits. */
    public record Point(double x, String category, double y, double low, double high) {
        public boolean hasInterval() {
            return high > low;
        }
    }

    /** {lowest x, highest x, lowest interval end, highest interval end} over every point. */
    public double[] extent() {
        double[] e = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (Series s : series) {
            for (Point p : s.points()) {
                e[0] = Math.min(e[0], p.x());
                e[1] = Math.max(e[1], p.x());
                e[2] = Math.min(e[2], p.low());
                e[3] = Math.max(e[3], p.high());
            }
        }
        return e;
    }

    public int pointCount() {
        return series.stream().mapToInt(s -> s.points().size()).sum();
    }
}
