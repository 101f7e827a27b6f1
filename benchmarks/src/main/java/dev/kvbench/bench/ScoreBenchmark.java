package dev.kvbench.bench;


import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.results.BenchmarkContract;
import java.util.ArrayList;
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
 * Re-ranking: one operation scores a batch of {@code texts} candidates of 48 to 80 tokens (about 64) together, as the
 * perplexity service that started this project does per query. {@code pass=full}: one forward pass of the strategy's
 * first step over the right-padded candidates; {@code pass=incremental}: one token per step through its cache. Texts
 * per second = texts / score. Encoder-decoder models score the candidates as targets of one 8-token source (re-ranking
 * translations).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ScoreBenchmark extends EngineState {
    @Param({"no-cache", "kv", "kv-alloc", "kv-copy", "hybrid", "static", "static-gqa", "static-gqa-int8", "static-gqa-int4"})
    public String strategy;

    @Param({"full", "incremental"})
    public String pass;

    /** Candidates scored together. */
    @Param({"16"})
    public int texts;

    private List<long[]> candidates;
    private List<long[]> sources;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.SCORE + " strategy=" + strategy + " pass=" + pass + " texts=" + texts, strategy, 10,
                BenchmarkContract.PROMPT_TOKENS);
        candidates = new ArrayList<>();
        int longest = Math.min(80, engine.model().maxPositions() - 1);
        for (int i = 0; i < texts; i++) {
            long[] ids = FixedPrompts.prompt(engine.model(), Math.min(longest, 48 + (i * 37) % 33));
            for (int j = 1; j < ids.length; j++) { // candidates differ from each other, not only in length
                ids[j] = 100 + (ids[j] + 7L * i) % Math.max(1, engine.model().vocab() - 100);
            }
            candidates.add(ids);
        }
        sources = java.util.Collections.nCopies(texts, prompt);
    }

    @Benchmark
    public double score() {
        boolean full = pass.equals("full");
        List<Perplexity.Score> scores;
        if (engine.model().encoderDecoder()) {
            scores = full ? Perplexity.fullPass(engine.generator(), sources, candidates)
                    : Perplexity.incremental(engine.generator(), sources, candidates);
        } else {
            scores = full ? Perplexity.fullPass(engine.generator(), candidates) : Perplexity.incremental(engine.generator(), candidates);
        }
        double sum = 0;
        for (Perplexity.Score s : scores) {
            sum += s.logLikelihood();
        }
        return sum;
    }
}
