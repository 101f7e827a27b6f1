package dev.kvbench.decode;

import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many generations in one JVM keep the resident set flat, strategy by strategy: every OnnxTensor, Result and buffer
 * is released. A leak of one step's tensors per generation (a present KV of this model is 24 KiB and up) would add
 * tens of MB.
 */
class NativeMemoryTest {
    static long residentKb() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
    }

    /**
     * Runs {@code run(i)} {@code warmup} times, then {@code measured} times, and asserts the resident set grew by less
     * than {@code boundKb}.
     */
    static void assertFlat(int warmup, int measured, String what, long boundKb, java.util.function.IntConsumer run) throws IOException {
        for (int i = 0; i < warmup; i++) {
            run.accept(i);
            collectEvery(i);
        }
        System.gc();
        long before = residentKb();
        for (int i = 0; i < measured; i++) {
            run.accept(i);
            collectEvery(i);
        }
        System.gc();
        long after = residentKb();
        // The test JVM's heap is committed and touched whole at start (-Xms = -Xmx, AlwaysPreTouch: see pom.xml), so
        // kv-copy's heap copies cannot make the resident set grow: what grows is native memory.
        System.out.printf("resident set: %d KiB after warm-up, %d KiB after %d %s%n", before, after, measured, what);
        assertTrue(after - before < boundKb, what + ": resident set grew by " + (after - before) + " KiB (bound " + boundKb + ")");
    }

    /**
     * A collection every {@value #COLLECT_EVERY} runs, in warm-up and measurement alike. The memory behind a tensor
     * made from a Java buffer (kv-copy's every step) is freed when the collector finds it unreachable; with a 2 GiB heap
     * that can take thousands of steps, and the allocator keeps the high-water mark of that backlog. Unbounded, how high
     * the backlog rises depends on when the collector happens to run (in a fresh JVM, kv-copy then "grew" 15 MiB
     * after 450 generations of warm-up); bounded the same way in both phases, what still grows is memory that stays
     * referenced: a leak.
     */
    static final int COLLECT_EVERY = 50;

    private static void collectEvery(int i) {
        if (i % COLLECT_EVERY == COLLECT_EVERY - 1) {
            System.gc();
        }
    }

    /**
     * Per strategy, 600 generations after {@value #WARMUP} of warm-up: a leak of one generation's present tensors (about
     * 28 KiB at 14 positions) would add 16 MiB, twice the bound. (Without the collections every {@value #COLLECT_EVERY}
     * runs, kv-copy's backlog of unreachable tensors grew the resident set +10 to +44 MiB over 600 generations after a
     * warm-up of 150, and up to 15 MiB in a fresh JVM after 450; with them every strategy stays within 3 MiB after 450
     * in a fresh JVM, while after 150 kv's arenas still grew 8 to 14 MiB.)
     */
    static final int WARMUP = 450;
    @org.junit.jupiter.params.ParameterizedTest
    // The quantized caches are static-gqa's cache class over int8 buffers of the same lifetime: static-gqa's run covers them.
    @org.junit.jupiter.params.provider.EnumSource(value = Strategy.class, names = {"STATIC_GQA_INT8", "STATIC_GQA_INT4"},
            mode = org.junit.jupiter.params.provider.EnumSource.Mode.EXCLUDE)
    void generationsKeepResidentMemoryFlat(Strategy s) throws IOException {
        long[] prompt = {1, 100, 101, 102, 103, 104, 105, 106};
        try (Engine engine = new Engine(TestModels.LLAMA, s, s == Strategy.HYBRID
                ? EngineOptions.defaults().withHybridThreshold(4) : EngineOptions.defaults())) {
            assertFlat(WARMUP, 600, s + " generations", 8 * 1024,
                    i -> engine.generator().generate(prompt, 6, true, Sampler.greedy(), null));
        }
    }

    static final int BATCH_WARMUP = 600;

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
            // ONNX Runtime's arenas grow over the first few hundred batches of new shapes (measured without the regular
            // collections: +20 to +50 MB over 1,200 batches after a warm-up of 120; within -3 to +6 MB after 600, once
            // +17.6 MB on a loaded machine). A leak of one batch's tensors is megabytes a batch: gigabytes over 1,200.
            assertFlat(BATCH_WARMUP, 1200, "batches", 32 * 1024,
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
