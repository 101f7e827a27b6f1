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
 * Time to first token, as serving benchmarks report it (vLLM's TTFT, llama-bench's pp): one operation is a prompt of
 * {@code promptTokens} tokens fed in one step and the first token chosen, the cache sized and reset as a new request
 * would. The prompt step is where the caches differ most for long prompts and re-ranking: the static caches write a
 * capacity-sized buffer, the dynamic one a present of the prompt's length.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PrefillBenchmark extends EngineState {
    @Param({"no-cache", "kv", "kv-alloc", "kv-copy", "hybrid", "static", "static-gqa", "static-gqa-int8", "static-gqa-int4"})
    public String strategy;

    @Param({"64", "512", "2048"})
    public int promptTokens;

    @Setup(Level.Trial)
    public void open() {
        // One new token after the prompt: its positions must fit the model's.
        open(BenchmarkContract.PREFILL + " strategy=" + strategy + " promptTokens=" + promptTokens, strategy, 10, promptTokens);
    }

    @Benchmark
    public int firstToken(EngineCounters counters) {
        var r = engine.generator().generate(prompt, 1, true, greedy, null);
        counters.add(r);
        return r.tokens()[0];
    }
}
