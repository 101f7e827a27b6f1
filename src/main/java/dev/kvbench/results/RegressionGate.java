package dev.kvbench.results;

import dev.kvbench.KvbenchException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The CI gate on figures that do not depend on how fast or busy the machine is: Java heap bytes allocated per
 * operation (JMH {@code gc.alloc.rate.norm}) against a baseline, and the speedup of {@code kv} over
 * {@code no-cache} measured within the same run. Absolute times are reported, never gated.
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
        Map<String, JmhResult> base = baseline.stream().collect(Collectors.toMap(JmhResult::key, Function.identity(), (a, b) -> a));
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        report.append(String.format(Locale.ROOT, "%-64s %16s %16s %8s %14s%n", "benchmark", "heap B/op base", "heap B/op now",
                "change", "time (info)"));
        int common = 0;
        for (JmhResult r : result) {
            JmhResult b = base.get(r.key());
            JmhResult.Metric now = r.metric("gc.alloc.rate.norm");
            if (b == null || now == null || b.metric("gc.alloc.rate.norm") == null) {
                continue;
            }
            common++;
            double was = b.metric("gc.alloc.rate.norm").score();
            double is = now.score();
            double change = was == 0 ? 0 : (is - was) / was * 100;
            boolean fail = is > was * (1 + allocTolerancePercent / 100) + ALLOC_SLACK_BYTES;
            report.append(String.format(Locale.ROOT, "%-64s %16.0f %16.0f %+7.1f%% %10.3f %s%s%n", r.key(), was, is, change,
                    r.primary().score(), r.primary().unit(), fail ? "  FAIL" : ""));
            if (fail) {
                failures.add(String.format(Locale.ROOT, "%s allocates %.0f B/op, baseline %.0f (+%.1f%% > +%.0f%%)",
                        r.key(), is, was, change, allocTolerancePercent));
            }
        }
        if (common == 0) {
            throw new KvbenchException("no benchmark with gc.alloc.rate.norm in common with the baseline (run with -prof gc)");
        }
        double kv = score(result, "kv", speedupTokens);
        double noCache = score(result, "no-cache", speedupTokens);
        double speedup = noCache / kv;
        report.append(String.format(Locale.ROOT, "kv speedup over no-cache at %d new tokens (same run): %.1fx (floor %.1fx)%n",
                speedupTokens, speedup, minSpeedup));
        if (speedup < minSpeedup) {
            failures.add(String.format(Locale.ROOT, "kv is only %.1fx faster than no-cache at %d tokens (floor %.1fx)",
                    speedup, speedupTokens, minSpeedup));
        }
        return new Outcome(failures, report.toString());
    }

    private static double score(List<JmhResult> results, String strategy, int tokens) {
        return results.stream()
                .filter(r -> r.shortName().startsWith("GenerationBenchmark") && strategy.equals(r.param("strategy"))
                        && String.valueOf(tokens).equals(r.param("newTokens")))
                .mapToDouble(r -> r.primary().score()).findFirst()
                .orElseThrow(() -> new KvbenchException("the result has no GenerationBenchmark for " + strategy + " at "
                        + tokens + " new tokens"));
    }
}
