package dev.kvbench.matrix;

import dev.kvbench.decode.Strategy;
import dev.kvbench.paired.Progress;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.StrategyRoles;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench matrix as planned, without running it: every part, every rule. */
class MatrixPlanTest {
    static final List<Strategy> ALL = List.of(Strategy.values());

    // The parts as data: benchmark, strategy, lengths and fixed parameters, compared as records.
    static MatrixPart gen(String s, Integer... newTokens) {
        return new MatrixPart(BenchmarkContract.GENERATION, "strategy", s, "newTokens", List.of(newTokens));
    }

    static MatrixPart genRows(String s, int rows, Integer... newTokens) {
        return new MatrixPart(BenchmarkContract.GENERATION, "strategy", s, "newTokens", List.of(newTokens),
                Map.of("batchSize", String.valueOf(rows)));
    }

    static MatrixPart step(String s, Integer... contexts) {
        return new MatrixPart(BenchmarkContract.STEP, "strategy", s, "context", List.of(contexts));
    }

    static MatrixPart stepRows(String s, int rows, Integer... contexts) {
        return new MatrixPart(BenchmarkContract.STEP, "strategy", s, "context", List.of(contexts),
                Map.of("batchSize", String.valueOf(rows)));
    }

    static MatrixPart prefill(String s, Integer... promptTokens) {
        return new MatrixPart(BenchmarkContract.PREFILL, "strategy", s, "promptTokens", List.of(promptTokens), Map.of());
    }

    static MatrixPart score(String s, String pass) {
        return new MatrixPart(BenchmarkContract.SCORE, "strategy", s, "texts", List.of(16), Map.of("pass", pass));
    }

    /** The shared-prompt parts of one strategy: re-ranking (as rows), then a prefix hit and a conversation, on and off. */
    static List<MatrixPart> shared(String s, List<Integer> prompts, List<String> rows, List<Integer> prefixes, int turns,
                                   boolean decoderOnly) {
        List<MatrixPart> out = new ArrayList<>();
        for (String r : rows) {
            for (String reuse : List.of("on", "off")) {
                out.add(new MatrixPart(BenchmarkContract.RERANK, "strategy", s, "promptTokens", prompts,
                        Map.of("reuse", reuse, "rows", r, "candidates", "16", "candidateTokens", "16")));
            }
        }
        if (decoderOnly) {
            for (String hit : List.of("on", "off")) {
                out.add(new MatrixPart(BenchmarkContract.PREFIX_HIT, "strategy", s, "prefixTokens", prefixes,
                        Map.of("hit", hit, "suffixTokens", "16")));
            }
            for (String reuse : List.of("on", "off")) {
                out.add(new MatrixPart(BenchmarkContract.CONTINUATION, "strategy", s, "turns", List.of(turns),
                        Map.of("reuse", reuse, "turnTokens", "32", "replyTokens", "16")));
            }
        }
        return out;
    }

    static MatrixPart sweep(String variant, int newTokens) {
        return new MatrixPart(BenchmarkContract.HYBRID_THRESHOLD, "variant", variant, "newTokens", List.of(newTokens));
    }

