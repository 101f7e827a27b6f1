package dev.kvbench.results;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The readable summary of a benchmark run: per benchmark, strategy x length with ms/token, speedup over
 * {@code no-cache}, heap bytes per token, engine overhead (share of step time outside {@code OrtSession.run})
 * and KV bytes copied per token.
 */
public final class Summary {
    private Summary() {
    }

    /**
     * One row: a measurement reduced to per-token figures. {@code errorMs} is JMH's 99.9% confidence half-width of
     * {@code msPerOp} (NaN with a single sample); {@code tokensPerOp} divides op figures into token figures;
     * {@code result} is the measurement it came from, for its other metrics.
     */
    public record Row(String benchmark, String model, String strategy, int length, double msPerOp, double errorMs,
                      double msPerToken, double heapBytesPerToken, double overheadShare, double kvBytesPerToken,
                      int tokensPerOp, JmhResult result) {
    }

    public static List<Row> rows(List<JmhResult> results) {
        List<Row> rows = new ArrayList<>();
        for (JmhResult r : results) {
            String bench = r.shortName().split("\\.")[0];
            int tokensPerOp;
            int length;
            String strategy;
            switch (bench) {
                case BenchmarkContract.GENERATION -> {
                    length = r.intParam("newTokens", 1);
                    tokensPerOp = length;
                    strategy = r.param("strategy");
                }
                case BenchmarkContract.STEP -> {
                    length = r.intParam("context", 1);
                    tokensPerOp = BenchmarkContract.STEP_BENCHMARK_STEPS;
                    strategy = r.param("strategy");
                }
                case BenchmarkContract.HYBRID_THRESHOLD -> {
                    length = r.intParam("newTokens", 1);
                    tokensPerOp = length;
                    strategy = r.param("variant");
                }
                default -> {
                    continue;
                }
            }
            double ms = toMillis(r.primary().score(), r.primary().unit());
            double err = toMillis(r.primary().error(), r.primary().unit());
            JmhResult.Metric run = r.metric("runNanos");
            JmhResult.Metric step = r.metric("stepNanos");
            JmhResult.Metric tokens = r.metric("tokens");
            JmhResult.Metric stepHeap = r.metric("heapBytes");
            double heap = stepHeap != null && tokens != null && tokens.score() > 0
                    ? stepHeap.score() / tokens.score()
                    : Optional.ofNullable(r.metric("gc.alloc.rate.norm")).map(m -> m.score() / tokensPerOp).orElse(Double.NaN);
            JmhResult.Metric kv = r.metric("kvBytes");
            double overhead = run != null && step != null && step.score() > 0 ? 1 - run.score() / step.score() : Double.NaN;
            double kvPerToken = kv != null && tokens != null && tokens.score() > 0 ? kv.score() / tokens.score() : Double.NaN;
            rows.add(new Row(bench, JmhResult.modelName(r.param("model")), strategy + callSuffix(r.param("ortCall")), length, ms, err, ms / tokensPerOp, heap, overhead, kvPerToken, tokensPerOp, r));
        }
        return rows;
    }

    /** Rows measured with the public {@code OrtSession.run} are told apart from the default direct call. */
    static String callSuffix(String ortCall) {
        return ortCall == null || ortCall.equals("direct") ? "" : " [" + ortCall + "]";
    }

    /** The suffix of a row label, "" for the default call. */
    private static String suffixOf(String label) {
        int i = label.indexOf(" [");
        return i < 0 ? "" : label.substring(i);
    }

    static double toMillis(double value, String unit) {
        return switch (unit) {
            case "s/op" -> value * 1e3;
            case "us/op" -> value / 1e3;
            case "ns/op" -> value / 1e6;
            default -> value;
        };
    }

    /** Plain-text tables, one per benchmark and model. */
    public static String render(List<JmhResult> results) {
        List<Row> rows = rows(results);
        StringBuilder out = new StringBuilder();
        Map<String, List<Row>> groups = rows.stream().collect(Collectors.groupingBy(r -> r.benchmark() + " on " + r.model(),
                java.util.TreeMap::new, Collectors.toList()));
        for (var group : groups.entrySet()) {
            List<Row> g = new ArrayList<>(group.getValue());
            g.sort(Comparator.comparing(Row::strategy).thenComparingInt(Row::length));
            boolean step = group.getKey().startsWith("StepBenchmark");
            out.append("\n").append(group.getKey()).append(step ? "  (per decode step at the given context)" : "").append('\n');
            out.append(String.format(Locale.ROOT, "%-21s %8s %14s %12s %10s %14s %9s %14s%n", "strategy",
                    step ? "context" : "tokens", step ? "ms/8 steps" : "ms/op", step ? "ms/step" : "ms/token",
                    "vs no-cache", "heap B/token", "outside", "KV B/token"));
            for (Row r : g) {
                Row base = g.stream().filter(b -> b.strategy().equals("no-cache" + suffixOf(r.strategy())) && b.length() == r.length()).findFirst().orElse(null);
                String speedup = base == null ? "-" : String.format(Locale.ROOT, "%.1fx", base.msPerOp() / r.msPerOp());
                out.append(String.format(Locale.ROOT, "%-21s %8d %14s %12.4f %10s %14s %9s %14s%n", r.strategy(), r.length(),
                        Double.isNaN(r.errorMs()) ? String.format(Locale.ROOT, "%.3f ± n/a", r.msPerOp())
                                : String.format(Locale.ROOT, "%.3f ± %.3f", r.msPerOp(), r.errorMs()),
                        r.msPerToken(), speedup, fmt(r.heapBytesPerToken(), "%.0f"),
                        Double.isNaN(r.overheadShare()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.overheadShare()),
                        fmt(r.kvBytesPerToken(), "%.0f")));
            }
        }
        return out.toString();
    }

    private static String fmt(double v, String format) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }
}
