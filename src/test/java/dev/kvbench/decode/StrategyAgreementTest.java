package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static dev.kvbench.decode.GoldenTest.generate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Every strategy emits the same token ids for six prompts at new-token counts 1, 16, 64 and 256 (each count a
 * generation of its own: a static cache's capacity depends on it; the 512-token generations of the same six prompts
 * are GoldenTest's, for every strategy on both models and both Marian decoder layouts), static ones also at 1024, and
 * seeded sampling draws the same tokens under every strategy.
 */
class StrategyAgreementTest {
    static final int[] COUNTS = {1, 16, 64, 256};

    static List<long[]> prompts(Path folder) {
        return TestModels.golden(folder).stream().filter(TestModels.Golden::ignoreEos).map(TestModels.Golden::promptIds).toList();
    }

    /** The golden (PyTorch, 512 tokens, EOS ignored) continuation of each prompt. */
    static List<int[]> golden(Path folder) {
        return TestModels.golden(folder).stream().filter(TestModels.Golden::ignoreEos).map(TestModels.Golden::generated).toList();
    }

    static void assertCounts(Path folder, Strategy strategy, Layout.DecoderFiles files, int[] counts) {
        List<long[]> prompts = prompts(folder);
        List<int[]> golden = golden(folder);
        assertEquals(6, prompts.size());
        try (Engine engine = new Engine(folder, strategy, EngineOptions.defaults().withDecoderFiles(files))) {
            for (int p = 0; p < prompts.size(); p++) {
                for (int n : counts) {
                    int[] expected = Arrays.copyOf(golden.get(p), n);
                    int pp = p;
                    assertArrayEquals(expected, generate(engine, prompts.get(p), n, true),
                            () -> strategy + " on " + folder.getFileName() + " prompt " + pp + " at " + n + " tokens");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"NO_CACHE", "STATIC_GQA_INT8", "STATIC_GQA_INT4"}, mode = EnumSource.Mode.EXCLUDE) // lossy: QuantizedCacheTest
    void tinyLlamaCachedStrategies(Strategy s) {
        assertCounts(TestModels.LLAMA, s, Layout.DecoderFiles.AUTO, COUNTS);
    }

    @Test
    void noCacheAtShortCounts() {
        // 512 tokens of no-cache on all six tiny-llama prompts run in GoldenTest (greedy: their prefixes are the 256-token
        // runs); here the short counts as generations of their own, and tiny-marian's (its 512 runs once in GoldenTest).
        assertCounts(TestModels.LLAMA, Strategy.NO_CACHE, Layout.DecoderFiles.AUTO, new int[] {1, 16, 64});
        assertCounts(TestModels.MARIAN, Strategy.NO_CACHE, Layout.DecoderFiles.MERGED, new int[] {1, 16, 64});
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "KV_ALLOC", "KV_COPY", "HYBRID"})
    void tinyMarianCachedStrategies(Strategy s) {
        assertCounts(TestModels.MARIAN, s, Layout.DecoderFiles.MERGED, COUNTS);
    }

    @Test
    void tinyMarianSplitDecoder() {
        assertCounts(TestModels.MARIAN, Strategy.KV, Layout.DecoderFiles.SPLIT, COUNTS);
    }

    @Test
    void staticStrategiesMatchKvAt1024Tokens() {
        List<long[]> prompts = prompts(TestModels.LLAMA);
        try (Engine kv = new Engine(TestModels.LLAMA, Strategy.KV);
             Engine st = new Engine(TestModels.LLAMA, Strategy.STATIC);
             Engine gqa = new Engine(TestModels.LLAMA, Strategy.STATIC_GQA)) {
            for (long[] prompt : prompts) {
                int[] expected = generate(kv, prompt, 1024, true);
                assertEquals(1024, expected.length);
                assertArrayEquals(expected, generate(st, prompt, 1024, true), "static at 1024");
                assertArrayEquals(expected, generate(gqa, prompt, 1024, true), "static-gqa at 1024");
            }
        }
    }

    static int[] sample(Strategy s, long seed) {
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            return engine.generator().generate(prompts(TestModels.LLAMA).get(2), 48, true, new Sampler(0.9, 50, 0.95, seed), null).tokens();
        }
    }

    @Test
    void seededSamplingRepeatsAndDependsOnTheSeed() {
        long[] prompt = prompts(TestModels.LLAMA).get(2);
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.KV)) {
            Sampler sampler = new Sampler(0.9, 50, 0.95, 7);
            int[] reference = engine.generator().generate(prompt, 48, true, sampler, null).tokens();
            int[] again = engine.generator().generate(prompt, 48, true, sampler, null).tokens();
            assertArrayEquals(reference, again, "same seed, same engine");
            int[] otherSeed = engine.generator().generate(prompt, 48, true, new Sampler(0.9, 50, 0.95, 8), null).tokens();
            assertNotEquals(Arrays.toString(reference), Arrays.toString(otherSeed), "another seed draws other tokens");
            assertNotEquals(Arrays.toString(reference), Arrays.toString(Arrays.copyOf(golden(TestModels.LLAMA).get(2), 48)),
                    "sampling at temperature 0.9 is not greedy decoding");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "STATIC_GQA_INT8", "STATIC_GQA_INT4"}, mode = EnumSource.Mode.EXCLUDE) // lossy
    void seededSamplingIsTheSameAsKv(Strategy s) {
        assertArrayEquals(sample(Strategy.KV, 7), sample(s, 7), s + " sampled differently from kv");
    }
}
