package dev.kvbench.results;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The CI gate on figures that do not depend on how fast or busy the machine is: Java heap bytes allocated per
 * operation (JMH {@code gc.alloc.rate.norm}) against a baseline, and the speedup of {@code kv} over
 * {@code no-cache} measured within the same run. Every baseline configuration must be in the new run: a missing one
 * (not run, failed, parameters changed) fails the gate. Absolute times are reported here, not gated: time is gated by
 * the interleaved A/B ({@link PairedComparison}), which measures both commits on the same machine.
 */
public final class RegressionGate {
    /** Allowed absolute allocation slack per operation, for tiny allocation counts. */
    static final double ALLOC_SLACK_BYTES = 1024;

    public record Outcome(List<String> failures, String report) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    private RegressionGate() {
    }

    public static Outcome check(List<JmhResult> baseline, List<JmhResult> result, double allocTolerancePercent,
                                double minSpeedup, int speedupTokens) {
        return check(baseline, result, allocTolerancePercent, minSpeedup, speedupTokens, DEFAULT_SERVING_THRESHOLD);
    }

    /** How much worse a serving figure may get (percent) before a significant change fails the gate. */
    public static final double DEFAULT_SERVING_THRESHOLD = 10;

    /**
     * The gate, with serving figures ({@link ServingResults}) in either file: each baseline serving figure must be in the
     * new run, and fails where it is significantly worse (Mann-Whitney over the runs, alpha 0.05) by more than
     * {@code servingThresholdPercent}. A baseline of serving figures only has no allocation or speedup check.
     */
    public static Outcome check(List<JmhResult> baseline, List<JmhResult> result, double allocTolerancePercent,
                                double minSpeedup, int speedupTokens, double servingThresholdPercent) {
        List<JmhResult> serving = baseline.stream().filter(ServingResults::isServing).toList();
        List<JmhResult> benchmarks = baseline.stream().filter(r -> !ServingResults.isServing(r)).toList();
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        if (!serving.isEmpty()) {
            servingChecks(serving, result, servingThresholdPercent, failures, report);
        }
        if (benchmarks.isEmpty()) {
            return new Outcome(failures, report.toString());
        }
        Outcome o = checkBenchmarks(benchmarks, result, allocTolerancePercent, minSpeedup, speedupTokens);
        failures.addAll(o.failures());
        return new Outcome(failures, report + o.report());
    }

    private static void servingChecks(List<JmhResult> baseline, List<JmhResult> result, double threshold,
                                      List<String> failures, StringBuilder report) {
        Map<String, JmhResult> now = result.stream().collect(Collectors.toMap(JmhResult::key, Function.identity(), (a, b) -> a));
        List<JmhResult> present = new ArrayList<>();
        for (JmhResult b : baseline) {
            if (now.containsKey(b.key())) {
                present.add(b);
            } else {
                failures.add(b.key() + " is in the baseline but not in the new run (not run, or its parameters changed)");
            }
        }
        report.append(String.format(Locale.ROOT, "%-90s %12s %12s %8s %8s%n", "serving figure", "base", "now", "change", "p"));
        if (present.isEmpty()) {
            return;
        }
        Comparison.Result c = Comparison.compare(present, result, "primary", threshold, 0.05);
        for (Comparison.Row row : c.rows()) {
            report.append(String.format(Locale.ROOT, "%-90s %12.2f %12.2f %+7.1f%% %8.3f %s%s%n", row.key(), row.oldMean(),
                    row.newMean(), row.changePercent(), row.p(), row.unit(), row.regression() ? "  FAIL"
                            : row.decidable() ? "" : "  (too few runs to tell)"));
            if (row.regression()) {
                failures.add(String.format(Locale.ROOT, "%s is %.1f%% worse (p = %.3f, threshold %.0f%%)", row.key(),
                        Math.abs(row.changePercent()), row.p(), threshold));
            }
        }
    }

