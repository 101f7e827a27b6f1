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
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * The cost of one decode step at a given context length: before each iteration a prompt of
 * {@code context - STEPS - 1} tokens is prefilled (not measured); one operation is then {@link #STEPS} real decode
 * steps, the last one filling position {@code context}. Score / STEPS = per-step latency. Growing with context for
 * no-cache, nearly flat for caches. With {@code batchSize} above 1, that many rows step together (prompts of up to four
 * lengths, as in a real batch): the score / STEPS is the latency of a step of all rows, and the aggregate tokens per
 * second is batchSize x STEPS / score.
 *
 * <p>Single-shot iterations are too few to bring the engine's Java code to its compiled state (3 warm-up iterations
 * are 24 steps: the time outside {@code OrtSession.run} read 5% instead of 2%), so the trial setup first runs
 * {@link #WARMUP_GENERATIONS} short generations, cheap even for no-cache. Heap bytes per step come from
 * {@link StepHeapCounter} around each step, not from {@code -prof gc}, which here also counts the prefill.
 * <p>With {@code -Dkvbench.assumedPrompt=true} ({@link BenchmarkContract#ASSUMED_PROMPT_PROPERTY}) the prompt is taken
 * as cached instead of prefilled (the cache's buffers as they are), and the rows of a batch have one prompt length:
 * for contexts whose prefill would take minutes (Qwen2.5-0.5B shapes at 16 rows x 2048 positions), since a step's work
 * does not depend on what the cache holds.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, batchSize = 1)
@Measurement(iterations = 8, batchSize = 1)
public class StepBenchmark extends EngineState {
    /** Decode steps in one operation. */
    public static final int STEPS = BenchmarkContract.STEP_BENCHMARK_STEPS;
    static final int WARMUP_TOKENS = 16;

    /**
     * Short generations (of {@link #WARMUP_TOKENS} tokens after a 2-token prompt) that warm the JIT before measuring:
     * 40, or the system property {@code kvbench.stepWarmupGenerations} (`bench --preset real-shapes` sets 2: there a
     * step takes ~0.2 s and the engine's Java code is under 1% of it). Not a {@code @Param}, so result keys stay as
     * they were.
     */
    static final int WARMUP_GENERATIONS = Integer.getInteger("kvbench.stepWarmupGenerations", 40);

    @Param({"no-cache", "kv", "kv-alloc", "kv-copy", "hybrid", "static", "static-gqa", "static-gqa-int8", "static-gqa-int4"})
    public String strategy;

    @Param({"16", "64", "256", "1024", "2048"})
    public int context;

    /** Rows stepping together. */
    @Param({"1", "4", "16"})
    public int batchSize;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.STEP + " strategy=" + strategy + " context=" + context + " batchSize=" + batchSize, strategy,
                10, context - STEPS - 1);
        long[] shortPrompt = java.util.Arrays.copyOf(prompt, 2);
        for (int i = 0; i < WARMUP_GENERATIONS; i++) {
            engine.generator().generate(shortPrompt, WARMUP_TOKENS, true, greedy, null);
        }
    }

    /** Prefill (not measured): the prompt's step; the measured steps then run with context - STEPS .. context - 1 cached. */
    @Setup(Level.Iteration)
    public void prefill() {
        engine.generator().finish();
        engine.generator().begin(batchSize == 1 ? java.util.List.of(prompt) : batch(batchSize), STEPS + 1);
        engine.generator().step(greedy, 0);
    }

    @Benchmark
    public void steps(Blackhole bh, EngineCounters counters, StepHeapCounter heap) {
        for (int i = 1; i <= STEPS; i++) {
            heap.start();
            bh.consume(engine.generator().step(greedy, i));
            heap.stop();
            counters.runNanos += engine.generator().lastRunNanos();
            counters.stepNanos += engine.generator().lastStepNanos();
            counters.kvBytes += engine.generator().kvBytesCopiedLastStep();
            counters.tokens += batchSize;
        }
    }
}