    @Test
    void theDefaultRunMeasuresTheReferenceAndThePicksAfterItsVerdictAndListsWhatItLeavesOut() {
        assertTrue(MatrixPlan.Kind.DEFAULT.answerFirst());
        assertTrue(java.util.Arrays.stream(MatrixPlan.Kind.values()).filter(MatrixPlan.Kind::answerFirst).count() == 1);
        assertEquals(1, MatrixPlan.Kind.DEFAULT.defaultForks());
        assertEquals(2, MatrixPlan.Kind.FULL.defaultForks());
        // The verdict: the caches against kv at the lengths and batch of the full matrix's verdict.
        MatrixPlan.VerdictPlan v = MatrixPlan.verdictPlan(MatrixPlan.Kind.DEFAULT, ALL, false);
        assertEquals(List.of(Strategy.STATIC, Strategy.STATIC_GQA, Strategy.STATIC_GQA_INT8), v.candidates());
        assertEquals(List.of(new MatrixPlan.Group(List.of(64, 256), 1), new MatrixPlan.Group(List.of(64), 16)), v.groups());
        // Then the reference and the picks (each once, in declaration order), or every runnable one without a verdict.
        assertEquals(List.of(Strategy.KV, Strategy.STATIC_GQA, Strategy.STATIC_GQA_INT8),
                MatrixPlan.followUp(Strategy.KV, List.of("static-gqa-int8", "static-gqa", "static-gqa-int8"), ALL));
        assertEquals(List.of(Strategy.KV), MatrixPlan.followUp(Strategy.KV, List.of("kv", "kv"), ALL));
        assertEquals(List.of(Strategy.KV, Strategy.STATIC), MatrixPlan.followUp(Strategy.KV, List.of(), List.of(Strategy.KV, Strategy.STATIC)));
        MatrixPlan.Plan p = MatrixPlan.plan(MatrixPlan.Kind.DEFAULT, List.of(Strategy.KV, Strategy.STATIC_GQA), 256, 2048, false);
        List<MatrixPart> expected = new ArrayList<>(List.of(
                new MatrixPart(BenchmarkContract.STEP, "strategy", "kv", "context", List.of(256, 2048)),
                new MatrixPart(BenchmarkContract.STEP, "strategy", "static-gqa", "context", List.of(256, 2048)),
                new MatrixPart(BenchmarkContract.PREFILL, "strategy", "kv", "promptTokens", List.of(64, 512, 2047), Map.of()),
                new MatrixPart(BenchmarkContract.PREFILL, "strategy", "static-gqa", "promptTokens", List.of(64, 512, 2047), Map.of())));
        // Shared prompts: re-ranking given a 512-token prompt, a prefix hit at 512 and a 4-turn conversation, on and off.
        expected.addAll(shared("kv", List.of(512), List.of("1"), List.of(512), 4, true));
        expected.addAll(shared("static-gqa", List.of(512), List.of("1"), List.of(512), 4, true));
        assertEquals(expected, p.parts());
        assertEquals(List.of(), p.skipped());
        assertEquals(8, p.leftOut().size(), p.leftOut().toString());
        assertEquals("GenerationBenchmark (ms per token and heap per token at 64, 256, 1024 new tokens)", p.leftOut().get(0));
        assertEquals("StepBenchmark at contexts 16, 64, 1024, and at 16 rows", p.leftOut().get(1));
        assertEquals("time to first token, steps and peak memory of no-cache, kv-alloc, kv-copy, hybrid, static, "
                + "static-gqa-int8, static-gqa-int4 (measured here: the reference and the recommendation)", p.leftOut().get(7));
        assertEquals(List.of(new MatrixPlan.PeakRun(Strategy.KV, 1, 2040), new MatrixPlan.PeakRun(Strategy.STATIC_GQA, 1, 2040)),
                MatrixPlan.peakRuns(MatrixPlan.Kind.DEFAULT, List.of(Strategy.KV, Strategy.STATIC_GQA), 256, new ArrayList<>()));
        // A 512-position model: the long context and prompt shrink or go, by the same rules as the full matrix.
        MatrixPlan.Plan small = MatrixPlan.plan(MatrixPlan.Kind.DEFAULT, List.of(Strategy.KV), 256, 512, true);
        List<MatrixPart> smallParts = new ArrayList<>(List.of(new MatrixPart(BenchmarkContract.STEP, "strategy", "kv", "context",
                List.of(256)), new MatrixPart(BenchmarkContract.PREFILL, "strategy", "kv", "promptTokens", List.of(64, 511), Map.of())));
        smallParts.addAll(shared("kv", List.of(512), List.of("1"), List.of(), 4, false)); // encoder-decoder: re-ranking only
        assertEquals(smallParts, small.parts());
        assertEquals(List.of("StepBenchmark at context 2048: beyond the model's 512 positions (the prompt is the source)",
                "PrefillBenchmark at 512 prompt tokens: beyond the model's 512 positions"), small.skipped());
    }

