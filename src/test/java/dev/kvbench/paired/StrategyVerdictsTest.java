package dev.kvbench.paired;

import dev.kvbench.decode.Strategy;
import dev.kvbench.results.PairedComparison;
import dev.kvbench.results.Statistics;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The words, the noisy mark and the recommendation, on paired results made by hand (the rounds are real elsewhere). */
class StrategyVerdictsTest {
    static PairedComparison.Row row(String b, int tokens, double[] base, double[] head) {
        Statistics.Paired p = Statistics.paired(base, head, 0.95);
        double change = (p.ratio() - 1) * 100;
        return new PairedComparison.Row("Generator.generate{model=tiny-llama, newTokens=" + tokens + ", strategies=kv," + b
                + "}", "ms/op", base, head, p, change, p.p() < 0.05, p.p() < 0.05 && change > 5);
    }

    static final double[] KV = {100, 104, 98, 101, 103, 99};

    static PairedComparison.Result result(PairedComparison.Row... rows) {
        return new PairedComparison.Result("primary", 5, 0.05, List.of(rows), List.of());
    }

    @Test
    void fasterSlowerAndIndistinguishable() {
        StrategyVerdicts v = StrategyVerdicts.of(result(
                row("static-gqa", 64, KV, new double[] {70, 73, 69, 71, 72, 70}),
                row("static", 64, KV, new double[] {101, 104, 99, 100, 104, 98}),
                row("kv-copy", 64, KV, new double[] {130, 133, 128, 131, 135, 129}),
                row("kv", 64, KV, new double[] {101, 103, 99, 100, 104, 98})), Strategy.KV);
        assertEquals(List.of("faster", "indistinguishable within ±5.0%", "slower"),
                v.verdicts().stream().map(StrategyVerdicts.Verdict::word).toList());
        assertEquals("static-gqa", v.verdicts().get(0).b());
        assertEquals("model=tiny-llama, newTokens=64", v.verdicts().get(0).configuration());
        assertEquals(1, v.controls().size());
        assertTrue(v.slower());
        assertFalse(v.noisy(), "the control's interval is within ±5%");
        assertTrue(v.text().contains("static-gqa   faster"), v.text());
    }

    @Test
    void aWideControlMarksTheRunNoisy() {
        StrategyVerdicts v = StrategyVerdicts.of(result(row("static-gqa", 64, KV, new double[] {98, 105, 99, 100, 104, 99}),
                row("kv", 64, KV, new double[] {80, 130, 95, 120, 70, 110})), Strategy.KV);
        assertTrue(v.noisy());
        assertTrue(v.text().contains("NOISY: wider than the ±5.0% threshold"), v.text());
    }

    @Test
    void theRecommendationIsTheFastestWithItsTiesAndRunnerUp() {
        StrategyVerdicts v = StrategyVerdicts.of(result(
                row("static-gqa", 256, KV, new double[] {70, 73, 69, 71, 72, 70}),
                row("static", 256, KV, new double[] {70, 75, 68, 73, 71, 72}),
                row("kv-copy", 256, KV, new double[] {90, 93, 88, 91, 92, 89}),
                row("static", 64, KV, new double[] {101, 104, 99, 100, 104, 98})), Strategy.KV);
        Recommendation r = Recommendation.of(v, id -> id.equals("static-gqa") ? "123 MiB" : null, id -> "agree");
        Recommendation.Pick at256 = r.picks().get(0);
        assertEquals("static-gqa", at256.strategy());
        assertEquals(List.of("static"), at256.tied(), "static's interval overlaps static-gqa's");
        assertEquals("static", at256.runnerUp());
        assertTrue(at256.runnerUpCostPercent() > 0 && at256.runnerUpCostPercent() < 10, String.valueOf(at256.runnerUpCostPercent()));
        assertEquals("123 MiB", at256.memory());
        Recommendation.Pick at64 = r.picks().get(1);
        assertEquals("kv", at64.strategy(), "no candidate significantly faster: keep the reference");
        assertEquals(List.of("static"), at64.tied());
        assertNull(at64.memory());
        assertTrue(r.text("kv").contains("static-gqa, 0.7"), r.text("kv"));
    }
}
