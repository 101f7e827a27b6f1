package dev.kvbench.decode;

import dev.kvbench.TestModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Samples of one prefill: the prompt computed once and copied into N rows draws, row for row, what N copies of the
 * prompt computed each draw (the same seeded streams); greedy, every row is the one greedy generation, which is the
 * reference's (the golden continuation; a quantized cache's own).
 */
class SamplesTest {
    static Stream<Arguments> cases() {
        Stream<Arguments> llama = Arrays.stream(Strategy.values()).map(s -> Arguments.of(TestModels.LLAMA, s));
        Stream<Arguments> marian = Stream.of(Strategy.NO_CACHE, Strategy.KV, Strategy.KV_ALLOC, Strategy.KV_COPY,
                Strategy.HYBRID, Strategy.STATIC).map(s -> Arguments.of(TestModels.MARIAN, s));
        return Stream.concat(llama, marian);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void samplesOfOnePrefillDrawWhatSeparatePromptsDraw(Path model, Strategy s) {
        TestModels.Golden g = TestModels.golden(model).get(0);
        int steps = Math.min(8, g.generated().length);
        try (Engine engine = new Engine(model, s)) {
            Generator generator = engine.generator();
            BatchResult greedy = generator.samples(g.promptIds(), 3, steps, true, Sampler.greedy(), null, true);
            // A lossy cache's own greedy generation; the others', the reference's.
            int[] expected = s.quantizedCache()
                    ? generator.generate(g.promptIds(), steps, true, Sampler.greedy(), null).tokens()
                    : Arrays.copyOf(g.generated(), steps);
            for (int r = 0; r < 3; r++) {
                assertArrayEquals(expected, greedy.tokens()[r], s + " greedy row " + r);
            }
            BatchResult reused = generator.samples(g.promptIds(), 4, steps, true, new Sampler(1.0, 0, 1.0, 7), null, true);
            BatchResult again = generator.samples(g.promptIds(), 4, steps, true, new Sampler(1.0, 0, 1.0, 7), null, false);
            for (int r = 0; r < 4; r++) {
                assertArrayEquals(again.tokens()[r], reused.tokens()[r], s + " seeded row " + r + ": reuse against recompute");
            }
            assertTrue(List.of(reused.tokens()).stream().map(Arrays::toString).distinct().count() > 1,
                    s + ": each row draws from its own stream");
            assertEquals(4, reused.tokens().length);
            assertThrows(dev.kvbench.KvbenchException.class,
                    () -> generator.samples(g.promptIds(), 0, steps, true, Sampler.greedy(), null, true));
        }
    }
}
