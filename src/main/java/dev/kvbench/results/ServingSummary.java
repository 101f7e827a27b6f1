package dev.kvbench.results;

import dev.kvbench.serve.Scheduler;
import dev.kvbench.serve.Served;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * One serving run in figures (a rate or a number of closed-loop clients, one policy and strategy): requests served and
 * left, the most that waited at once, throughput, rows per step, time to first token, time per output token,
 * end-to-end and inter-token latency (p50 / p95 / p99, milliseconds), the inter-token p95 over gaps in which another
 * request's prompt was computed against the same over gaps without one, the goodput under targets (NaN without), and
 * the share of prompt tokens a prompt cache reused (0 without one).
 */
public record ServingSummary(int requests, int served, int unserved, int maxQueue, double requestsPerSecond,
                             double tokensPerSecond, double meanRows, Quantiles ttftMs, Quantiles tpotMs, Quantiles e2eMs,
                             Quantiles interTokenMs, double interTokenP95WithPrefillMs, double interTokenP95WithoutPrefillMs,
                             int gapsWithPrefill, double goodput, double promptReusedShare) {

    /** p50, p95 and p99 of a sample (NaN for an empty one). */
    public record Quantiles(double p50, double p95, double p99) {
        static Quantiles of(double[] x) {
            return new Quantiles(Statistics.quantile(x, 0.5), Statistics.quantile(x, 0.95), Statistics.quantile(x, 0.99));
        }
    }

    /** Latency targets in milliseconds (infinity: none). */
    public record Targets(double ttftMs, double tpotMs) {
        public boolean met(Served s) {
            return s.ttftNanos() / 1e6 <= ttftMs && s.tpotNanos() / 1e6 <= tpotMs;
        }
    }

    /** The figures of {@code run}; goodput under {@code targets} where given. */
    public static ServingSummary of(Scheduler.Run run, Targets targets) {
        List<Served> s = run.served();
        double seconds = run.elapsedNanos() / 1e9;
        long tokens = s.stream().mapToLong(r -> r.tokens().length).sum();
        java.util.stream.DoubleStream.Builder with = java.util.stream.DoubleStream.builder();
        java.util.stream.DoubleStream.Builder without = java.util.stream.DoubleStream.builder();
        java.util.stream.DoubleStream.Builder all = java.util.stream.DoubleStream.builder();
        int withPrefill = 0;
        for (Served r : s) {
            long[] gaps = r.interTokenNanos();
            for (int i = 0; i < gaps.length; i++) {
                double ms = gaps[i] / 1e6;
                all.add(ms);
                if (r.gapHadPrefill()[i]) {
                    with.add(ms);
                    withPrefill++;
                } else {
                    without.add(ms);
                }
            }
        }
        double good = targets == null || s.isEmpty() ? Double.NaN
                : s.stream().filter(targets::met).count() / (double) (s.size() + run.unserved());
        return new ServingSummary(s.size() + run.unserved(), s.size(), run.unserved(), run.maxQueue(), s.size() / seconds,
                tokens / seconds, s.stream().mapToDouble(Served::rows).average().orElse(Double.NaN),
                quantiles(s, r -> r.ttftNanos() / 1e6), quantiles(s, r -> r.tpotNanos() / 1e6),
                quantiles(s, r -> r.e2eNanos() / 1e6), Quantiles.of(all.build().toArray()),
                Statistics.quantile(with.build().toArray(), 0.95), Statistics.quantile(without.build().toArray(), 0.95),
                withPrefill, good, s.stream().mapToLong(Served::reusedTokens).sum()
                        / (double) Math.max(1, s.stream().mapToLong(r -> r.request().prompt().length).sum()));
    }

    private static Quantiles quantiles(List<Served> s, ToDoubleFunction<Served> f) {
        return Quantiles.of(s.stream().mapToDouble(f).toArray());
    }

    /** The inter-token p95 with a prefill in the gap over the same without: 1 = no interference; NaN without both. */
    public double prefillInterference() {
        return interTokenP95WithPrefillMs / interTokenP95WithoutPrefillMs;
    }
}
