package dev.kvbench.decode;


import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import dev.kvbench.runtime.OrtRuntime;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prompts assumed cached (the long-context step measurements): the first step runs at the prompt's context over a
 * fresh cache's zero entries. The reference is the export itself, run directly with zero pasts of that length, the
 * last prompt token at its position: each strategy's first-step logits must be that run's.
 */
class AssumedPromptTest {
    static final int CONTEXT = 300;

    /** The export's logits for the last prompt token over {@code length} zero past positions, one row. */
    private static float[] referenceLogits(long token, int length) throws Exception {
        OrtRuntime rt = new OrtRuntime(1);
        int kvHeads = 2;
        int headDim = 32;
        FloatBuffer zeros = FloatBuffer.allocate(kvHeads * length * headDim);
        try (OrtSession s = rt.open(TestModels.LLAMA.resolve("model.onnx"));
             OnnxTensor past = OnnxTensor.createTensor(rt.env(), zeros, new long[] {1, kvHeads, length, headDim});
             OnnxTensor ids = OnnxTensor.createTensor(rt.env(), new long[][] {{token}});
             OnnxTensor mask = OnnxTensor.createTensor(rt.env(), new long[][] {java.util.stream.LongStream.generate(() -> 1)
                     .limit(length + 1).toArray()});
             OnnxTensor pos = OnnxTensor.createTensor(rt.env(), new long[][] {{length}})) {
            Map<String, OnnxTensor> in = new HashMap<>(Map.of("input_ids", ids, "attention_mask", mask, "position_ids", pos));
            for (int i = 0; i < 4; i++) {
                in.put("past_key_values." + i + ".key", past);
                in.put("past_key_values." + i + ".value", past);
            }
            try (OrtSession.Result r = s.run(in)) {
                float[][][] logits = (float[][][]) ((OnnxTensor) r.get("logits").orElseThrow()).getValue();
                return logits[0][0];
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "STATIC_GQA", "STATIC_GQA_INT8"})
    void theFirstStepIsTheExportsStepOverZeroEntries(Strategy strategy) throws Exception {
        long[] prompt = FixedPrompts.prompt(CONTEXT, 4096, 1, 2, false);
        float[] reference = referenceLogits(prompt[CONTEXT - 1], CONTEXT - 1);
        float[][] seen = new float[3][];
        NextToken record = (logits, row, step) -> {
            float[] v = new float[logits.vocab()];
            for (int t = 0; t < v.length; t++) {
                v[t] = logits.get(t);
            }
            seen[row] = v;
            return Sampler.greedy().choose(logits, row, step);
        };
        try (Engine engine = new Engine(TestModels.LLAMA, strategy, EngineOptions.defaults().withAssumedPrompt(true))) {
            Generator gen = engine.generator();
            gen.begin(List.of(prompt, prompt, prompt), 4);
            assertEquals(CONTEXT - 1, gen.cacheColumns(), "every prompt column but the last is taken as cached");
            gen.step(record, 0);
            assertEquals(CONTEXT, gen.cacheColumns(), "the first step feeds one column");
            for (int step = 1; step < 4; step++) {
                gen.step(Sampler.greedy(), step);
            }
            assertEquals(CONTEXT + 3, gen.cacheColumns());
            gen.finish();
        }
        // A float cache computes the export's function (different kernels: a float32 rounding apart); the int8 cache
        // holds the zeros exactly and rounds only the new entries (measured: 0, 5e-6, 0.015).
        double tolerance = strategy == Strategy.STATIC_GQA_INT8 ? 0.05 : 1e-3;
        for (int row = 0; row < 3; row++) {
            double max = 0;
            for (int t = 0; t < reference.length; t++) {
                max = Math.max(max, Math.abs(seen[row][t] - reference[t]));
            }
            assertTrue(max < tolerance, strategy + " row " + row + ": max |dlogit| " + max + " against the export's step");
        }
    }

    @Test
    void refusalsAreOneLine() {
        long[] prompt = FixedPrompts.prompt(16, 4096, 1, 2, false);
        EngineOptions assumed = EngineOptions.defaults().withAssumedPrompt(true);
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.STATIC, assumed)) {
            StrategyUnavailableException e = assertThrows(StrategyUnavailableException.class,
                    () -> engine.generator().generate(prompt, 4, true, Sampler.greedy(), null));
            assertTrue(e.getMessage().startsWith("static cannot start from an assumed prompt"), e.getMessage());
            assertEquals(Strategy.STATIC, e.strategy());
        }
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.STATIC_GQA, assumed)) {
            KvbenchException e = assertThrows(KvbenchException.class, () -> engine.generator()
                    .generate(List.of(prompt, java.util.Arrays.copyOf(prompt, 15)), 4, true, Sampler.greedy(), null));
            assertTrue(e.getMessage().contains("prompts of one length"), e.getMessage());
            e = assertThrows(KvbenchException.class,
                    () -> engine.generator().generate(new long[] {1}, 4, true, Sampler.greedy(), null));
            assertTrue(e.getMessage().contains("at least 2 tokens"), e.getMessage());
        }
        KvbenchException e = assertThrows(KvbenchException.class, () -> new Engine(TestModels.MARIAN, Strategy.KV, assumed));
        assertTrue(e.getMessage().contains("decoder-only"), e.getMessage());
    }
}
