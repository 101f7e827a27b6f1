package dev.kvbench.decode;

import dev.kvbench.TestModels;
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

    @Test
    void fullPassIsPlausible() {
        double full = fullPass();
        // The model's own greedy continuation is far more likely than uniform over 4096 tokens.
        assertTrue(full > 1 && full < 4096, "perplexity " + full);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = "NO_CACHE", mode = EnumSource.Mode.EXCLUDE)
    void incrementalAgreesWithTheFullPass(Strategy s) {
        double full = fullPass();
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            assertEquals(full, Perplexity.incremental(engine.generator(), text()), full * 1e-4, s.id());
        }
    }
}