    @Test
    void theFullMatrixOnAModelWith2048Positions() {
        MatrixPlan.Plan p = MatrixPlan.plan(MatrixPlan.Kind.FULL, ALL, 256, 2048, false);
        List<MatrixPart> d = p.parts();
        assertEquals(gen("no-cache", 64, 256), d.get(0));
        assertEquals(gen("kv", 64, 256, 1024), d.get(1));
        assertTrue(d.contains(step("static-gqa", 16, 64, 256, 1024, 2048)), d.toString());
        // Batches for the caches a user ships (role CACHE), not for the ablations.
        for (Strategy s : StrategyRoles.withRole(StrategyRoles.Role.CACHE)) {
            assertTrue(d.contains(genRows(s.id(), 4, 256)), s + " at 4 rows: " + d);
            assertTrue(d.contains(genRows(s.id(), 16, 256)), d.toString());
            assertTrue(d.contains(stepRows(s.id(), 16, 256)), d.toString());
        }
        assertTrue(d.stream().noneMatch(x -> x.value().equals("kv-copy") && !x.fixed().getOrDefault("batchSize", "1").equals("1")),
                d.toString());
        for (Strategy s : ALL) {
            assertTrue(d.contains(score(s.id(), "full")), d.toString());
            assertTrue(d.contains(score(s.id(), "incremental")), d.toString());
        }
        for (int t : BenchmarkContract.HYBRID_THRESHOLDS) {
            assertTrue(d.contains(sweep("hybrid-" + t, 256)), d.toString());
        }
        assertTrue(d.contains(sweep("kv", 256)) && d.contains(sweep("no-cache", 256)));
        assertEquals(List.of("no-cache generation of 1024 tokens: longer than --no-cache-max-tokens 256 (O(n^2) work)"), p.skipped());
        for (Strategy s : ALL) {
            assertTrue(d.contains(prefill(s.id(), 64, 512, 2047)), "2048 + 1 do not fit: " + d);
        }
        // Shared prompts for the caches a user ships: re-ranking at 1 and 16 rows, a prefix hit at every prefill length.
        for (Strategy s : StrategyRoles.withRole(StrategyRoles.Role.CACHE)) {
            assertTrue(d.containsAll(shared(s.id(), List.of(512), List.of("1", "16"), List.of(64, 512, 2048), 4, true)), d.toString());
        }
        assertEquals(9 + 9 + 9 + 4 * 3 + 18 + 4 * 8 + 6, p.parts().size(), d.toString());
        assertEquals(Map.of("batchSize", "1"), p.parts().get(0).fixed());
        // The description users read is made from the same data.
        assertEquals("GenerationBenchmark kv batchSize=4 newTokens=256", genRows("kv", 4, 256).description());
    }

    @Test
    void contextsBeyondThePositionsAndTheQuadraticRuleAreSkipped() {
        MatrixPlan.Plan p = MatrixPlan.plan(MatrixPlan.Kind.FULL, List.of(Strategy.NO_CACHE, Strategy.KV), 64, 512, true);
        List<MatrixPart> d = p.parts();
        assertTrue(d.contains(step("kv", 16, 64, 256)), d.toString());
        assertTrue(d.contains(gen("no-cache", 64)), d.toString());
        assertTrue(p.skipped().contains("StepBenchmark at context 1024: beyond the model's 512 positions (the prompt is the source)"),
                p.skipped().toString());
        assertTrue(p.skipped().contains("no-cache generation of 256 tokens: longer than --no-cache-max-tokens 64 (O(n^2) work)"));
        assertTrue(d.contains(prefill("kv", 64, 511)), "512 + 1 positions do not fit 512: " + d);
        assertTrue(p.skipped().contains("PrefillBenchmark at 512 prompt tokens: beyond the model's 512 positions"), p.skipped().toString());
        assertTrue(d.stream().noneMatch(x -> x.benchmark().equals(BenchmarkContract.HYBRID_THRESHOLD)), "no hybrid, no sweep");
    }

