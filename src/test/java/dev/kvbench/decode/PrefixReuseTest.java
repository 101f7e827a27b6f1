package dev.kvbench.decode;

import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Candidates scored given one prompt computed once (rewound after each candidate, or copied into the rows of a batch)
 * score what they score with the prompt computed again for each, and what no-cache's one pass over prompt + candidate gives less the prompt's own
 * part (the reference side: one teacher-forced pass, no cache, no rewind); the ranking is the same.
 */
class PrefixReuseTest {
    /** Candidates of different lengths: the golden continuation's slices, and other ids. */
    static List<long[]> candidates(int[] golden) {
        List<long[]> out = new ArrayList<>();
        out.add(Arrays.stream(Arrays.copyOf(golden, 12)).asLongStream().toArray());
        out.add(new long[] {200, 201, 202, 203, 204, 205, 206});
        out.add(Arrays.stream(Arrays.copyOfRange(golden, 3, 8)).asLongStream().toArray());
        out.add(new long[] {golden[0]});
        out.add(new long[] {300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316});
        return out;
    }

    static void assertClose(double expected, double actual, double relative, String what) {
        assertEquals(expected, actual, relative * Math.abs(expected), what);
    }

    static int[] ranking(List<Perplexity.Score> scores) {
        return IntStream.range(0, scores.size()).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -scores.get(i).logLikelihood()))
                .mapToInt(Integer::intValue).toArray();
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void reRankingGivenOnePromptComputedOnce(Strategy s) {
        TestModels.Golden g = TestModels.golden(TestModels.LLAMA).get(2);
        long[] prompt = g.promptIds();
        List<long[]> candidates = candidates(g.generated());
        List<Perplexity.Score> reference = new ArrayList<>();
        try (Engine noCache = new Engine(TestModels.LLAMA, Strategy.NO_CACHE)) {
            double promptPart = Perplexity.fullPass(noCache.generator(), List.of(prompt)).get(0).logLikelihood();
            for (long[] c : candidates) {
                long[] text = Arrays.copyOf(prompt, prompt.length + c.length);
                System.arraycopy(c, 0, text, prompt.length, c.length);
                double whole = Perplexity.fullPass(noCache.generator(), List.of(text)).get(0).logLikelihood();
                reference.add(new Perplexity.Score(whole - promptPart, c.length));
            }
        }
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            List<Perplexity.Score> reused = Perplexity.givenPrefix(engine.generator(), prompt, candidates, true);
            List<Perplexity.Score> again = Perplexity.givenPrefix(engine.generator(), prompt, candidates, false);
            for (int k = 0; k < candidates.size(); k++) {
                assertEquals(candidates.get(k).length, reused.get(k).tokens());
                // Reuse changes nothing: the same cache entries, the prompt's last token fed again.
                assertClose(again.get(k).logLikelihood(), reused.get(k).logLikelihood(), s.quantizedCache() ? 1e-3 : 1e-5,
                        s + " candidate " + k + ": reuse against recompute");
                if (!s.quantizedCache()) {
                    assertClose(reference.get(k).logLikelihood(), reused.get(k).logLikelihood(), 1e-4,
                            s + " candidate " + k + ": reuse against no-cache's one pass");
                }
            }
            assertEquals(Arrays.toString(ranking(again)), Arrays.toString(ranking(reused)), s + ": the ranking, reused");
            // Several candidates as the rows of one batch: the prefix copied into 2 rows (batches of 2, 2 and 1, the
            // last with a spare row; rewound between them) or 5 (one batch), or computed per row without reuse.
            for (int rows : new int[] {2, 5}) {
                for (boolean reuse : new boolean[] {true, false}) {
                    List<Perplexity.Score> batched = Perplexity.givenPrefix(engine.generator(), prompt, candidates, reuse,
                            rows);
                    for (int k = 0; k < candidates.size(); k++) {
                        assertClose(again.get(k).logLikelihood(), batched.get(k).logLikelihood(),
                                s.quantizedCache() ? 1e-3 : 1e-5, s + " candidate " + k + ", " + rows + " rows, reuse "
                                        + reuse + ": against one at a time");
                    }
                    assertEquals(Arrays.toString(ranking(again)), Arrays.toString(ranking(batched)),
                            s + ": the ranking, " + rows + " rows");
                }
            }
            if (s.quantizedCache()) { // rounded entries: the candidates' total within score's 5% of no-cache
                double mine = reused.stream().mapToDouble(Perplexity.Score::logLikelihood).sum();
                double theirs = reference.stream().mapToDouble(Perplexity.Score::logLikelihood).sum();
                assertClose(theirs, mine, 0.05, s + ": all candidates against no-cache's one pass");
            } else {
                assertEquals(Arrays.toString(ranking(reference)), Arrays.toString(ranking(reused)), s + ": the ranking");
            }
            assertThrows(KvbenchException.class, () -> Perplexity.givenPrefix(engine.generator(), prompt, List.of(), true));
            assertThrows(KvbenchException.class, () -> Perplexity.givenPrefix(engine.generator(), prompt,
                    List.of(new long[0]), true));
        }
    }

    /** n-best rescoring: every target given one source, the encoder run once; as the batched one-pass scorer scores. */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"NO_CACHE", "KV", "KV_ALLOC", "KV_COPY", "HYBRID", "STATIC"})
    void nBestRescoringGivenOneSource(Strategy s) {
        TestModels.Golden g = TestModels.golden(TestModels.MARIAN).get(0);
        long[] source = g.promptIds();
        List<long[]> targets = candidates(g.generated());
        List<Perplexity.Score> reference;
        try (Engine noCache = new Engine(TestModels.MARIAN, Strategy.NO_CACHE)) {
            reference = Perplexity.fullPass(noCache.generator(), java.util.Collections.nCopies(targets.size(), source), targets);
        }
        try (Engine engine = new Engine(TestModels.MARIAN, s)) {
            List<Perplexity.Score> reused = Perplexity.givenPrefix(engine.generator(), source, targets, true);
            List<Perplexity.Score> batched = Perplexity.givenPrefix(engine.generator(), source, targets, true, 3);
            for (int k = 0; k < targets.size(); k++) {
                assertClose(reference.get(k).logLikelihood(), reused.get(k).logLikelihood(), 1e-4, s + " target " + k);
                assertClose(reference.get(k).logLikelihood(), batched.get(k).logLikelihood(), 1e-4,
                        s + " target " + k + ", 3 rows over one encoder output");
            }
            assertEquals(Arrays.toString(ranking(reference)), Arrays.toString(ranking(reused)), s + ": the ranking");
        }
    }
}
