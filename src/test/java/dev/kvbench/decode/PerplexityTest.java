package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.verify.StrategyCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PerplexityTest {
    /** A prompt and the model's own 64-token greedy continuation (from the golden file). */
    static long[] text() {
        TestModels.Golden g = TestModels.golden(TestModels.LLAMA).get(5);
        long[] ids = new long[g.promptIds().length + 64];
        System.arraycopy(g.promptIds(), 0, ids, 0, g.promptIds().length);
        for (int i = 0; i < 64; i++) {
            ids[g.promptIds().length + i] = g.generated()[i];
        }
        return ids;
    }

    static double fullPass() {
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.NO_CACHE)) {
            return Perplexity.fullPass(engine.generator(), text());
        }
    }

    /** The same prompt followed by 64 tokens the model did not choose (a fixed pseudo-random sequence). */
    static long[] unlikelyText() {
        long[] ids = text();
        int prompt = TestModels.golden(TestModels.LLAMA).get(5).promptIds().length;
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        for (int i = prompt; i < ids.length; i++) {
            ids[i] = 3 + random.nextInt(4093);
        }
        return ids;
    }

    @Test
    void theModelsOwnContinuationIsFarMoreLikelyThanRandomTokens() {
        double own = fullPass();
        double random;
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.NO_CACHE)) {
            random = Perplexity.fullPass(engine.generator(), unlikelyText());
        }
        // A scoring bug (wrong row of the logits, an off-by-one target) makes the two similar; a right one is ~100x apart.
        assertTrue(own > 1 && own * 10 < random, "perplexity of the greedy continuation " + own + ", of random tokens " + random);
    }

    /** Every strategy, no-cache included: one token per step through its cache (no-cache: the whole prefix each step). */
    @ParameterizedTest
    @EnumSource(Strategy.class)
    void incrementalAgreesWithTheFullPass(Strategy s) {
        double full = fullPass();
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            // An int8 cache rounds every key and value: held to its stated bound (it keeps 0.24% here), the rest to 1e-4.
            double bound = s.quantizedCache() ? StrategyCheck.QUANTIZED_CACHE_PERPLEXITY : 1e-4;
            assertEquals(full, Perplexity.incremental(engine.generator(), text()), full * bound, s.id());
        }
    }
}
