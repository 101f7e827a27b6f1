package dev.kvbench.decode;


import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.kvbench.TestModels;
import dev.kvbench.cache.CapacityExceededException;
import dev.kvbench.model.Layout;
import dev.kvbench.model.VariantUnavailableException;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.runtime.Tensors;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The step sequences that used to break, run explicitly. */
class CacheStepsTest {

    /**
     * The merged decoder's failure mode: step 0 on the no-past branch (use_cache_branch = false, zero-length pasts),
     * steps 1 and 2 on the with-past branch, where wrong past shapes or a wrong flag gave
     * "Reshape node ... dimension with value zero" at the third step. Merged and split must agree token for token.
     */
    @Test
    void mergedDecoderBranchSequenceMatchesSplit() {
        TestModels.Golden g = TestModels.golden(TestModels.MARIAN).get(0);
        int[][] tokens = new int[2][3];
        Layout.DecoderFiles[] files = {Layout.DecoderFiles.MERGED, Layout.DecoderFiles.SPLIT};
        for (int f = 0; f < 2; f++) {
            try (Engine engine = new Engine(TestModels.MARIAN, Strategy.KV, EngineOptions.defaults().withDecoderFiles(files[f]))) {
                Generator gen = engine.generator();
                gen.begin(g.promptIds(), 3);
                assertEquals(0, gen.cacheColumns(), "step 0 runs with an empty past (no-past branch)");
                for (int step = 0; step < 3; step++) {
                    tokens[f][step] = gen.step(Sampler.greedy(), step);
                    assertEquals(step + 1, gen.cacheColumns(), "after step " + step + " the cache holds " + (step + 1));
                }
                gen.finish();
            }
        }
        assertArrayEquals(java.util.Arrays.copyOf(g.generated(), 3), tokens[0]);
        assertArrayEquals(tokens[0], tokens[1]);
    }

    /** A zero-length past, [1, kvHeads, 0, headDim] over an empty direct buffer, is valid first-step input. */
    @Test
    void firstStepWithZeroLengthPast() throws Exception {
        OrtRuntime rt = new OrtRuntime(1);
        try (OrtSession s = rt.open(TestModels.LLAMA.resolve("model.onnx"));
             OnnxTensor empty = Tensors.emptyPast(rt.env(), 1, 2, 32);
             OnnxTensor ids = OnnxTensor.createTensor(rt.env(), new long[][] {{1, 100, 101}});
             OnnxTensor mask = OnnxTensor.createTensor(rt.env(), new long[][] {{1, 1, 1}});
             OnnxTensor pos = OnnxTensor.createTensor(rt.env(), new long[][] {{0, 1, 2}})) {
            Map<String, OnnxTensor> in = new HashMap<>(Map.of("input_ids", ids, "attention_mask", mask, "position_ids", pos));
            for (int i = 0; i < 4; i++) {
                in.put("past_key_values." + i + ".key", empty);
                in.put("past_key_values." + i + ".value", empty);
            }
            try (OrtSession.Result r = s.run(in)) {
                assertArrayEquals(new long[] {1, 2, 3, 32}, ((OnnxTensor) r.get("present.3.value").orElseThrow()).getInfo().getShape());
                assertArrayEquals(new long[] {1, 3, 4096}, ((OnnxTensor) r.get("logits").orElseThrow()).getInfo().getShape());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC", "STATIC_GQA", "KV", "HYBRID"})
    void capacityOverflowIsAClearError(Strategy s) {
        long[] prompt = TestModels.golden(TestModels.LLAMA).get(0).promptIds();
        try (Engine engine = new Engine(TestModels.LLAMA, s, EngineOptions.defaults().withCacheCapacity(8))) {
            CapacityExceededException e = assertThrows(CapacityExceededException.class,
                    () -> engine.generator().generate(prompt, 20, true, Sampler.greedy(), null));
            // Refused before the first step: the last token is never fed back, so prompt + new - 1 positions are needed.
            assertEquals("prompt of " + prompt.length + " tokens + 20 new tokens need " + (prompt.length + 19)
                    + " cache positions, beyond cache capacity 8", e.getMessage());
            assertEquals(8, e.capacity());
            assertEquals(prompt.length + 19, e.need());
            // The engine is still usable afterwards, up to its capacity exactly.
            int fits = 8 - prompt.length + 1;
            assertEquals(fits, engine.generator().generate(prompt, fits, true, Sampler.greedy(), null).tokens().length);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC", "STATIC_GQA", "KV", "HYBRID"})
    void preallocatedCachesResizeThemselvesPerGeneration(Strategy s) {
        // No capacity given: each generation sizes the cache to prompt + new tokens, growing and shrinking.
        long[] prompt = TestModels.golden(TestModels.LLAMA).get(0).promptIds();
        int[] golden = TestModels.golden(TestModels.LLAMA).get(0).generated();
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            for (int n : new int[] {40, 4, 64, 4}) {
                assertArrayEquals(java.util.Arrays.copyOf(golden, n),
                        engine.generator().generate(prompt, n, true, Sampler.greedy(), null).tokens(), s + " at " + n);
            }
        }
    }

    @Test
    void staticStrategiesNeedTheirVariantFile() {
        Path qwen2 = TestModels.hfQwen2();
        VariantUnavailableException e = assertThrows(VariantUnavailableException.class, () -> new Engine(qwen2, Strategy.STATIC));
        assertTrue(e.getMessage().endsWith("model_static.onnx is not in hf-qwen2-3layer"), e.getMessage());
        assertTrue(e.variant().derivable(e.layout()));
        e = assertThrows(VariantUnavailableException.class, () -> new Engine(TestModels.MARIAN, Strategy.STATIC_GQA));
        assertTrue(e.getMessage().contains("decoder-only"), e.getMessage());
        assertFalse(e.variant().derivable(e.layout()));
    }

    @Test
    void hybridSwitchesAtTheThreshold() {
        long[] prompt = {1, 100};
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.HYBRID, EngineOptions.defaults().withHybridThreshold(5))) {
            Generator gen = engine.generator();
            gen.begin(prompt, 8);
            int[] lengths = new int[8];
            for (int i = 0; i < 8; i++) {
                gen.step(Sampler.greedy(), i);
                lengths[i] = gen.cacheColumns();
            }
            gen.finish();
            // Sequence lengths 2, 3, 4 feed everything and keep nothing; at 5 one pass builds the cache.
            assertArrayEquals(new int[] {0, 0, 0, 5, 6, 7, 8, 9}, lengths);
        }
    }
}
