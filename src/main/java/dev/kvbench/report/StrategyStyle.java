package dev.kvbench.report;


import dev.kvbench.decode.Strategy;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.util.List;
import java.util.Map;

/**
 * One colour per strategy, the same in every chart and on the HTML page, and one line style and marker per result
 * file. Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), with black in
 * place of its yellow, which cannot be read on white.
 */
public final class StrategyStyle {
    /**
     * Strategy colours in the enum's declaration order (no-cache vermillion, kv blue, kv-alloc sky blue, kv-copy
     * reddish purple, hybrid orange, static bluish green, static-gqa black), then Paul Tol's wine, teal and olive
     * for strategies added later: a new strategy gets a colour of its own without being named here.
     */
    private static final List<String> PALETTE = List.of("#D55E00", "#0072B2", "#56B4E9", "#CC79A7", "#E69F00", "#009E73",
            "#000000", "#882255", "#44AA99", "#999933");
    private static final Map<String, String> COLOURS = colours();
    private static final String OTHER = "#7F7F7F";
    /** Dash patterns per result file, as on the HTML page (Chart.js borderDash). */
    private static final float[][] DASHES = {{}, {8f, 4f}, {2f, 3f}, {10f, 3f, 2f, 3f}};

    private StrategyStyle() {
    }

    private static Map<String, String> colours() {
        Map<String, String> c = new java.util.LinkedHashMap<>();
        Strategy[] all = Strategy.values();
        for (int i = 0; i < all.length; i++) {
            c.put(all[i].id(), PALETTE.get(i % PALETTE.size()));
        }
        c.put("base", "#999999");   // A/B: the reference side in grey
        c.put("head", "#0072B2");   // A/B: the candidate in blue
        c.put("change", "#E41A1C"); // history: significant changes, markers only
        return Map.copyOf(c);
    }

    /** The strategy a label names: {@code "hybrid-10"} and {@code "kv [public]"} take their strategy's colour. */
    static String strategyOf(String label) {
        String s = label.contains(" [") ? label.substring(0, label.indexOf(" [")) : label;
        if (COLOURS.containsKey(s)) {
            return s;
        }
        int dash = s.lastIndexOf('-');
        return dash > 0 && s.substring(dash + 1).chars().allMatch(Character::isDigit) ? s.substring(0, dash) : s;
    }

    /** Every named colour, strategy → {@code #RRGGBB}. */
    public static Map<String, String> palette() {
        return new java.util.TreeMap<>(COLOURS);
    }

    /** {@code #RRGGBB}. */
    public static String hex(String strategy) {
        return COLOURS.getOrDefault(strategyOf(strategy), OTHER);
    }

    public static Color colour(String strategy) {
        return Color.decode(hex(strategy));
    }

    public static float[] dash(int file) {
        return DASHES[file % DASHES.length];
    }

    public static Stroke stroke(int file) {
        float[] d = dash(file);
        return d.length == 0 ? new BasicStroke(2f) : new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, d, 0f);
    }

    /** Marker per result file: circle, square, triangle, diamond (Chart.js pointStyle names on the page). */
    public static String markerName(int file) {
        return new String[] {"circle", "rect", "triangle", "rectRot"}[file % 4];
    }

    public static Shape marker(int file) {
        double r = 4;
        return switch (file % 4) {
            case 0 -> new Ellipse2D.Double(-r, -r, 2 * r, 2 * r);
            case 1 -> new Rectangle2D.Double(-r, -r, 2 * r, 2 * r);
            case 2 -> polygon(new double[] {0, r, -r}, new double[] {-r, r, r});
            default -> polygon(new double[] {0, r, 0, -r}, new double[] {-r, 0, r, 0});
        };
    }

    private static Shape polygon(double[] xs, double[] ys) {
        Path2D.Double p = new Path2D.Double();
        p.moveTo(xs[0], ys[0]);
        for (int i = 1; i < xs.length; i++) {
            p.lineTo(xs[i], ys[i]);
        }
        p.closePath();
        return p;
    }
}
