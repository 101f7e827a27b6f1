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
