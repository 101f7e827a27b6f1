package dev.kvbench.decode;

import dev.kvbench.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Rewinding a sequence and generating again gives what a fresh generation from the kept columns gives, for every
 * strategy: into the generated tokens (tiny-llama's golden continuation, and tiny-marian's), into the prompt (a
 * shorter prompt's fresh generation), twice in a row, and for a batch of prompts of different lengths.
 */
class RewindTest {
    static final Sampler GREEDY = Sampler.greedy();

    /** Steps {@code n} greedy tokens; returns row 0's. */
    static int[] steps(Generator g, int from, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = g.step(GREEDY, from + i);
        }
        return out;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static void rewindsLikeAFreshGeneration(Path folder, Strategy s, long[] prompt) {
        try (Engine engine = new Engine(folder, s, s == Strategy.HYBRID
                ? EngineOptions.defaults().withHybridThreshold(6) : EngineOptions.defaults())) {
            Generator g = engine.generator();
            int[] fresh = g.generate(prompt, 24, true, GREEDY, null).tokens();
            int start = engine.model().encoderDecoder() ? 1 : prompt.length; // the decoder start token, or the prompt
            g.begin(prompt, 24);
            try {
                int[] first = steps(g, 0, 16);
                assertArrayEquals(Arrays.copyOf(fresh, 16), first, s + " before the rewind");
                g.rewind(start + 5); // keep 5 generated tokens
                assertEquals(start + 5, g.width());
                int[] again = concat(Arrays.copyOf(first, 5), steps(g, 5, 11));
                assertArrayEquals(Arrays.copyOf(fresh, 16), again, s + " after rewinding to 5 generated tokens");
                g.rewind(start + 2); // and again, further back, then to the end
                assertArrayEquals(fresh, concat(Arrays.copyOf(first, 2), steps(g, 2, 22)), s + " after a second rewind");
            } finally {
                g.finish();
            }
            if (!engine.model().encoderDecoder() && prompt.length > 3) { // into the prompt: a shorter prompt's generation
                long[] shorter = Arrays.copyOf(prompt, prompt.length - 2);
                int[] expected = g.generate(shorter, 8, true, GREEDY, null).tokens();
                g.begin(prompt, 12);
                try {
                    steps(g, 0, 4);
                    g.rewind(shorter.length);
                    assertArrayEquals(expected, steps(g, 0, 8), s + " after rewinding into the prompt");
                } finally {
                    g.finish();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void tinyLlama(Strategy s) {
        rewindsLikeAFreshGeneration(TestModels.LLAMA, s, TestModels.golden(TestModels.LLAMA).get(0).promptIds());
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"NO_CACHE", "KV", "KV_ALLOC", "KV_COPY", "HYBRID", "STATIC"})
    void tinyMarian(Strategy s) {
        rewindsLikeAFreshGeneration(TestModels.MARIAN, s, TestModels.golden(TestModels.MARIAN).get(0).promptIds());
    }

    /** Rows of different lengths (holes): rewound to a column after the prompts, every row continues as alone. */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"NO_CACHE", "KV", "KV_ALLOC", "KV_COPY", "STATIC", "STATIC_GQA"})
    void aBatchWithHoles(Strategy s) {
        List<long[]> prompts = List.of(new long[] {1, 100, 101, 102, 103}, new long[] {1, 200}, new long[] {1, 300, 301});
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            Generator g = engine.generator();
            int[][] fresh = g.generate(prompts, 12, true, GREEDY, null).tokens();
            g.begin(prompts, 12);
            try {
                List<long[]> chosen = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    g.step(GREEDY, i);
                    chosen.add(g.lastTokens());
                }
                g.rewind(5 + 3); // the longest prompt, then 3 tokens
                for (int i = 3; i < 12; i++) {
                    g.step(GREEDY, i);
                    long[] t = g.lastTokens();
                    for (int r = 0; r < prompts.size(); r++) {
                        assertEquals(fresh[r][i], t[r], s + " row " + r + " step " + i);
                    }
                }
                assertThrows(IllegalArgumentException.class, () -> g.rewind(4), "not into padded prompts");
            } finally {
                g.finish();
            }
        }
    }
}
