package dev.kvbench.paired;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.decode.Strategy;
import dev.kvbench.results.PairedComparison;
import dev.kvbench.support.JsonFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The words for a paired comparison of two strategies: per configuration B is faster, slower, or indistinguishable
 * from A within the threshold (a significant ratio beyond it, either way), and the A/A control of the same rounds,
 * whose interval says how noisy the run was: wider than the threshold, and the run is marked noisy with the figure.
 */
public record StrategyVerdicts(Strategy a, double threshold, List<Verdict> verdicts, List<Verdict> controls) {

    /** One configuration: candidate {@code b}'s ratio to A (or A's to itself) with its 95% interval, p, and the word. */
    public record Verdict(String b, String configuration, double ratio, double low, double high, double p, int rounds,
                          String word) {
        /** Half the interval's width, in percent of the ratio: how precisely this run measured. */
        public double halfWidthPercent() {
            return Double.isNaN(low) ? Double.NaN : (high - low) / 2 / ratio * 100;
        }

        public boolean faster() {
            return word.equals("faster");
        }
    }

    /** The verdicts of a paired comparison whose rows carry {@code strategies=A,B}; A against itself is the control. */
    public static StrategyVerdicts of(PairedComparison.Result r, Strategy a) {
        List<Verdict> verdicts = new ArrayList<>();
        List<Verdict> controls = new ArrayList<>();
        for (PairedComparison.Row row : r.rows()) {
            String b = candidate(row.key());
            boolean isControl = b.equals(a.id());
            String word;
            if (row.significant() && Math.abs(row.changePercent()) > r.thresholdPercent()) {
                word = row.changePercent() < 0 ? "faster" : "slower";
            } else {
                word = "indistinguishable within ±" + fmt(r.thresholdPercent()) + "%";
            }
            Verdict v = new Verdict(b, configuration(row.key()), row.paired().ratio(), row.paired().low(), row.paired().high(),
                    row.paired().p(), row.paired().rounds(), word);
            (isControl ? controls : verdicts).add(v);
        }
        return new StrategyVerdicts(a, r.thresholdPercent(), List.copyOf(verdicts), List.copyOf(controls));
    }

    /** B of a key's {@code strategies=A,B} (parameters are separated by ", ", the pair by ","). */
    static String candidate(String key) {
        String rest = key.substring(key.indexOf("strategies=") + "strategies=".length());
        int end = rest.indexOf(", ");
        String pair = (end < 0 ? rest : rest.substring(0, end)).replace("}", "");
        return pair.substring(pair.indexOf(',') + 1);
    }

    /** {@code model=tiny-llama, newTokens=64} from a result key. */
    private static String configuration(String key) {
        int open = key.indexOf('{');
        String params = open < 0 ? key : key.substring(open + 1, key.length() - 1);
        return String.join(", ", java.util.Arrays.stream(params.split(", ")).filter(p -> !p.startsWith("strategies=")).toList());
    }

    /** Whether a candidate was significantly slower than A beyond the threshold in some configuration (exit 1). */
    public boolean slower() {
        return verdicts.stream().anyMatch(v -> v.word().equals("slower"));
    }

    /** Whether some A/A control's interval is wider than the threshold: the run cannot support a verdict at that size. */
    public boolean noisy() {
        return controls.stream().anyMatch(c -> !(c.halfWidthPercent() <= threshold));
    }

    /** The verdict table: per configuration each candidate's word and ratio, then the A/A controls. */
    public String text() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%nVerdict: each strategy against %s, interleaved "
                + "paired rounds (ratio < 1: faster than %s; 95%% intervals)%n", a, a));
        // The configuration column as wide as its longest entry (a dtype makes it long), 34 at least.
        int width = java.util.stream.Stream.concat(verdicts.stream(), controls.stream())
                .mapToInt(v -> v.configuration().length()).max().orElse(0);
        String config = "  %-" + Math.max(34, width) + "s";
        for (Verdict v : verdicts) {
            s.append(String.format(Locale.ROOT, config + " %-12s %-32s %s%n", v.configuration(), v.b(), v.word(), ratio(v)));
        }
        for (Verdict c : controls) {
            s.append(String.format(Locale.ROOT, config + " A/A control (%s against itself): %s, interval ±%s%%%s%n",
                    c.configuration(), a, ratio(c), fmt(c.halfWidthPercent()),
                    c.halfWidthPercent() <= threshold ? "" : "  NOISY: wider than the ±" + fmt(threshold) + "% threshold"));
        }
        if (noisy()) {
            s.append("  this run was noisy: a verdict of 'indistinguishable' here may hide a difference of the control's width\n");
        }
        return s.toString();
    }

    private static String ratio(Verdict v) {
        return Double.isNaN(v.low()) ? String.format(Locale.ROOT, "%.3f", v.ratio())
                : String.format(Locale.ROOT, "%.3f [%.3f, %.3f], p=%.3g, %d rounds", v.ratio(), v.low(), v.high(), v.p(), v.rounds());
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%.1f", v);
    }

    public ObjectNode json(double wallSeconds) {
        ObjectMapper m = JsonFiles.MAPPER;
        ObjectNode root = m.createObjectNode();
        root.put("reference", a.id());
        root.put("threshold_percent", threshold);
        root.put("noisy", noisy());
        root.put("wall_seconds", wallSeconds);
        ArrayNode vs = root.putArray("verdicts");
        verdicts.forEach(v -> put(vs.addObject(), v));
        ArrayNode cs = root.putArray("controls");
        controls.forEach(c -> put(cs.addObject(), c).put("half_width_percent", c.halfWidthPercent()));
        return root;
    }

    private static ObjectNode put(ObjectNode o, Verdict v) {
        o.put("candidate", v.b());
        o.put("configuration", v.configuration());
        o.put("verdict", v.word());
        JsonFiles.putFinite(o, "ratio", v.ratio());
        JsonFiles.putFinite(o, "ratio_ci95_low", v.low());
        JsonFiles.putFinite(o, "ratio_ci95_high", v.high());
        JsonFiles.putFinite(o, "p_value", v.p());
        o.put("rounds", v.rounds());
        return o;
    }
}
