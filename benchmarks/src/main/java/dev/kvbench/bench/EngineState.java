package dev.kvbench.bench;

import dev.kvbench.decode.Engine;
import dev.kvbench.decode.GenerationResult;
import dev.kvbench.decode.Sampler;
import dev.kvbench.runtime.OrtRuntime;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every kvbench benchmark holds: the model and thread parameters, one engine opened for a strategy, and a
 * fixed prompt. The engine is opened in each benchmark's trial setup and closed here.
 */
@State(Scope.Benchmark)
public abstract class EngineState {
    @Param({"tiny-llama"})
    public String model;

    @Param({"1"})
    public int threads;

    /** How steps whose outputs are all pinned call ONNX Runtime: {@code direct} or {@code public} ({@code OrtSession.run}). */
    @Param({"direct"})
    public String ortCall;

    protected Engine engine;
    protected long[] prompt;
    protected final Sampler greedy = Sampler.greedy();

    protected void open(String strategy, int hybridThreshold, int promptTokens) {
        engine = BenchModels.open(model, strategy, new OrtRuntime(threads, OrtRuntime.RunCall.parse(ortCall)), hybridThreshold);
        prompt = BenchModels.prompt(engine, promptTokens);
        System.out.println("# kvbench: ONNX Runtime intra-op threads = " + threads + ", inter-op = 1, sequential, "
                + ortCall + " call for steps with only pinned outputs");
    }

    /** A whole greedy generation of {@code newTokens} tokens, EOS ignored, counted into {@code counters}. */
    protected int[] generate(int newTokens, EngineCounters counters) {
        GenerationResult r = engine.generator().generate(prompt, newTokens, true, greedy, null);
        counters.add(r);
        return r.tokens();
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
