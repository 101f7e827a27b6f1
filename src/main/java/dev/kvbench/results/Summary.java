package dev.kvbench.results;

import dev.kvbench.decode.Strategy;
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
    /** The strategy every "vs" column divides by: the baseline role's. */
    private static final String BASELINE = StrategyRoles.baseline().id();

    private Summary() {
    }

    /**
     * One row: a measurement reduced to per-token figures. {@code errorMs} is JMH's 99.9% confidence half-width of
     * {@code msPerOp} (NaN with a single sample); {@code tokensPerOp} (tokens of every row of a batch) divides op figures
     * into token figures; {@code result} is the measurement it came from, for its other metrics; {@code batch} the rows
     * decoded together.
     */
    public record Row(String benchmark, String model, String strategy, int length, double msPerOp, double errorMs,
                      double msPerToken, double heapBytesPerToken, double overheadShare, double kvBytesPerToken,
                      int tokensPerOp, JmhResult result, int batch) {

        /** Tokens per second over all rows of a batch: tokens per op (all rows) / time per op. */
        public double aggregateTokensPerSecond() {
            return tokensPerOp / (msPerOp / 1e3);
        }
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
                case BenchmarkContract.SCORE -> {
                    length = r.intParam("texts", 1);
                    tokensPerOp = 1;
                    strategy = r.param("strategy") + " " + r.param("pass");
                }
                case BenchmarkContract.PREFILL -> {
                    length = r.intParam("promptTokens", 1);
                    tokensPerOp = 1;
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
            int batch = bench.equals(BenchmarkContract.SCORE) ? 1 : r.intParam("batchSize", 1);
            int perOp = tokensPerOp * batch; // tokens generated per operation, all rows
            double ms = toMillis(r.primary().score(), r.primary().unit());
            double err = toMillis(r.primary().error(), r.primary().unit());
            JmhResult.Metric run = r.metric("runNanos");
            JmhResult.Metric step = r.metric("stepNanos");
            JmhResult.Metric tokens = r.metric("tokens");
            JmhResult.Metric stepHeap = r.metric("heapBytes");
            double heap = stepHeap != null && tokens != null && tokens.score() > 0
                    ? stepHeap.score() / tokens.score()
                    : Optional.ofNullable(r.metric("gc.alloc.rate.norm")).map(m -> m.score() / perOp).orElse(Double.NaN);
            JmhResult.Metric kv = r.metric("kvBytes");
            double overhead = run != null && step != null && step.score() > 0 ? 1 - run.score() / step.score() : Double.NaN;
            double kvPerToken = kv != null && tokens != null && tokens.score() > 0 ? kv.score() / tokens.score() : Double.NaN;
            rows.add(new Row(bench, JmhResult.modelName(r.param("model")), strategy + dtypeSuffix(r.param("dtype"))
                    + callSuffix(r.param("ortCall")) + batchSuffix(batch), length, ms, err, ms / perOp, heap, overhead, kvPerToken, perOp, r, batch));
        }
        return rows;
    }

    /** Rows of a dtype other than fp32 are told apart from the export's: {@code kv [q4]}. */
    public static String dtypeSuffix(String dtype) {
        return dtype == null || dtype.equals("fp32") ? "" : " [" + dtype + "]";
    }

    /** Rows measured with the public {@code OrtSession.run} are told apart from the default direct call. */
    static String callSuffix(String ortCall) {
        return ortCall == null || ortCall.equals("direct") ? "" : " [" + ortCall + "]";
    }

    /** Rows decoded together are told apart from single-sequence runs: {@code kv [batch 16]}. */
    static String batchSuffix(int batch) {
        return batch == 1 ? "" : " [batch " + batch + "]";
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

    /** Plain-text tables, one per benchmark and model (single sequences), then batches and re-ranking. */
    public static String render(List<JmhResult> results) {
        List<Row> all = rows(results);
        List<Row> rows = all.stream().filter(r -> r.batch() == 1 && !r.benchmark().equals(BenchmarkContract.SCORE)
                && !r.benchmark().equals(BenchmarkContract.PREFILL)).toList();
        StringBuilder out = new StringBuilder();
        Map<String, List<Row>> groups = rows.stream().collect(Collectors.groupingBy(r -> r.benchmark() + " on " + r.model(),
                java.util.TreeMap::new, Collectors.toList()));
        for (var group : groups.entrySet()) {
            List<Row> g = new ArrayList<>(group.getValue());
            g.sort(Comparator.comparing(Row::strategy).thenComparingInt(Row::length));
            boolean step = group.getKey().startsWith("StepBenchmark");
            out.append("\n").append(group.getKey()).append(step ? "  (per decode step at the given context)" : "").append('\n');
            out.append(String.format(Locale.ROOT, "%-21s %8s %14s %12s %14s %14s %9s %14s%n", "strategy",
                    step ? "context" : "tokens", step ? "ms/8 steps" : "ms/op", step ? "ms/step" : "ms/token",
                    "vs no-cache", "heap B/token", "outside", "KV B/token"));
            for (Row r : g) {
                Row base = g.stream().filter(b -> b.strategy().equals(BASELINE + suffixOf(r.strategy())) && b.length() == r.length()).findFirst().orElse(null);
                String speedup = base == null ? "-" : base == r ? "1x" : ratio(base.msPerOp(), base.errorMs(), r.msPerOp(), r.errorMs(), 1);
                out.append(String.format(Locale.ROOT, "%-21s %8d %14s %12.4f %14s %14s %9s %14s%n", r.strategy(), r.length(),
                        msPerOp(r, 3),
                        r.msPerToken(), speedup, fmt(r.heapBytesPerToken(), "%.0f"),
                        Double.isNaN(r.overheadShare()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r.overheadShare()),
                        fmt(r.kvBytesPerToken(), "%.0f")));
            }
        }
        out.append(prefill(all));
        out.append(batches(all));
        out.append(scores(all));
        out.append(SharedPromptTable.render(results));
        out.append(ServingTable.render(results));
        return out.toString();
    }

    /** Time to first token: PrefillBenchmark per strategy and prompt length, against the reference strategy. */
    static String prefill(List<Row> all) {
        List<Row> p = all.stream().filter(r -> r.benchmark().equals(BenchmarkContract.PREFILL)).toList();
        if (p.isEmpty()) {
            return "";
        }
        String ref = StrategyRoles.reference().id();
        StringBuilder out = new StringBuilder();
        Map<String, List<Row>> byModel = p.stream().collect(Collectors.groupingBy(Row::model, java.util.TreeMap::new, Collectors.toList()));
        for (var e : byModel.entrySet()) {
            out.append("\nTime to first token on ").append(e.getKey())
                    .append(": PrefillBenchmark, the prompt in one step and the first token chosen\n");
            out.append(String.format(Locale.ROOT, "%-21s %8s %18s %14s%n", "strategy", "prompt", "ms to first token", "vs " + ref));
            List<Row> g = new ArrayList<>(e.getValue());
            g.sort(Comparator.comparing(Row::strategy).thenComparingInt(Row::length));
            for (Row r : g) {
                Row base = g.stream().filter(b -> b.strategy().equals(ref + suffixOf(r.strategy())) && b.length() == r.length())
                        .findFirst().orElse(null);
                String vs = base == null ? "-" : base == r ? "1x" : ratio(r.msPerOp(), r.errorMs(), base.msPerOp(), base.errorMs(), 2);
                out.append(String.format(Locale.ROOT, "%-21s %8d %18s %14s%n", r.strategy(), r.length(), msPerOp(r, 3), vs));
            }
        }
        return out.toString();
    }

    /**
     * {@code a / b} with its interval, from the two means' JMH errors (relative errors added in quadrature, a
     * first-order approximation): {@code 19.9x ±11%}. Where either side has no error (a single iteration), or the
     * interval reaches 1, the ratio cannot be read as a difference: {@code undecided}.
     */
    static String ratio(double a, double errorA, double b, double errorB, int decimals) {
        double r = a / b;
        double rel = Math.sqrt(Math.pow(errorA / a, 2) + Math.pow(errorB / b, 2));
        if (!Double.isFinite(rel) || !Double.isFinite(r)) {
            return "undecided";
        }
        if (r * (1 - rel) <= 1 && r * (1 + rel) >= 1) {
            return String.format(Locale.ROOT, "~1 (±%.0f%%)", 100 * rel);
        }
        return String.format(Locale.ROOT, "%." + decimals + "fx ±%.0f%%", r, 100 * rel);
    }

    /** A metric's share of another, from the counters JMH summed per iteration; NaN when absent. */
    private static double ratio(Row r, String numerator, String denominator) {
        JmhResult.Metric n = r.result().metric(numerator);
        JmhResult.Metric d = r.result().metric(denominator);
        return n != null && d != null && d.score() > 0 ? n.score() / d.score() : Double.NaN;
    }

    /**
     * Batched decoding: per strategy and batch size, the time per step of all rows, the aggregate tokens per second and
     * its multiple of batch 1's, and the share of computed positions that were padding; then the targets.
     */
    static String batches(List<Row> all) {
        List<Row> batched = all.stream().filter(r -> r.batch() > 1).toList();
        if (batched.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        Map<String, List<Row>> groups = all.stream().filter(r -> r.benchmark().equals(BenchmarkContract.GENERATION)
                        || r.benchmark().equals(BenchmarkContract.STEP))
                .collect(Collectors.groupingBy(r -> r.benchmark() + " on " + r.model(), java.util.TreeMap::new, Collectors.toList()));
        for (var group : groups.entrySet()) {
            List<Row> g = group.getValue();
            List<Row> shown = g.stream().filter(r -> g.stream().anyMatch(b -> b.batch() > 1 && base(b).equals(base(r))
                    && b.length() == r.length())).sorted(Comparator.comparing(Summary::base).thenComparingInt(Row::length)
                    .thenComparingInt(Row::batch)).toList();
            if (shown.stream().noneMatch(r -> r.batch() > 1)) {
                continue;
            }
            boolean step = group.getKey().startsWith(BenchmarkContract.STEP);
            out.append("\nBatches: ").append(group.getKey()).append(step
                    ? "  (8 steps of every row at the given context; prompts of up to 4 lengths)"
                    : "  (rows with prompts of 5 to 8 tokens; aggregate = rows x tokens / time)").append('\n');
            out.append(String.format(Locale.ROOT, "%-14s %6s %8s %18s %10s %12s %14s %9s%n", "strategy", "batch",
                    step ? "context" : "tokens", step ? "ms/8 steps" : "ms/op", "ms/step", "agg tok/s", "x batch 1", "padding"));
            for (Row r : shown) {
                Row one = g.stream().filter(b -> b.batch() == 1 && base(b).equals(base(r)) && b.length() == r.length())
                        .findFirst().orElse(null);
                int steps = r.tokensPerOp() / r.batch();
                out.append(String.format(Locale.ROOT, "%-14s %6d %8d %18s %10.3f %12.0f %14s %9s%n", base(r), r.batch(),
                        r.length(), msPerOp(r, 3),
                        r.msPerOp() / steps, r.aggregateTokensPerSecond(),
                        one == null ? "-" : r == one ? "1x" : ratio(r.aggregateTokensPerSecond(), r.aggregateTokensPerSecond()
                                * r.errorMs() / r.msPerOp(), one.aggregateTokensPerSecond(), one.aggregateTokensPerSecond()
                                * one.errorMs() / one.msPerOp(), 2),
                        fmt(100 * ratio(r, "paddingPositions", "computedPositions"), "%.1f%%")));
            }
            if (!step) {
                out.append(targets(g));
            }
        }
        return out.toString();
    }

    /** The batch goals the project measures itself against (batch 16, 256 new tokens), from one model's generation rows. */
    private static String targets(List<Row> g) {
        String kv = StrategyRoles.reference().id();
        Row kv1 = find(g, kv, 1, 256);
        Row kv16 = find(g, kv, 16, 256);
        Row gqa16 = find(g, Strategy.STATIC_GQA.id(), 16, 256);
        StringBuilder out = new StringBuilder();
        if (kv1 != null && kv16 != null) {
            double x = kv16.aggregateTokensPerSecond() / kv1.aggregateTokensPerSecond();
            out.append(String.format(Locale.ROOT, "  target: kv at batch 16, 256 tokens: %s batch 1's aggregate tokens/s "
                    + "(at least 4x: %s)%n", ratio(kv1.msPerOp() * 16, kv1.errorMs() * 16, kv16.msPerOp(), kv16.errorMs(), 2),
                    Double.isNaN(kv1.errorMs()) || Double.isNaN(kv16.errorMs()) ? "undecided" : x >= 4 ? "met" : "MISSED"));
        }
        if (kv16 != null && gqa16 != null) {
            double x = gqa16.aggregateTokensPerSecond() / kv16.aggregateTokensPerSecond();
            out.append(String.format(Locale.ROOT, "  target: static-gqa at batch 16, 256 tokens: %s kv's aggregate tokens/s "
                    + "(at least 1x: %s)%n", ratio(kv16.msPerOp(), kv16.errorMs(), gqa16.msPerOp(), gqa16.errorMs(), 2),
                    Double.isNaN(kv16.errorMs()) || Double.isNaN(gqa16.errorMs()) ? "undecided" : x >= 1 ? "met" : "MISSED"));
        }
        return out.toString();
    }

    private static Row find(List<Row> g, String strategy, int batch, int length) {
        return g.stream().filter(r -> base(r).equals(strategy) && r.batch() == batch && r.length() == length).findFirst().orElse(null);
    }

    /** A row's label without its batch suffix. */
    static String base(Row r) {
        return r.strategy().replace(batchSuffix(r.batch()), "");
    }

    /** Re-ranking: texts per second of a batch of candidates, one pass and incremental, per strategy. */
    static String scores(List<Row> all) {
        List<Row> score = all.stream().filter(r -> r.benchmark().equals(BenchmarkContract.SCORE)).toList();
        if (score.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        Map<String, List<Row>> byModel = score.stream().collect(Collectors.groupingBy(r -> String.valueOf(r.model()), java.util.TreeMap::new,
                Collectors.toList()));
        for (var e : byModel.entrySet()) {
            int texts = e.getValue().get(0).length();
            out.append("\nRe-ranking on ").append(e.getKey()).append(": ScoreBenchmark, ").append(texts)
                    .append(" candidates of 48 to 80 tokens scored together (one pass: the strategy's first step; incremental: one token per step)\n");
            out.append(String.format(Locale.ROOT, "%-14s %20s %10s %20s %10s%n", "strategy", "one pass ms/op", "texts/s",
                    "incremental ms/op", "texts/s"));
            java.util.Set<String> strategies = new java.util.TreeSet<>();
            // One line per strategy and dtype (kv [q4]): a dtype's rows are labelled kv full [q4], not kv full.
            e.getValue().forEach(r -> strategies.add(r.result().param("strategy") + dtypeSuffix(r.result().param("dtype"))
                    + callSuffix(r.result().param("ortCall"))));
            for (String st : strategies) {
                Row full = e.getValue().stream().filter(r -> r.strategy().equals(label(st, "full"))).findFirst().orElse(null);
                Row inc = e.getValue().stream().filter(r -> r.strategy().equals(label(st, "incremental"))).findFirst().orElse(null);
                out.append(String.format(Locale.ROOT, "%-14s %20s %10s %20s %10s%n", st, time(full), perSecond(full, texts),
                        time(inc), perSecond(inc, texts)));
            }
        }
        return out.toString();
    }

    /** A ScoreBenchmark row's label: strategy and pass, then the dtype and call suffixes. */
    private static String label(String strategyWithSuffix, String pass) {
        int i = strategyWithSuffix.indexOf(" [");
        return i < 0 ? strategyWithSuffix + " " + pass : strategyWithSuffix.substring(0, i) + " " + pass + strategyWithSuffix.substring(i);
    }

    private static String time(Row r) {
        return r == null ? "-" : msPerOp(r, 2);
    }

    private static String perSecond(Row r, int texts) {
        return r == null ? "-" : String.format(Locale.ROOT, "%.1f", texts / (r.msPerOp() / 1e3));
    }

    /**
     * One result's time with JMH's error, as the bench progress line shows it: per decode step for the step
     * benchmark ({@code 1.04 ± 0.05 ms/step}), else per operation.
     */
    public static String scoreWithError(JmhResult result) {
        List<Row> one = rows(List.of(result));
        if (one.isEmpty()) { // a benchmark without per-token figures (the shared-prompt ones): its time per operation
            double ms = toMillis(result.primary().score(), result.primary().unit());
            double err = toMillis(result.primary().error(), result.primary().unit());
            return Double.isNaN(err) ? String.format(Locale.ROOT, "%.2f ± n/a ms/op", ms)
                    : String.format(Locale.ROOT, "%.2f ± %.2f ms/op", ms, err);
        }
        Row r = one.get(0);
        if (r.benchmark().equals(BenchmarkContract.STEP)) {
            int n = BenchmarkContract.STEP_BENCHMARK_STEPS;
            return Double.isNaN(r.errorMs()) ? String.format(Locale.ROOT, "%.3f ± n/a ms/step", r.msPerOp() / n)
                    : String.format(Locale.ROOT, "%.3f ± %.3f ms/step", r.msPerOp() / n, r.errorMs() / n);
        }
        return msPerOp(r, 2) + " ms/op";
    }

    /** A row's time per operation ± JMH's error, with {@code decimals}; "± n/a" with a single sample. */
    private static String msPerOp(Row r, int decimals) {
        String number = "%." + decimals + "f";
        return Double.isNaN(r.errorMs()) ? String.format(Locale.ROOT, number + " ± n/a", r.msPerOp())
                : String.format(Locale.ROOT, number + " ± " + number, r.msPerOp(), r.errorMs());
    }

    private static String fmt(double v, String format) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
    }
}