    @Test
    void theQuickMatrixMeasuresEachStrategyOnceAndTheReferenceInABatch() {
        MatrixPlan.Plan p = MatrixPlan.plan(MatrixPlan.Kind.QUICK, List.of(Strategy.KV, Strategy.STATIC_GQA, Strategy.HYBRID), 256, 2048, false);
        assertEquals(List.of(gen("kv", 16), gen("static-gqa", 16), gen("hybrid", 16), step("kv", 64), step("static-gqa", 64),
                step("hybrid", 64), prefill("kv", 64), prefill("static-gqa", 64), prefill("hybrid", 64), genRows("kv", 4, 16),
                score("kv", "full"), score("kv", "incremental")), p.parts().subList(0, 12));
        assertEquals(shared("kv", List.of(64), List.of("1"), List.of(64), 2, true), p.parts().subList(12, 18));
        assertEquals(List.of(sweep("hybrid-10", 64), sweep("kv", 64)), p.parts().subList(18, 20));
        assertEquals(List.of(), MatrixPlan.peakRuns(MatrixPlan.Kind.QUICK, List.of(Strategy.KV), 256, new ArrayList<>()));
    }

    @Test
    void realShapesStepOnlyQuadraticAtTheShortestContext() {
        assertEquals(List.of(Strategy.NO_CACHE, Strategy.KV, Strategy.STATIC, Strategy.STATIC_GQA, Strategy.STATIC_GQA_INT8),
                MatrixPlan.candidates(MatrixPlan.Kind.REAL_SHAPES));
        MatrixPlan.Plan p = MatrixPlan.plan(MatrixPlan.Kind.REAL_SHAPES, MatrixPlan.candidates(MatrixPlan.Kind.REAL_SHAPES), 256,
                32768, false);
        assertEquals(List.of(step("no-cache", 64), step("kv", 64, 512, 2048), step("static", 64, 512, 2048),
                step("static-gqa", 64, 512, 2048), step("static-gqa-int8", 64, 512, 2048)), p.parts());
        assertEquals(2, p.skipped().size(), p.skipped().toString());
        List<String> skipped = new ArrayList<>();
        List<MatrixPlan.PeakRun> peaks = MatrixPlan.peakRuns(MatrixPlan.Kind.REAL_SHAPES, MatrixPlan.candidates(MatrixPlan.Kind.REAL_SHAPES),
                256, skipped);
        assertEquals(4, peaks.size(), "no batches and no quadratic work at real shapes");
        assertTrue(peaks.stream().allMatch(r -> r.rows() == 1 && r.tokens() == 248));
        assertEquals(1, skipped.size());
    }

    @Test
    void peakMemoryRunsEveryStrategyAloneThenTheCachesInABatch() {
        List<String> skipped = new ArrayList<>();
        List<MatrixPlan.PeakRun> peaks = MatrixPlan.peakRuns(MatrixPlan.Kind.FULL, ALL, 256, skipped);
        assertEquals(List.of("no-cache peak memory: 2040 tokens is longer than --no-cache-max-tokens"), skipped);
        assertEquals(ALL.size() - 1 + StrategyRoles.withRole(StrategyRoles.Role.CACHE).size(), peaks.size());
        assertEquals(new MatrixPlan.PeakRun(Strategy.STATIC_GQA_INT8, MatrixPlan.PEAK_BATCH, 2040), peaks.get(peaks.size() - 1));
    }

