package dev.kvbench.decode;

import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import dev.kvbench.runtime.OrtRuntime;

import java.nio.file.Path;

/** Opens a model folder for one strategy and sets up its generator: the one place the CLI, tests and benchmarks start from. */
public final class Engine implements AutoCloseable {
    private final OrtRuntime runtime;
    private final Model model;
    private final Generator generator;

    public Engine(Path folder, Strategy strategy, int threads, int hybridThreshold, int cacheCapacity, Layout.DecoderFiles decoder) {
        this(folder, strategy, new OrtRuntime(threads), hybridThreshold, cacheCapacity, decoder);
    }

    public Engine(Path folder, Strategy strategy, OrtRuntime runtime, int hybridThreshold, int cacheCapacity, Layout.DecoderFiles decoder) {
        this.runtime = runtime;
        this.model = Model.open(folder, runtime, strategy.variant(), decoder);
        try {
            this.generator = new Generator(model, strategy, runtime, hybridThreshold, cacheCapacity);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public Engine(Path folder, Strategy strategy) {
        this(folder, strategy, 1, 10, 0, Layout.DecoderFiles.AUTO);
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
