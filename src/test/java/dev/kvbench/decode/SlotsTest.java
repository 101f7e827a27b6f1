package dev.kvbench.decode;

import dev.kvbench.TestModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
            SlotBatch slots = g.openSlots(2, 64);
            List<List<Integer>> got = new ArrayList<>();
            prompts.forEach(p -> got.add(new ArrayList<>()));
            int[] in = {-1, -1};
            int next = 0;
            for (int step = 0; step < 40 && (next < prompts.size() || in[0] >= 0 || in[1] >= 0); step++) {
                for (int slot = 0; slot < 2; slot++) {
                    boolean join = in[slot] < 0 && next < prompts.size() && (next != 1 || step >= 2);
                    if (join) {
                        in[slot] = next;
                        got.get(next).add(slots.admit(slot, prompts.get(next), limits[next], Sampler.greedy()));
                        next++;
                    }
                }
                for (int slot = 0; slot < 2; slot++) { // a request at its limit leaves before the step
                    if (in[slot] >= 0 && got.get(in[slot]).size() == limits[in[slot]]) {
                        slots.release(slot);
                        in[slot] = -1;
                    }
                }
                if (in[0] < 0 && in[1] < 0) {
                    continue;
                }
                long[] tokens = slots.step(Sampler.greedy(), step);
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

    /** A prompt computed into its slot in chunks (while another slot decodes) gives the tokens it gets whole. */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC_GQA", "STATIC_GQA_INT8"})
    void aPromptInChunksGivesTheTokensOfTheWholePrompt(Strategy s) {
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            Generator g = engine.generator();
            long[] a = prompt(g, 9, 0);
            long[] b = prompt(g, 23, 1);
            int[] aloneA = g.generate(a, 12, true, Sampler.greedy(), null).tokens();
            int[] aloneB = g.generate(b, 6, true, Sampler.greedy(), null).tokens();
            SlotBatch slots = g.openSlots(2, 40);
            List<Integer> gotA = new ArrayList<>();
            List<Integer> gotB = new ArrayList<>();
            gotA.add(slots.admit(0, a, 12, Sampler.greedy()));
            int done = 0;
            for (int step = 0; gotA.size() < 12 || gotB.size() < 6; step++) {
                if (done < b.length) { // b's prompt 5 tokens per step boundary while a decodes
                    int to = Math.min(b.length, done + 5);
                    int first = slots.admit(1, b, done, to, 6, Sampler.greedy());
                    assertEquals(to == b.length, first >= 0);
                    if (first >= 0) {
                        gotB.add(first);
                    }
                    done = to;
                }
                if (gotA.size() == 12 && !slots.free(0)) {
                    slots.release(0);
                }
                if (gotB.size() == 6 && !slots.free(1)) {
                    slots.release(1);
                }
                if (slots.free(0) && slots.free(1)) {
                    break;
                }
                long[] t = slots.step(Sampler.greedy(), step);
                if (!slots.free(0)) {
                    gotA.add((int) t[0]);
                }
                if (!slots.free(1) && gotB.size() > 0) {
                    gotB.add((int) t[1]);
                }
            }
            g.finish();
            assertArrayEquals(aloneA, gotA.stream().mapToInt(Integer::intValue).toArray(), s + " a");
            assertArrayEquals(aloneB, gotB.stream().mapToInt(Integer::intValue).toArray(), s + " b, in chunks");
        }
    }

    /**
     * A prompt cache: b's prompt starts with a's; a's slot's first positions are copied into b's slot (a still
     * decoding, then again after a was freed: a freed slot keeps what it holds) and b computes only the rest: the
     * tokens b gets alone.
     */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC_GQA", "STATIC_GQA_INT8"})
    void aCopiedPrefixGivesTheTokensOfTheWholePrompt(Strategy s) {
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            Generator g = engine.generator();
            long[] a = prompt(g, 20, 0);
            long[] b = java.util.Arrays.copyOf(a, 26);
            System.arraycopy(prompt(g, 7, 1), 1, b, 20, 6);
            int[] aloneA = g.generate(a, 5, true, Sampler.greedy(), null).tokens();
            int[] aloneB = g.generate(b, 5, true, Sampler.greedy(), null).tokens();
            SlotBatch slots = g.openSlots(3, 40);
            List<Integer> gotA = new ArrayList<>();
            gotA.add(slots.admit(0, a, 5, Sampler.greedy()));
            gotA.add((int) slots.step(Sampler.greedy(), 0)[0]);
            assertEquals(21, slots.held(0), "a's prompt and its first token fed");
            slots.copy(0, 1, 20);
            assertEquals(20, slots.held(1));
            List<Integer> gotB = new ArrayList<>();
            gotB.add(slots.admit(1, b, 20, b.length, 5, Sampler.greedy()));
            for (int step = 1; gotB.size() < 5; step++) {
                long[] t = slots.step(Sampler.greedy(), step);
                if (gotA.size() < 5) {
                    gotA.add((int) t[0]);
                } else if (!slots.free(0)) {
                    slots.release(0);
                }
                gotB.add((int) t[1]);
            }
            assertArrayEquals(aloneA, gotA.stream().mapToInt(Integer::intValue).toArray(), s + " a");
            assertArrayEquals(aloneB, gotB.stream().mapToInt(Integer::intValue).toArray(), s + " b, its prefix copied");
            // a's slot, freed, still holds a's prompt: b again, from it, into the third slot.
            slots.release(1);
            assertTrue(slots.free(0) && slots.held(0) >= 20, "a freed slot keeps what it holds: " + slots.held(0));
            slots.copy(0, 2, 20);
            slots.keep(1, 7); // slot 1 (b's, freed) keeps only its first 7 positions: a new request writes the rest
            assertEquals(7, slots.held(1));
            assertThrows(IllegalArgumentException.class, () -> slots.keep(1, 8), "more than it holds");
            List<Integer> again = new ArrayList<>();
            again.add(slots.admit(2, b, 20, b.length, 5, Sampler.greedy()));
            for (int step = 10; again.size() < 5; step++) {
                again.add((int) slots.step(Sampler.greedy(), step)[2]);
            }
            g.finish();
            assertArrayEquals(aloneB, again.stream().mapToInt(Integer::intValue).toArray(), s + " b from a freed slot");
            assertThrows(IllegalStateException.class, () -> slots.copy(0, 1, 5), "the slots are closed after finish");
        }
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
