package dev.kvbench.decode;

import dev.kvbench.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slots (continuous batching on a cache with a length per row): requests join a running batch in a free slot, leave
 * at their own token limit, and a freed slot takes the next request; each request's greedy tokens are those it gets
 * decoded alone, whatever joined or left beside it.
 */
class SlotsTest {
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC_GQA", "STATIC_GQA_INT8", "STATIC_GQA_INT4"})
    void requestsJoiningAndLeavingGetTheirTokensAlone(Strategy s) {
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            Generator g = engine.generator();
            assertTrue(g.admitsRows());
            List<long[]> prompts = List.of(prompt(g, 7, 0), prompt(g, 19, 1), prompt(g, 3, 2), prompt(g, 30, 3));
            int[] limits = {5, 9, 4, 6};
            List<int[]> alone = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                alone.add(g.generate(prompts.get(i), limits[i], true, Sampler.greedy(), null).tokens());
            }
            // 2 slots, 4 requests: 0 and 1 start 2 steps apart; 2 takes 0's slot when it leaves; 3 takes the next free.
            g.openSlots(2, 64);
            List<List<Integer>> got = new ArrayList<>();
            prompts.forEach(p -> got.add(new ArrayList<>()));
            int[] in = {-1, -1};
            int next = 0;
            for (int step = 0; step < 40 && (next < prompts.size() || in[0] >= 0 || in[1] >= 0); step++) {
                for (int slot = 0; slot < 2; slot++) {
                    boolean join = in[slot] < 0 && next < prompts.size() && (next != 1 || step >= 2);
                    if (join) {
                        in[slot] = next;
                        got.get(next).add(g.admit(slot, prompts.get(next), limits[next], Sampler.greedy()));
                        next++;
                    }
                }
                for (int slot = 0; slot < 2; slot++) { // a request at its limit leaves before the step
                    if (in[slot] >= 0 && got.get(in[slot]).size() == limits[in[slot]]) {
                        g.release(slot);
                        in[slot] = -1;
                    }
                }
                if (in[0] < 0 && in[1] < 0) {
                    continue;
                }
                long[] tokens = g.stepSlots(Sampler.greedy(), step);
                for (int slot = 0; slot < 2; slot++) {
                    if (in[slot] >= 0) {
                        got.get(in[slot]).add((int) tokens[slot]);
                    }
                }
            }
            g.finish();
            for (int i = 0; i < prompts.size(); i++) {
                int[] tokens = got.get(i).stream().mapToInt(Integer::intValue).toArray();
                assertArrayEquals(alone.get(i), tokens, s + " request " + i + ": " + Arrays.toString(tokens));
            }
        }
    }

    /** The fixed prompt of {@code length} tokens with its tokens after the first varied by {@code i}. */
    static long[] prompt(Generator g, int length, int i) {
        long[] p = FixedPrompts.prompt(g.model(), length);
        long[] tail = FixedPrompts.continuations(g.model(), i + 1, length - 1).get(i);
        System.arraycopy(tail, 0, p, 1, tail.length);
        return p;
    }

    @Test
    void strategiesWithSharedColumnsHaveNoSlots() {
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.KV)) {
            assertFalse(engine.generator().admitsRows());
            assertThrows(StrategyUnavailableException.class, () -> engine.generator().openSlots(2, 32));
        }
        try (Engine engine = new Engine(TestModels.MARIAN, Strategy.KV)) {
            assertFalse(engine.generator().admitsRows());
        }
    }
}
