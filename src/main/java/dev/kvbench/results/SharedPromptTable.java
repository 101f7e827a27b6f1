package dev.kvbench.results;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The summary's "Shared prompts" section: each shared-prompt benchmark configuration ({@code RerankBenchmark},
 * {@code PrefixHitBenchmark}, {@code ContinuationBenchmark}) measured with the prompt reused and recomputed, side by
 * side: the time of each with JMH's error, the speedup of reuse with its interval (or "undecided"), and the KV memory
 * the reusing side's cache holds (the N rows' copies of the prefix, for a batch of candidates).
 */
public final class SharedPromptTable {
    private SharedPromptTable() {
    }

    /** A configuration's two sides: the prompt reused, and computed again. */
    record Pair(JmhResult reuse, JmhResult recompute) {
    }

    /** The parameter that says whether the prompt was reused ({@code on}) or recomputed ({@code off}). */
    static String switchOf(JmhResult r) {
        return r.params().containsKey("hit") ? "hit" : "reuse";
    }

    /** The results of the shared-prompt benchmarks, paired by everything but the reuse switch, by model. */
    static Map<String, Map<String, Pair>> pairs(List<JmhResult> results) {
        Map<String, Map<String, JmhResult[]>> sides = new TreeMap<>();
        for (JmhResult r : results) {
            String bench = r.shortName().split("\\.")[0];
            if (!List.of(BenchmarkContract.RERANK, BenchmarkContract.PREFIX_HIT, BenchmarkContract.CONTINUATION).contains(bench)) {
                continue;
            }
            String on = r.param(switchOf(r));
            if (on == null) {
                continue;
            }
            TreeMap<String, String> rest = new TreeMap<>(r.params());
            rest.remove(switchOf(r));
            rest.remove("model");
            String key = bench + " " + rest;
            sides.computeIfAbsent(String.valueOf(JmhResult.modelName(r.param("model"))), m -> new TreeMap<>())
                    .computeIfAbsent(key, k -> new JmhResult[2])[on.equals("on") ? 0 : 1] = r;
        }
        Map<String, Map<String, Pair>> out = new TreeMap<>();
        sides.forEach((model, byKey) -> byKey.forEach((key, two) ->
                out.computeIfAbsent(model, m -> new TreeMap<>()).put(key, new Pair(two[0], two[1]))));
        return out;
    }

    /** The section, or "" when the run measured no shared prompt. */
    public static String render(List<JmhResult> results) {
        Map<String, Map<String, Pair>> byModel = pairs(results);
        StringBuilder out = new StringBuilder();
        for (var model : byModel.entrySet()) {
            out.append("\nShared prompts on ").append(model.getKey()).append(": the prompt computed once and reused "
                    + "(reuse), against computed again for every candidate, request or turn (recompute)\n");
            out.append(String.format(Locale.ROOT, "%-40s %-44s %18s %18s %16s %12s%n", "benchmark", "workload",
                    "recompute ms/op", "reuse ms/op", "reuse speedup", "KV held"));
            List<String[]> lines = new ArrayList<>();
            for (Pair p : model.getValue().values()) {
                JmhResult any = p.reuse() != null ? p.reuse() : p.recompute();
                String label = any.shortName().split("\\.")[0] + " " + any.param("strategy")
                        + Summary.dtypeSuffix(any.param("dtype")) + Summary.callSuffix(any.param("ortCall"));
                String speedup = p.reuse() == null || p.recompute() == null ? "-"
                        : Summary.ratio(ms(p.recompute()), error(p.recompute()), ms(p.reuse()), error(p.reuse()), 1);
                lines.add(new String[] {label, workload(any), time(p.recompute()), time(p.reuse()), speedup,
                    held(p.reuse())});
            }
            for (String[] l : lines) {
                out.append(String.format(Locale.ROOT, "%-40s %-44s %18s %18s %16s %12s%n", (Object[]) l));
            }
        }
        return out.toString();
    }

    /** What one operation does, from the benchmark's parameters. */
    static String workload(JmhResult r) {
        String bench = r.shortName().split("\\.")[0];
        return switch (bench) {
            case BenchmarkContract.RERANK -> String.format(Locale.ROOT, "%s-token prompt, %s x %s tokens, %s",
                    r.param("promptTokens"), r.param("candidates"), r.param("candidateTokens"),
                    r.intParam("rows", 1) == 1 ? "1 row" : r.param("rows") + " rows");
            case BenchmarkContract.PREFIX_HIT -> String.format(Locale.ROOT, "first token: %s-token prefix + %s",
                    r.param("prefixTokens"), r.param("suffixTokens"));
            case BenchmarkContract.CONTINUATION -> String.format(Locale.ROOT, "%s turns x %s tokens, replies of %s",
                    r.param("turns"), r.param("turnTokens"), r.param("replyTokens"));
            default -> "";
        };
    }

    private static double ms(JmhResult r) {
        return Summary.toMillis(r.primary().score(), r.primary().unit());
    }

    private static double error(JmhResult r) {
        return Summary.toMillis(r.primary().error(), r.primary().unit());
    }

    private static String time(JmhResult r) {
        if (r == null) {
            return "-";
        }
        return Double.isNaN(error(r)) ? String.format(Locale.ROOT, "%.1f ± n/a", ms(r))
                : String.format(Locale.ROOT, "%.1f ± %.1f", ms(r), error(r));
    }

    /** The KV bytes held per operation, in MiB. */
    private static String held(JmhResult r) {
        JmhResult.Metric bytes = r == null ? null : r.metric("kvBytesHeld");
        JmhResult.Metric ops = r == null ? null : r.metric("operations");
        if (bytes == null || ops == null || !(ops.score() > 0)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes.score() / ops.score() / (1 << 20));
    }
}
