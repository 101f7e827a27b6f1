package dev.kvbench.decode;

import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PerplexityTest {
    @Test
    void fullPassAndIncrementalAgree() {
        TestModels.Golden g = TestModels.golden(TestModels.LLAMA).get(5);
        long[] ids = new long[g.promptIds().length + 64];
        System.arraycopy(g.promptIds(), 0, ids, 0, g.promptIds().length);
        for (int i = 0; i < 64; i++) {
            ids[g.promptIds().length + i] = g.generated()[i];
        }
        double full;
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.NO_CACHE)) {
            full = Perplexity.fullPass(engine.generator(), ids);
        }
        for (Strategy s : new Strategy[] {Strategy.KV, Strategy.STATIC, Strategy.STATIC_GQA}) {
            try (Engine engine = new Engine(TestModels.LLAMA, s)) {
                double incremental = Perplexity.incremental(engine.generator(), ids);
                assertEquals(full, incremental, full * 1e-4, s.id());
            }
        }
        // The model's own greedy continuation is far more likely than uniform over 4096 tokens.
        assertTrue(full > 1 && full < 4096, "perplexity " + full);
    }
}
