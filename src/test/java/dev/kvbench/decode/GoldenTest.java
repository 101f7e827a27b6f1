package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine reproduces the PyTorch golden outputs exactly, under every strategy, for the bundled models and the
 * Hugging Face fixture. no-cache is O(n^2): on tiny-llama it runs every case in full (six 512-token generations, in
 * {@link NoCacheGoldenTest}); elsewhere every case's first 128 tokens and one case in full.
 */
class GoldenTest {
    static final int NO_CACHE_PREFIX = 128;

    static int[] generate(Engine engine, long[] prompt, int n, boolean ignoreEos) {
        return engine.generator().generate(prompt, n, ignoreEos, Sampler.greedy(), null).tokens();
    }

    static void assertReproduces(Path folder, Strategy strategy, Layout.DecoderFiles files) {
        assertReproduces(folder, strategy, files, false);
    }

    static void assertReproduces(Path folder, Strategy strategy, Layout.DecoderFiles files, boolean noCacheInFull) {
        assertReproduces(folder, strategy, files, noCacheInFull ? null : java.util.Set.of(0));
    }

    /**
     * The goldens of {@code folder}; no-cache runs the cases in {@code noCacheInFull} (indexes; null: every case) and
     * those of at most {@link #NO_CACHE_PREFIX} tokens in full, the others' first {@link #NO_CACHE_PREFIX} tokens.
     */
    static void assertReproduces(Path folder, Strategy strategy, Layout.DecoderFiles files, java.util.Set<Integer> noCacheInFull) {
        List<TestModels.Golden> cases = TestModels.golden(folder);
        try (Engine engine = new Engine(folder, strategy, EngineOptions.defaults().withDecoderFiles(files))) {
            for (int i = 0; i < cases.size(); i++) {
                TestModels.Golden g = cases.get(i);
                boolean full = strategy != Strategy.NO_CACHE || noCacheInFull == null || noCacheInFull.contains(i)
                        || g.maxNewTokens() <= NO_CACHE_PREFIX;
                int n = full ? g.maxNewTokens() : NO_CACHE_PREFIX;
                int[] expected = full ? g.generated() : Arrays.copyOf(g.generated(), Math.min(n, g.generated().length));
                int[] actual = generate(engine, g.promptIds(), n, g.ignoreEos());
                assertArrayEquals(expected, actual, () -> strategy + " / " + files + " on " + folder.getFileName()
                        + ", prompt " + Arrays.toString(g.promptIds()) + ", " + n + " tokens");
            }
        }
    }

    @ParameterizedTest
    // lossy: QuantizedCacheTest; no-cache's six 512-token generations (a minute, O(n^2)): NoCacheGoldenTest, a class of
    // its own so that the two test JVMs can run it beside these.
    @EnumSource(value = Strategy.class, names = {"NO_CACHE", "STATIC_GQA_INT8", "STATIC_GQA_INT4"}, mode = EnumSource.Mode.EXCLUDE)
    void tinyLlama(Strategy s) {
        assertReproduces(TestModels.LLAMA, s, Layout.DecoderFiles.AUTO, true);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "KV_ALLOC", "KV_COPY", "HYBRID", "STATIC", "NO_CACHE"})
    void tinyMarianMerged(Strategy s) {
        assertReproduces(TestModels.MARIAN, s, Layout.DecoderFiles.MERGED);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "KV_ALLOC", "KV_COPY", "HYBRID", "STATIC", "NO_CACHE"})
    void tinyMarianSplit(Strategy s) {
        assertReproduces(TestModels.MARIAN, s, Layout.DecoderFiles.SPLIT);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "KV_ALLOC", "KV_COPY", "HYBRID", "NO_CACHE"})
    void huggingFaceFixture(Strategy s) {
        assertReproduces(TestModels.hfQwen2(), s, Layout.DecoderFiles.AUTO);
    }

    @Test
    void goldenFilesHoldEnoughCases() {
        for (Path folder : List.of(TestModels.LLAMA, TestModels.MARIAN)) {
            List<TestModels.Golden> cases = TestModels.golden(folder);
            assertEquals(12, cases.size());
            assertEquals(6, cases.stream().filter(TestModels.Golden::ignoreEos).filter(g -> g.generated().length == 512).count());
            assertEquals(6, cases.stream().filter(g -> !g.ignoreEos()).count());
        }
    }
}
