package dev.kvbench.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A whole greedy generation of {@code newTokens} tokens after a fixed 8-token prompt, EOS ignored, so every
 * strategy does the same work. Divide the score by newTokens for ms/token; gc.alloc.rate.norm by newTokens
 * for heap bytes per token.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class GenerationBenchmark extends EngineState {
    /** Above this estimated time per operation a no-cache run is skipped (the O(n^2) workaround). */
    static final double NO_CACHE_LIMIT_SECONDS = Double.parseDouble(System.getProperty("kvbench.noCacheLimitSeconds", "30"));

    @Param({"no-cache", "kv", "kv-copy", "hybrid", "static", "static-gqa"})
    public String strategy;

    @Param({"16", "64", "256", "512", "1024"})
    public int newTokens;

    @Setup(Level.Trial)
    public void open() {
        open(strategy, 10, BenchModels.PROMPT_TOKENS);
        if (strategy.equals("no-cache")) {
            // Time a short warm run and extrapolate: step i feeds prompt + i tokens, so the work is the sum of those lengths.
            engine.generator().generate(prompt, 16, true, greedy, null);
            long t0 = System.nanoTime();
            engine.generator().generate(prompt, 16, true, greedy, null);
            double per16 = (System.nanoTime() - t0) / 1e9;
            double estimate = per16 * fedTokens(prompt.length, newTokens) / fedTokens(prompt.length, 16);
            if (estimate > NO_CACHE_LIMIT_SECONDS) {
                close();
                throw new IllegalStateException("SKIPPED: no-cache at " + newTokens + " new tokens would take about "
                        + Math.round(estimate) + " s per operation (limit " + NO_CACHE_LIMIT_SECONDS + " s)");
            }
        }
    }

    /** Tokens fed over a no-cache generation: prompt + 0, prompt + 1, ..., prompt + n - 1. */
    static double fedTokens(int prompt, int n) {
        return (double) n * prompt + (double) n * (n - 1) / 2;
    }

    @Benchmark
    public int[] generate(EngineCounters counters) {
        return generate(newTokens, counters);
    }
}
