package dev.kvbench.decode;

import dev.kvbench.model.Model;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.OrtRuntime;

import java.nio.file.Path;
import java.util.List;

/**
 * Opens a model folder for one strategy and sets up its generator: the engine's entry point, where the CLI, the tests,
 * the benchmarks and the paired worker (by reflection, on another commit's jar) start.
 *
 * <pre>{@code
 * try (Engine engine = new Engine(folder, Strategy.KV, EngineOptions.defaults().withDtype(Dtype.Q4))) {
 *     GenerationResult r = engine.generator().generate(promptIds, 32, false, Sampler.greedy(), null);
 * }
 * }</pre>
 *
 * <p>Ownership: the engine owns its ONNX Runtime sessions (through {@link #model()}) and its generator, with every
 * tensor and buffer they hold; {@link #close()} closes them all, whatever fails first. What the accessors return is a
 * view for the engine's lifetime: never close it yourself, never use it after the engine is closed. Results
 * ({@link GenerationResult}, {@link BatchResult}) are plain Java copies the caller keeps. Not thread-safe: one engine
 * per thread.
 *
 * <p>Errors: bad input (a folder, a setting, a prompt) is a {@link dev.kvbench.KvbenchException} thrown before
 * anything runs, typed where a caller may act on it ({@link dev.kvbench.InvalidSettingException},
 * {@link dev.kvbench.cache.CapacityExceededException}, {@link StrategyUnavailableException},
 * {@link dev.kvbench.model.VariantUnavailableException}); a step that ONNX Runtime fails is a
 * {@link StepFailedException}. The messages name settings in words, never command-line options.
 */
public final class Engine implements AutoCloseable {
    private final OrtRuntime runtime;
    private final Model model;
    private final Generator generator;

    /**
     * Opens {@code folder}'s graphs of {@code options.dtype()} for {@code strategy}'s variant; on failure nothing stays
     * open.
     */
    public Engine(Path folder, Strategy strategy, EngineOptions options) {
        this.runtime = new OrtRuntime(options.threads(), options.runCall());
        this.model = Model.open(folder, options.dtypes(), runtime, strategy.variant(), options.decoderFiles());
        try {
            this.generator = new Generator(model, strategy, runtime, options);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** The strategy on {@code folder} with {@link EngineOptions#defaults()}. */
    public Engine(Path folder, Strategy strategy) {
        this(folder, strategy, EngineOptions.defaults());
    }

    /** The opened model (sessions, layout, config): the engine's, closed with it. */
    public Model model() {
        return model;
    }

    /** The decoding loop with this strategy's cache, reusable for many generations: the engine's, closed with it. */
    public Generator generator() {
        return generator;
    }

    /** The ONNX Runtime settings the sessions were opened with (threads, call kind); holds nothing native. */
    public OrtRuntime runtime() {
        return runtime;
    }

    /** Closes the generator and the model's sessions, each whatever the other's close threw. */
    @Override
    public void close() {
        Closeables.closeEach(List.of(generator, model));
    }
}
