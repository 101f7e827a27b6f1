package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import dev.kvbench.bench.GenerationBenchmark;
import dev.kvbench.bench.ScoreBenchmark;
import dev.kvbench.bench.StepBenchmark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jmh.annotations.Param;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Strategy} is the one place strategies are listed: JMH needs its parameter lists as literals, so this test
 * holds them to the enum; and each strategy's variant file decides where it is available.
 */
class StrategyFactsTest {
    static List<String> params(Class<?> benchmark) throws NoSuchFieldException {
        return List.of(benchmark.getField("strategy").getAnnotation(Param.class).value());
    }

    @Test
    void benchmarkParameterListsAreTheStrategyIds() throws Exception {
        assertEquals(Strategy.ids(), params(GenerationBenchmark.class));
        assertEquals(Strategy.ids(), params(StepBenchmark.class));
        assertEquals(Strategy.ids(), params(ScoreBenchmark.class));
        assertEquals(Strategy.ids(), params(dev.kvbench.bench.PrefillBenchmark.class));
    }

    @Test
    void batchSizesAreOneFourAndSixteen() throws Exception {
        for (Class<?> c : List.of(GenerationBenchmark.class, StepBenchmark.class)) {
            assertEquals(List.of("1", "4", "16"), List.of(c.getField("batchSize").getAnnotation(Param.class).value()), c.getSimpleName());
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void idsParseBackAndDescriptionsExist(Strategy s) {
        assertEquals(s, Strategy.parse(s.id()));
        assertFalse(s.description().isBlank());
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void availabilityFollowsTheVariantFile(Strategy s) {
        assertTrue(s.availableIn(Layout.detect(TestModels.LLAMA)), s + " runs on the bundled decoder-only model");
        // tiny-marian has decoder_model_static.onnx (derived); GroupQueryAttention variants are decoder-only.
        assertEquals(s.variant() != Model.Variant.STATIC_GQA && !s.quantizedCache(),
                s.availableIn(Layout.detect(TestModels.MARIAN)), s + " on tiny-marian");
    }

    /** Every strategy has its workbench role (the bench matrix and the reference ask it); kv is the reference. */
    @ParameterizedTest
    @EnumSource(Strategy.class)
    void everyStrategyHasARole(Strategy s) {
        dev.kvbench.results.StrategyRoles.of(s); // throws for a strategy without one
        assertEquals(Strategy.KV, dev.kvbench.results.StrategyRoles.reference());
        assertEquals(Strategy.NO_CACHE, dev.kvbench.results.StrategyRoles.baseline());
    }

    @Test
    void onlyTheNoCacheStrategyDoesQuadraticWork() {
        assertEquals(List.of(Strategy.NO_CACHE), java.util.Arrays.stream(Strategy.values()).filter(Strategy::quadratic).toList());
    }
}
