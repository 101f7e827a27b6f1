package dev.kvbench.bench;

import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.results.BenchmarkContract;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

/**
 * Re-ranking given one shared prompt: one operation scores {@code candidates} continuations of {@code candidateTokens}
 * tokens each, given one prompt of {@code promptTokens} tokens ({@link Perplexity#givenPrefix}), {@code rows} candidates
 * at a time as the rows of one batch. {@code reuse=on} computes the prompt once, copies its cache into the rows and
 * rewinds to it after each batch; {@code off} computes it for every candidate. What reuse saves is the prompt's
 * prefill, {@code candidates - 1} times; what it costs is the copy into the rows and the rewind (nothing for a
 * preallocated cache, a crop of the past for a concatenating one). Encoder-decoder models score the candidates as
 * targets of one source of {@code promptTokens} tokens. The list is every workload dimension; {@code bench} runs a slice.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class RerankBenchmark extends EngineState {
    /** The caches users ship (kv, static, static-gqa and its int8 cache); no-cache keeps nothing to reuse. */
    @Param({"kv", "static", "static-gqa", "static-gqa-int8"})
    public String strategy;

    @Param({"64", "512", "2048"})
    public int promptTokens;

    @Param({"4", "16", "64"})
    public int candidates;

    @Param({"16", "64"})
    public int candidateTokens;

    /** Candidates decoded together: 1, one after another; N, N rows over copies of the prefix. */
    @Param({"1", "16"})
    public int rows;

    @Param({"on", "off"})
    public String reuse;

    private List<long[]> list;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.RERANK + " strategy=" + strategy + " promptTokens=" + promptTokens + " rows=" + rows
                + " reuse=" + reuse, strategy, 10, 1);
        // The prompt, shortened where the model's positions leave no room for a candidate after it.
        prompt = FixedPrompts.prompt(engine.model(), Math.min(promptTokens, engine.model().maxPositions() - candidateTokens));
        list = FixedPrompts.continuations(engine.model(), candidates, candidateTokens);
    }

    @Benchmark
    public double rerank(SharedPromptCounters counters) {
        double sum = 0;
        for (Perplexity.Score s : Perplexity.givenPrefix(engine.generator(), prompt, list, reuse.equals("on"), rows)) {
            sum += s.logLikelihood();
        }
        counters.add(engine.generator().cacheBytesHeld());
        return sum;
    }
}
