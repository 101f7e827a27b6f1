package dev.kvbench.bench;

import dev.kvbench.results.BenchmarkContract;
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
 * strategy does the same work; with {@code batchSize} above 1, that many rows decoded together, their prompts 8, 7, 6
 * and 5 tokens long (the holes of a real batch: see the padding counters). Divide the score by newTokens for ms per
 * step, by newTokens x batchSize for ms per generated token (aggregate tokens per second is its inverse);
 * gc.alloc.rate.norm likewise for heap bytes. Runs what it is given: {@code bench} decides by an explicit rule which no-cache lengths
 * to leave out. Three 1-second warm-up iterations: with fewer, the first measured ones of a fork still ran JIT-compiled
 * code of lower tiers and fork means spread by 20-30%.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GenerationBenchmark extends EngineState {
    @Param({"no-cache", "kv", "kv-alloc", "kv-copy", "hybrid", "static", "static-gqa", "static-gqa-int8", "static-gqa-int4"})
    public String strategy;

    @Param({"16", "64", "256", "512", "1024"})
    public int newTokens;

    /** Rows decoded together. */
    @Param({"1", "4", "16"})
    public int batchSize;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.GENERATION + " strategy=" + strategy + " newTokens=" + newTokens + " batchSize=" + batchSize,
                strategy, 10, BenchmarkContract.PROMPT_TOKENS);
    }

    @Benchmark
    public Object generate(EngineCounters counters) {
        return generate(newTokens, batchSize, counters);
    }
}
