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
 * Where should the hybrid strategy switch to the cache? 256 new tokens after a 2-token prompt, for thresholds
 * T = 4, 10, 32, 128, against pure {@code kv} and pure {@code no-cache}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HybridThresholdBenchmark extends EngineState {
    /** {@code hybrid-T}, {@code kv} or {@code no-cache}. */
    @Param({"hybrid-4", "hybrid-10", "hybrid-32", "hybrid-128", "kv", "no-cache"})
    public String variant;

    @Param({"256"})
    public int newTokens;

    @Setup(Level.Trial)
    public void open() {
        boolean hybrid = variant.startsWith("hybrid-");
        int threshold = hybrid ? Integer.parseInt(variant.substring("hybrid-".length())) : 10;
        open(BenchmarkContract.HYBRID_THRESHOLD + " variant=" + variant + " newTokens=" + newTokens, hybrid ? "hybrid" : variant,
                threshold, 2);
    }

    @Benchmark
    public Object generate(EngineCounters counters) {
        return generate(newTokens, 1, counters);
    }
}
