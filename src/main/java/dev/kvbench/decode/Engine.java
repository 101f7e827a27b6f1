package dev.kvbench.decode;

import dev.kvbench.model.Model;
import dev.kvbench.runtime.OrtRuntime;

import java.nio.file.Path;

/**
 * Opens a model folder for one strategy and sets up its generator: the one place the CLI, tests and benchmarks start
 * from. Owns the model's sessions and the generator; {@link #close()} closes both.
 */
public final class Engine implements AutoCloseable {
    private final OrtRuntime runtime;
    private final Model model;
    private final Generator generator;

    public Engine(Path folder, Strategy strategy, EngineOptions options) {
        this.runtime = new OrtRuntime(options.threads(), options.runCall());
        this.model = Model.open(folder, options.dtype(), runtime, strategy.variant(), options.decoderFiles());
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

    public Model model() {
        return model;
    }

    public Generator generator() {
        return generator;
    }

    public OrtRuntime runtime() {
        return runtime;
    }

    @Override
    public void close() {
        generator.close();
        model.close();
    }
}
