package dev.kvbench.paired;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The generations method's -p grammar, through the configurations it yields. */
class GenerationParamsTest {
    @Test
    void noValuesIsOneConfigurationOfTheDefaults() {
        assertEquals(List.of(new GenerationRounds.Config("tiny-llama", "kv", "kv", 64, 1, "fp32", 0)),
                GenerationParams.configs(List.of()));
    }

    @Test
    void listedValuesMultiply() {
        List<GenerationRounds.Config> c = GenerationParams.configs(List.of("newTokens=16,32", "batchSize=1,4", "dtype=q4"));
        assertEquals(4, c.size());
        assertEquals(List.of(16, 16, 32, 32), c.stream().map(GenerationRounds.Config::newTokens).toList());
        assertEquals(List.of(1, 4, 1, 4), c.stream().map(GenerationRounds.Config::rows).toList());
        assertEquals(List.of("q4"), c.stream().map(GenerationRounds.Config::dtype).distinct().toList());
    }

    @Test
    void strategyPairsEndWithTheirControlAndLeaveQuadraticLongRunsToJmh() {
        List<GenerationRounds.Config> c = GenerationParams.strategyConfigs(List.of("newTokens=32,256"), Strategy.KV,
                List.of(Strategy.NO_CACHE, Strategy.STATIC_GQA));
        assertEquals(List.of("kv,no-cache@32", "kv,static-gqa@32", "kv,kv@32", "kv,static-gqa@256", "kv,kv@256"),
                c.stream().map(x -> x.baseStrategy() + "," + x.headStrategy() + "@" + x.newTokens()).toList());
    }

    @Test
    void badValuesAreOneLine() {
        assertEquals("-p newTokens lists 4 twice: each value is one configuration",
                assertThrows(KvbenchException.class, () -> GenerationParams.configs(List.of("newTokens=4,4"))).getMessage());
        assertEquals("-p newTokens: 'x' is not a number",
                assertThrows(KvbenchException.class, () -> GenerationParams.configs(List.of("newTokens=x"))).getMessage());
        assertEquals("-p batchSize must be in 1..256, got 300",
                assertThrows(KvbenchException.class, () -> GenerationParams.configs(List.of("batchSize=300"))).getMessage());
        assertEquals("-p context=5 must be at least newTokens + 2 (10): the assumed prompt is context - newTokens tokens, "
                + "at least 2", assertThrows(KvbenchException.class,
                () -> GenerationParams.configs(List.of("newTokens=8", "context=5"))).getMessage());
        assertThrows(KvbenchException.class, () -> GenerationParams.configs(List.of("threads=2")));
        assertThrows(KvbenchException.class, () -> GenerationParams.configs(List.of("strategy=nope")));
        assertThrows(KvbenchException.class, () -> GenerationParams.strategyConfigs(List.of("strategy=kv"), Strategy.KV,
                List.of(Strategy.STATIC)));
    }
}
