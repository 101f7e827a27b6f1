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
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The cost of one decode step at a given context length: before each iteration a prompt of
 * {@code context - STEPS - 1} tokens is prefilled (not measured); one operation is then {@link #STEPS} real decode
 * steps, the last one filling position {@code context}. Score / STEPS = per-step latency. Growing with context for no-cache, nearly flat for caches.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, batchSize = 1)
@Measurement(iterations = 8, batchSize = 1)
public class StepBenchmark extends EngineState {
    /** Decode steps in one operation. */
    public static final int STEPS = 8;

    @Param({"no-cache", "kv", "kv-copy", "hybrid", "static", "static-gqa"})
    public String strategy;

    @Param({"16", "64", "256", "1024", "2048"})
    public int context;

    @Setup(Level.Trial)
    public void open() {
        open(strategy, 10, context - STEPS - 1);
    }

    /** Prefill (not measured): the prompt's step; the measured steps then run with context - STEPS .. context - 1 cached. */
    @Setup(Level.Iteration)
    public void prefill() {
        engine.generator().finish();
        engine.generator().begin(prompt, STEPS + 1);
        engine.generator().step(greedy, 0);
    }

    @Benchmark
    public void steps(Blackhole bh, EngineCounters counters) {
        for (int i = 1; i <= STEPS; i++) {
            bh.consume(engine.generator().step(greedy, i));
            counters.runNanos += engine.generator().lastRunNanos();
            counters.stepNanos += engine.generator().lastStepNanos();
            counters.kvBytes += engine.generator().lastStepKvBytes();
            counters.tokens++;
        }
    }
}
