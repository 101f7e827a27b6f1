package dev.kvbench.report;


import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

/**
 * A base-10 log axis with ticks at 1, 2 and 5 times the powers of ten, labelled as plain numbers (JFreeChart's own
 * ticks sit only at whole powers, so a chart spanning less than a decade showed no value at all). Its range comes
 * from the data with a margin and spans at least a factor of {@value #MIN_SPAN}, so a 0.5% difference is not drawn
 * from top to bottom.
 */
final class OneTwoFiveLogAxis extends LogAxis {
    static final double MIN_SPAN = 6;

    OneTwoFiveLogAxis(String label, double dataLow, double dataHigh) {
        super(label);
        setBase(10);
        setSmallestValue(1e-12);
        setMinorTickMarksVisible(false);
        double[] r = range(dataLow, dataHigh);
        setRange(r[0], r[1]);
    }

    /** The drawn range: the data with 20% margins, widened about its geometric centre to at least {@link #MIN_SPAN}. */
    static double[] range(double low, double high) {
        double lo = low / 1.2;
        double hi = high * 1.2;
        if (hi / lo < MIN_SPAN) {
            double centre = Math.sqrt(lo * hi);
            lo = centre / Math.sqrt(MIN_SPAN);
            hi = centre * Math.sqrt(MIN_SPAN);
        }
        return new double[] {lo, hi};
    }

    /** 1-2-5 values within [lower, upper]; only the powers of ten when that would be more than 15 ticks. */
    static List<Double> tickValues(double lower, double upper) {
        List<Double> ticks = new ArrayList<>();
        for (int[] mantissas : new int[][] {{1, 2, 5}, {1}}) {
            ticks.clear();
            for (int e = (int) Math.floor(Math.log10(lower)); e <= (int) Math.ceil(Math.log10(upper)); e++) {
                for (int m : mantissas) {
                    double v = Double.parseDouble(m + "e" + e);
                    if (v >= lower * (1 - 1e-9) && v <= upper * (1 + 1e-9)) {
                        ticks.add(v);
                    }
                }
            }
            if (ticks.size() <= 15) {
                break;
            }
        }
        return ticks;
    }

    static String label(double v) {
        DecimalFormatSymbols symbols = DecimalFormatSymbols.getInstance(Locale.ROOT);
        if (v >= 1e7 || v < 1e-4) {
            return new DecimalFormat("0.#E0", symbols).format(v);
        }
        return new DecimalFormat("#,##0.####", symbols).format(v);
    }

    @Override
    protected List refreshTicksHorizontal(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
        return ticks(TextAnchor.TOP_CENTER);
    }

    @Override
    protected List refreshTicksVertical(Graphics2D g2, Rectangle2D dataArea, RectangleEdge edge) {
        return ticks(TextAnchor.CENTER_RIGHT);
    }

    private List<NumberTick> ticks(TextAnchor anchor) {
        List<NumberTick> ticks = new ArrayList<>();
        for (double v : tickValues(getLowerBound(), getUpperBound())) {
            ticks.add(new NumberTick(TickType.MAJOR, v, label(v), anchor, TextAnchor.CENTER, 0.0));
        }
        return ticks;
    }
}