    @Test
    void theVerdictRoundsPutTheCachesAgainstKvAndNameAblationsOnlyWhenAsked() {
        MatrixPlan.VerdictPlan p = MatrixPlan.verdictPlan(MatrixPlan.Kind.FULL, ALL, false);
        assertEquals(Strategy.KV, p.reference());
        assertEquals(List.of(Strategy.STATIC, Strategy.STATIC_GQA, Strategy.STATIC_GQA_INT8), p.candidates());
        assertEquals(List.of(new MatrixPlan.Group(List.of(64, 256), 1), new MatrixPlan.Group(List.of(64), 16)), p.groups());
        assertEquals(256, p.longestNewTokens());
        MatrixPlan.VerdictPlan chosen = MatrixPlan.verdictPlan(MatrixPlan.Kind.QUICK,
                List.of(Strategy.NO_CACHE, Strategy.KV, Strategy.KV_COPY), true);
        assertEquals(List.of(Strategy.NO_CACHE, Strategy.KV_COPY), chosen.candidates());
        assertEquals(List.of(new MatrixPlan.Group(List.of(64), 1)), chosen.groups());
        assertEquals(3, chosen.rounds());
        MatrixPlan.VerdictPlan noKv = MatrixPlan.verdictPlan(MatrixPlan.Kind.DEFAULT, List.of(Strategy.STATIC, Strategy.STATIC_GQA), true);
        assertEquals(Strategy.STATIC, noKv.reference(), "without kv the first runnable strategy is the reference");
        assertEquals(null, MatrixPlan.verdictPlan(MatrixPlan.Kind.DEFAULT, List.of(Strategy.KV), true), "one strategy: nothing to compare");
        assertEquals(null, MatrixPlan.verdictPlan(MatrixPlan.Kind.REAL_SHAPES, ALL, false));
    }

    @Test
    void shardsSplitTheMatrixAndEachKeepsTheReference() {
        MatrixPlan.Plan whole = MatrixPlan.plan(MatrixPlan.Kind.FULL, ALL, 256, 2048, false);
        List<MatrixPart> reference = whole.parts().stream().filter(d -> d.value().equals("kv")).toList();
        java.util.Map<MatrixPart, Integer> seen = new java.util.HashMap<>();
        for (int k = 1; k <= 3; k++) {
            MatrixPlan.Plan shard = MatrixPlan.shard(whole, Strategy.KV, k, 3);
            assertTrue(shard.parts().containsAll(reference), "shard " + k + " keeps kv's parts");
            assertEquals(shard.parts(), MatrixPlan.shard(whole, Strategy.KV, k, 3).parts(), "deterministic");
            shard.parts().stream().filter(d -> !reference.contains(d)).forEach(d -> seen.merge(d, 1, Integer::sum));
        }
        assertEquals(whole.parts().size() - reference.size(), seen.size(), "every other part in some shard");
        assertTrue(seen.values().stream().allMatch(n -> n == 1), "and in one only: " + seen);
        assertTrue(MatrixPlan.shard(whole, Strategy.KV, 1, 3).parts().stream().anyMatch(d -> d.value().startsWith("hybrid-"))
                == MatrixPlan.inShard(Strategy.HYBRID.id(), Strategy.KV, 1, 3), "the hybrid sweep goes with hybrid");
        assertEquals(whole, MatrixPlan.shard(whole, Strategy.KV, 1, 1));
    }

    @Test
    void progressScalesTheRemainingEstimatesByWhatFinished() {
        Progress p = new Progress(new double[] {10, 10, 20});
        assertEquals(40, p.secondsLeft(), 1e-9);
        p.finished(20); // twice the estimate
        assertEquals(60, p.secondsLeft(), 1e-9);
        p.finished(10);
        assertEquals(20 * 30 / 20.0, p.secondsLeft(), 1e-9);
        assertEquals("6 m 12 s", Progress.duration(372));
        assertEquals("41 s", Progress.duration(41.2));
        assertEquals("1 h 03 m", Progress.duration(3780));
    }

    @Test
    void aPartsOutcomeLineListsItsScoresAndFailures() {
        MatrixPart step = new MatrixPart(BenchmarkContract.STEP, "strategy", "kv", "context", List.of(64, 256));
        assertEquals("no result", BenchRun.outcome(step, List.of(), List.of()));
        assertEquals("1 failed", BenchRun.outcome(step, List.of(), List.of("StepBenchmark kv context=64: boom")));
    }
}
