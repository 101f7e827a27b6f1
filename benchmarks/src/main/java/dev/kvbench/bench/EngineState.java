package dev.kvbench.bench;


import dev.kvbench.decode.BatchResult;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.GenerationResult;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.runtime.OrtRuntime;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every kvbench benchmark holds: the model and thread parameters, one engine opened for a strategy, and a
 * fixed prompt. The engine is opened in each benchmark's trial setup and closed here. A setup that fails records one
 * line in the failure side file ({@link BenchmarkContract#recordFailure}) before JMH sees the exception.
 */
@State(Scope.Benchmark)
public abstract class EngineState {
    /** A bundled model's folder name under models/, or a path to a model folder. */
    @Param({"tiny-llama"})
    public String model;

    /**
     * Which of the folder's graphs: fp32 (the export), q8, q4, ... (transformers.js file suffixes), or a dtype per graph
     * of an encoder-decoder model, {@code encoder=fp32,decoder=q4} (on JMH's command line, which splits {@code -p}
     * values on commas: {@code -p dtype=encoder=fp32+decoder=q4}).
     */
    @Param({"fp32"})
    public String dtype;

    @Param({"1"})
    public int threads;

    /** How steps whose outputs are all pinned call ONNX Runtime: {@code direct} or {@code public} ({@code OrtSession.run}). */
    @Param({"direct"})
    public String ortCall;

    protected Engine engine;
    protected long[] prompt;
    protected final Sampler greedy = Sampler.greedy();

    /** Opens the engine; {@code configuration} names this run in a failure line. */
    protected void open(String configuration, String strategy, int hybridThreshold, int promptTokens) {
        try {
            EngineOptions options = EngineOptions.defaults().withThreads(threads)
                    .withRunCall(OrtRuntime.RunCall.parse(ortCall)).withHybridThreshold(hybridThreshold)
                    .withDtypes(GraphDtypes.parse(dtype)).withAssumedPrompt(BenchmarkContract.assumedPrompt());
            engine = new Engine(modelFolder(), Strategy.parse(strategy), options);
            prompt = prompt(engine, promptTokens);
        } catch (RuntimeException e) {
            BenchmarkContract.recordFailure(configuration, e);
            throw e;
        }
        System.out.println("# kvbench: dtype " + dtype + ", ONNX Runtime intra-op threads = " + threads + ", inter-op = 1, sequential, "
                + ortCall + " call for steps with only pinned outputs"
                + (BenchmarkContract.assumedPrompt() ? "; prompts assumed cached, not prefilled (" + BenchmarkContract.ASSUMED_PROMPT_PROPERTY + ")" : ""));
    }

    protected Path modelFolder() {
        return BenchmarkContract.resolveModel(BenchmarkContract.root(), model);
    }

    /** The benchmarks' fixed prompt ({@link FixedPrompts#prompt}) for this engine's model. */
    static long[] prompt(Engine engine, int length) {
        return FixedPrompts.prompt(engine.model(), length);
    }

    /**
     * A whole greedy generation of {@code newTokens} tokens, EOS ignored, counted into {@code counters}: of the fixed
     * prompt alone ({@code rows} 1, the single-sequence call), or of {@link FixedPrompts#batch} decoded
     * together.
     */
    protected Object generate(int newTokens, int rows, EngineCounters counters) {
        if (rows == 1) {
            GenerationResult r = engine.generator().generate(prompt, newTokens, true, greedy, null);
            counters.add(r);
            return r.tokens();
        }
        BatchResult r = engine.generator().generate(batch(rows), newTokens, true, greedy, null);
        counters.add(r);
        return r.tokens();
    }

    private java.util.List<long[]> batch;

    /** The batch's prompts, made once per trial; all of one length where prompts are assumed cached. */
    protected java.util.List<long[]> batch(int rows) {
        if (batch == null || batch.size() != rows) {
            batch = BenchmarkContract.rowPrompts(engine.model(), rows, prompt.length);
        }
        return batch;
    }

    @TearDown(Level.Trial)
    public void close() {
        if (engine != null) {
            engine.generator().finish();
            engine.close();
            engine = null;
        }
    }
}