    private static Outcome checkBenchmarks(List<JmhResult> baseline, List<JmhResult> result, double allocTolerancePercent,
                                           double minSpeedup, int speedupTokens) {
        Map<String, JmhResult> now = result.stream().collect(Collectors.toMap(JmhResult::key, Function.identity(), (a, b) -> a));
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "%-64s %16s %16s %8s %14s%n", "benchmark", "heap B/op base", "heap B/op now",
                "change", "time (info)"));
        for (JmhResult b : baseline) {
            JmhResult r = now.get(b.key());
            JmhResult.Metric was = b.metric("gc.alloc.rate.norm");
            if (was == null) {
                throw new KvbenchException("the baseline's " + b.key() + " has no gc.alloc.rate.norm (record it with -prof gc)");
            }
            if (r == null) {
                report.append(String.format(Locale.ROOT, "%-64s %16.0f %16s%n", b.key(), was.score(), "MISSING"));
                failures.add(b.key() + " is in the baseline but not in the new run (not run, failed, or its parameters changed)");
                continue;
            }
            JmhResult.Metric is = r.metric("gc.alloc.rate.norm");
            if (is == null) {
                failures.add(r.key() + " has no gc.alloc.rate.norm in the new run (run with -prof gc)");
                continue;
            }
            double change = was.score() == 0 ? 0 : (is.score() - was.score()) / was.score() * 100;
            boolean fail = is.score() > was.score() * (1 + allocTolerancePercent / 100) + ALLOC_SLACK_BYTES;
            report.append(String.format(Locale.ROOT, "%-64s %16.0f %16.0f %+7.1f%% %10.3f %s%s%n", r.key(), was.score(),
                    is.score(), change, r.primary().score(), r.primary().unit(), fail ? "  FAIL" : ""));
            if (fail) {
                failures.add(String.format(Locale.ROOT, "%s allocates %.0f B/op, baseline %.0f (+%.1f%% > +%.0f%%)",
                        r.key(), is.score(), was.score(), change, allocTolerancePercent));
            }
        }
        // The speedup needs both configurations in the new run; a missing one is a failed check like any other
        // missing configuration, not bad input.
        String kvId = StrategyRoles.reference().id();
        String noCacheId = StrategyRoles.baseline().id();
        java.util.OptionalDouble kv = score(result, kvId, speedupTokens);
        java.util.OptionalDouble noCache = score(result, noCacheId, speedupTokens);
        if (kv.isEmpty() || noCache.isEmpty()) {
            String absent = kv.isEmpty() && noCache.isEmpty() ? kvId + " and " + noCacheId : kv.isEmpty() ? kvId : noCacheId;
            report.append(String.format(Locale.ROOT, "kv speedup over no-cache at %d new tokens: MISSING (%s)%n", speedupTokens, absent));
            failures.add(String.format(Locale.ROOT, "the new run has no GenerationBenchmark of %s at %d new tokens: "
                    + "the speedup floor cannot be checked", absent, speedupTokens));
            return new Outcome(failures, report.toString());
        }
        double speedup = noCache.getAsDouble() / kv.getAsDouble();
        report.append(String.format(Locale.ROOT, "kv speedup over no-cache at %d new tokens (same run): %.1fx (floor %.1fx)%n",
                speedupTokens, speedup, minSpeedup));
        if (speedup < minSpeedup) {
            failures.add(String.format(Locale.ROOT, "kv is only %.1fx faster than no-cache at %d tokens (floor %.1fx)",
                    speedup, speedupTokens, minSpeedup));
        }
        return new Outcome(failures, report.toString());
    }

    private static java.util.OptionalDouble score(List<JmhResult> results, String strategy, int tokens) {
        return results.stream()
                .filter(r -> r.shortName().startsWith(BenchmarkContract.GENERATION + ".") && strategy.equals(r.param("strategy"))
                        && String.valueOf(tokens).equals(r.param("newTokens")))
                .mapToDouble(r -> r.primary().score()).findFirst();
    }
}
