package dev.kvbench.decode;

import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 2,000 generations in one JVM keep the resident set flat: every OnnxTensor, Result and buffer is released.
 * A leak of one step's tensors per generation (a present KV of this model is 24 KiB and up) would add tens of MB.
 */
class NativeMemoryTest {
    static long residentKb() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
    }

    /** Runs {@code run(i)} {@code warmup} times, then {@code measured} times, and asserts the resident set stayed flat. */
    static void assertFlat(int warmup, int measured, String what, java.util.function.IntConsumer run) throws IOException {
        for (int i = 0; i < warmup; i++) {
            run.accept(i);
        }
        System.gc();
        long before = residentKb();
        for (int i = 0; i < measured; i++) {
            run.accept(i);
        }
        System.gc();
        long after = residentKb();
        System.out.printf("resident set: %d KiB after warm-up, %d KiB after %d %s%n", before, after, measured, what);
        assertTrue(after - before < 16 * 1024, "resident set grew by " + (after - before) + " KiB");
    }

    @Test
    void twoThousandGenerationsKeepResidentMemoryFlat() throws IOException {
        long[] prompt = {1, 100, 101, 102, 103, 104, 105, 106};
        Strategy[] strategies = {Strategy.KV, Strategy.KV_ALLOC, Strategy.KV_COPY, Strategy.HYBRID, Strategy.STATIC_GQA};
        Engine[] engines = new Engine[strategies.length];
        try {
            for (int i = 0; i < strategies.length; i++) {
                engines[i] = new Engine(TestModels.LLAMA, strategies[i], EngineOptions.defaults().withHybridThreshold(4));
            }
            assertFlat(200, 2000, "generations",
                    i -> engines[i % engines.length].generator().generate(prompt, 6, true, Sampler.greedy(), null));
        } finally {
            close(engines);
        }
    }

    /** 1,200 batches whose row count changes every time (buffers made again for 2, 3 and 4 rows) do not grow either. */
    @Test
    void batchesOfChangingSizeKeepResidentMemoryFlat() throws IOException {
        Strategy[] strategies = {Strategy.KV, Strategy.STATIC, Strategy.STATIC_GQA};
        Engine[] engines = new Engine[strategies.length];
        try {
            for (int i = 0; i < strategies.length; i++) {
                engines[i] = new Engine(TestModels.LLAMA, strategies[i]);
            }
            List<List<long[]>> batches = List.of(
                    List.of(new long[] {1, 100, 101}, new long[] {1, 102}),
                    List.of(new long[] {1, 100, 101, 102, 103}, new long[] {1}, new long[] {1, 104, 105}),
                    List.of(new long[] {1, 100}, new long[] {1, 101}, new long[] {1, 102, 103}, new long[] {1, 104, 105, 106}));
            // ONNX Runtime's arenas grow over the first few hundred batches of new shapes (measured: +20 to +50 MB over
            // 1,200 batches after a warm-up of 120; within -3 to +6 MB after a warm-up of 600), so the warm-up is long.
            assertFlat(600, 1200, "batches",
                    i -> engines[i % engines.length].generator().generate(batches.get(i % 3), 6, true, Sampler.greedy(), null));
        } finally {
            close(engines);
        }
    }

    private static void close(Engine[] engines) {
        for (Engine e : engines) {
            if (e != null) {
                e.close();
            }
        }
    }
}
