package dev.kvbench.paired;


import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.Statistics;
import dev.kvbench.support.JsonFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Time per output token as serving benchmarks report it (p50 and p95 inter-token latency), taken from the decode
 * steps of the paired generations themselves: the steps every timed generation of a round recorded (the prompt step,
 * time to first token, left out), per strategy and configuration. A quantile pooled over all rounds, with a 95%
 * interval from the spread of the per-round quantiles (Student's t over rounds: each round is a fresh pair of JVMs).
 */
public record TokenLatency(List<Row> rows) {

    /** One strategy at one configuration: decode steps seen, quantiles (ms per step) and their per-round half-widths. */
    public record Row(String configuration, String strategy, int rounds, int steps, double p50, double p50HalfWidth,
                      double p95, double p95HalfWidth, double mean) {
    }

    /**
     * The latency rows of a strategies comparison (entries carrying {@code strategies=A,B}; the base side ran A, the
     * head side B): the reference's steps pooled over every pair it ran in, each candidate's over its own.
     */
    public static TokenLatency of(AbMeasurement.Sides sides) {
        // configuration -> strategy -> per round, the steps
        Map<String, Map<String, Map<Integer, List<Double>>>> by = new TreeMap<>(TokenLatency::byTokens);
        for (Side side : Side.values()) {
            List<List<JmhResult>> rounds = sides.bySide().getOrDefault(side, List.of());
            for (int r = 0; r < rounds.size(); r++) {
                for (JmhResult e : rounds.get(r)) {
                    JmhResult.Metric m = e.metric(GenerationRounds.DECODE_STEP);
                    String pair = e.param("strategies");
                    if (m == null || pair == null || pair.indexOf(',') < 0) {
                        continue;
                    }
                    String strategy = side == Side.BASE ? pair.substring(0, pair.indexOf(',')) : pair.substring(pair.indexOf(',') + 1);
                    List<Double> steps = by.computeIfAbsent(configuration(e), k -> new LinkedHashMap<>())
                            .computeIfAbsent(strategy, k -> new TreeMap<>()).computeIfAbsent(r, k -> new ArrayList<>());
                    for (double v : m.samples()) {
                        steps.add(v);
                    }
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        by.forEach((config, strategies) -> strategies.forEach((strategy, perRound) -> {
            double[] all = perRound.values().stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
            double[] p50s = perRound.values().stream().mapToDouble(v -> quantile(v, 0.50)).toArray();
            double[] p95s = perRound.values().stream().mapToDouble(v -> quantile(v, 0.95)).toArray();
            rows.add(new Row(config, strategy, perRound.size(), all.length, Statistics.quantile(all, 0.50),
                    Statistics.confidenceHalfWidth(p50s, 0.95), Statistics.quantile(all, 0.95),
                    Statistics.confidenceHalfWidth(p95s, 0.95), Statistics.mean(all)));
        }));
        return new TokenLatency(List.copyOf(rows));
    }

    /** The rows of several comparisons (bench runs one per row count). */
    public TokenLatency and(TokenLatency other) {
        List<Row> all = new ArrayList<>(rows);
        all.addAll(other.rows);
        return new TokenLatency(List.copyOf(all));
    }

    private static double quantile(List<Double> v, double q) {
        return Statistics.quantile(v.stream().mapToDouble(Double::doubleValue).toArray(), q);
    }

    /** {@code newTokens=64} or {@code newTokens=64, batchSize=16} (dtype where not fp32, context where assumed): the parameters but model and pair. */
    private static String configuration(JmhResult e) {
        StringBuilder s = new StringBuilder("newTokens=" + e.param("newTokens"));
        if (e.param("batchSize") != null) {
            s.append(", batchSize=").append(e.param("batchSize"));
        }
        if (e.param("dtype") != null) {
            s.append(", dtype=").append(e.param("dtype"));
        }
        if (e.param("context") != null) {
            s.append(", context=").append(e.param("context"));
        }
        return s.toString();
    }

    /** Orders configurations by their numbers (64 before 256), then as text. */
    private static int byTokens(String a, String b) {
        int c = Long.compare(leadingNumber(a), leadingNumber(b));
        return c != 0 ? c : a.compareTo(b);
    }

    private static long leadingNumber(String config) {
        String digits = config.replaceAll("^newTokens=(\\d+).*$", "$1");
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The summary table; empty when no generation recorded its steps (workers on engines without step times). */
    public String text() {
        if (rows.isEmpty()) {
            return "";
        }
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%nTime per output token: the decode steps of the "
                + "paired generations above (prompt step left out: that is time to first token); quantiles pooled over "
                + "rounds, ± the 95%% interval of the per-round quantile%n"));
        // Columns as wide as their longest entry (a dtype and a context make the configuration long; static-gqa-int8).
        int cw = Math.max(28, rows.stream().mapToInt(r -> r.configuration().length()).max().orElse(0));
        int sw = Math.max(14, rows.stream().mapToInt(r -> r.strategy().length()).max().orElse(0));
        String head = "  %-" + cw + "s %-" + sw + "s %7s %8s %18s %18s %9s%n";
        String line = "  %-" + cw + "s %-" + sw + "s %7d %8d %18s %18s %9.3f%n";
        t.append(String.format(Locale.ROOT, head, "configuration", "strategy", "rounds",
                "steps", "p50 ms", "p95 ms", "mean ms"));
        for (Row r : rows) {
            t.append(String.format(Locale.ROOT, line, r.configuration(), r.strategy(),
                    r.rounds(), r.steps(), withInterval(r.p50(), r.p50HalfWidth()), withInterval(r.p95(), r.p95HalfWidth()),
                    r.mean()));
        }
        return t.toString();
    }

    private static String withInterval(double v, double halfWidth) {
        return Double.isFinite(halfWidth) ? String.format(Locale.ROOT, "%.3f ± %.3f", v, halfWidth)
                : String.format(Locale.ROOT, "%.3f (1 round)", v);
    }

    public ArrayNode json() {
        ArrayNode a = JsonFiles.MAPPER.createArrayNode();
        for (Row r : rows) {
            var o = a.addObject().put("configuration", r.configuration()).put("strategy", r.strategy())
                    .put("rounds", r.rounds()).put("steps", r.steps());
            JsonFiles.putFinite(o, "p50_ms", r.p50());
            JsonFiles.putFinite(o, "p50_ci95_half_width_ms", r.p50HalfWidth());
            JsonFiles.putFinite(o, "p95_ms", r.p95());
            JsonFiles.putFinite(o, "p95_ci95_half_width_ms", r.p95HalfWidth());
            JsonFiles.putFinite(o, "mean_ms", r.mean());
        }
        return a;
    }
}
