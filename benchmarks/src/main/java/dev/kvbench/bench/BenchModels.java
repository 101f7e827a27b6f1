package dev.kvbench.bench;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Layout;
import dev.kvbench.runtime.OrtRuntime;

import java.nio.file.Files;
import java.nio.file.Path;

/** Resolves a benchmark's model parameter and builds its fixed prompt. */
final class BenchModels {
    /** Tokens of the fixed prompt (after BOS) used by every benchmark. */
    static final int PROMPT_TOKENS = 8;

    private BenchModels() {
    }

    /** A bundled folder name ({@code tiny-llama}) under {@code models/}, or any path to a model folder. */
    static Path resolve(String model) {
        Path root = Path.of(System.getProperty("kvbench.root", ".")).toAbsolutePath();
        Path bundled = root.resolve("models").resolve(model);
        if (Files.isDirectory(bundled)) {
            return bundled;
        }
        Path path = Path.of(model);
        if (Files.isDirectory(path)) {
            return path;
        }
        throw new KvbenchException("model not found: " + model + " (neither " + bundled + " nor a folder)");
    }

    static Engine open(String model, String strategy, OrtRuntime runtime, int hybridThreshold) {
        return new Engine(resolve(model), Strategy.parse(strategy), runtime, hybridThreshold, 0, Layout.DecoderFiles.AUTO);
    }

    /** A fixed prompt of {@code length} tokens: BOS (if any), then ids 100, 101, ... (the source, for encoder-decoder models). */
    static long[] prompt(Engine engine, int length) {
        long[] ids = new long[length];
        int bos = engine.model().config().bosTokenId();
        for (int i = 0; i < length; i++) {
            ids[i] = 100 + (i % Math.max(1, engine.model().vocab() - 100));
        }
        if (bos >= 0 && !engine.model().encoderDecoder()) {
            ids[0] = bos;
        }
        if (engine.model().encoderDecoder()) {
            ids[length - 1] = engine.model().config().eosTokenIds().iterator().next();
        }
        return ids;
    }
}
