package dev.kvbench.decode;

import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A conversation continued over the kept cache gives, turn by turn, the replies of new generations over the whole
 * history: every strategy, greedy and with a seeded sampler; the first reply is the golden continuation.
 */
class ConversationTest {
    @ParameterizedTest
    @EnumSource(Strategy.class)
    void turnsOverTheKeptCacheReplyAsGenerationsOverTheWholeHistory(Strategy s) {
        TestModels.Golden g = TestModels.golden(TestModels.LLAMA).get(1);
        List<long[]> turns = List.of(g.promptIds(), new long[] {100, 101, 102, 103}, new long[] {200, 201}, new long[] {300});
        try (Engine engine = new Engine(TestModels.LLAMA, s, s == Strategy.HYBRID
                ? EngineOptions.defaults().withHybridThreshold(6) : EngineOptions.defaults())) {
            List<int[]> kept = Conversation.replies(engine.generator(), turns, 7, true, Sampler.greedy(), true);
            List<int[]> again = Conversation.replies(engine.generator(), turns, 7, true, Sampler.greedy(), false);
            assertEquals(4, kept.size());
            for (int t = 0; t < turns.size(); t++) {
                assertArrayEquals(again.get(t), kept.get(t), s + " turn " + t);
            }
            if (!s.quantizedCache()) { // a quantized cache's rounding changes tokens (QuantizedCacheTest holds its bounds)
                assertArrayEquals(java.util.Arrays.copyOf(g.generated(), 7), kept.get(0), s + ": the first reply is the golden one");
            }
            Sampler seeded = new Sampler(0.9, 20, 1.0, 7);
            List<int[]> sampledKept = Conversation.replies(engine.generator(), turns, 5, true, seeded, true);
            List<int[]> sampledAgain = Conversation.replies(engine.generator(), turns, 5, true, new Sampler(0.9, 20, 1.0, 7), false);
            for (int t = 0; t < turns.size(); t++) {
                assertArrayEquals(sampledAgain.get(t), sampledKept.get(t), s + " sampled turn " + t);
            }
            assertThrows(KvbenchException.class, () -> Conversation.replies(engine.generator(), List.of(), 4, true,
                    Sampler.greedy(), true));
            assertThrows(KvbenchException.class, () -> Conversation.replies(engine.generator(),
                    List.of(new long[] {1}, new long[0]), 4, true, Sampler.greedy(), true));
            assertThrows(KvbenchException.class, () -> Conversation.replies(engine.generator(),
                    List.of(new long[] {1}, new long[] {999_999}), 4, true, Sampler.greedy(), true), "out of vocabulary");
        }
    }
}
