package dev.kvbench.results;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SummaryTest {
    @TempDir
    Path dir;

    @Test
    void stepHeapComesFromTheStepCounterAndGenerationHeapFromProfGc() throws Exception {
        Path f = new JmhJson()
                // -prof gc says 12,000 B/op (8 steps + the prefill); the counter around the steps says 64 steps, 6,400 B.
                .add("StepBenchmark.steps", Map.of("strategy", "kv", "context", "256"), 10, 0.05, 1, 12_000)
                .counter("heapBytes", 6_400).counter("tokens", 64)
                .add("GenerationBenchmark.generate", Map.of("strategy", "kv", "newTokens", "64"), 80, 0.05, 2, 6_400)
                .write(dir.resolve("r.json"));
        List<Summary.Row> rows = Summary.rows(JmhResults.read(f));
        assertEquals(2, rows.size());
        Summary.Row step = rows.stream().filter(r -> r.benchmark().equals("StepBenchmark")).findFirst().orElseThrow();
        Summary.Row generation = rows.stream().filter(r -> r.benchmark().equals("GenerationBenchmark")).findFirst().orElseThrow();
        assertEquals(100.0, step.heapBytesPerToken(), 1e-9);
        assertEquals(100.0, generation.heapBytesPerToken(), 1e-9);
    }

    /**
     * Batches: aggregate tokens per second = all rows' tokens / time, its multiple of batch 1, the padding share from
     * the counters, and the targets; batch-1 keys equal those of files from before the parameter existed.
     */
    @Test
    void batchesSectionAndTargets() throws Exception {
        Path f = new JmhJson()
                .add("GenerationBenchmark.generate", Map.of("strategy", "kv", "newTokens", "256", "batchSize", "1"), 256, 0.01, 1, 0)
                .add("GenerationBenchmark.generate", Map.of("strategy", "kv", "newTokens", "256", "batchSize", "16"), 512, 0.01, 2, 0)
                .counter("paddingPositions", 30).counter("computedPositions", 3000)
                .add("GenerationBenchmark.generate", Map.of("strategy", "static-gqa", "newTokens", "256", "batchSize", "16"), 1024, 0.01, 3, 0)
                .add("ScoreBenchmark.score", Map.of("strategy", "kv", "pass", "full", "texts", "16"), 100, 0.01, 4, 0)
                .add("ScoreBenchmark.score", Map.of("strategy", "kv", "pass", "incremental", "texts", "16"), 200, 0.01, 5, 0)
                .write(dir.resolve("b.json"));
        List<JmhResult> results = JmhResults.read(f);
        List<Summary.Row> rows = Summary.rows(results);
        Summary.Row kv16 = rows.stream().filter(r -> r.strategy().equals("kv [batch 16]")).findFirst().orElseThrow();
        assertEquals(16 * 256, kv16.tokensPerOp());
        assertEquals(16 * 256 / kv16.msPerOp() * 1e3, kv16.aggregateTokensPerSecond(), 1e-6);
        String text = Summary.render(results);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("Batches: GenerationBenchmark on"), text);
        org.junit.jupiter.api.Assertions.assertTrue(text.matches("(?s).*kv\\s+16\\s+256\\s+.*\\s(7\\.\\d\\dx ±\\d+%)\\s+1\\.0%.*"), text);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("target: kv at batch 16, 256 tokens: "), text);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("(at least 4x: met)"), text);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("(at least 1x: MISSED)"), text);
        org.junit.jupiter.api.Assertions.assertTrue(text.contains("Re-ranking on"), text);
        org.junit.jupiter.api.Assertions.assertEquals(results.get(0).key(), results.get(0).key().replace(", batchSize=1", ""));
        org.junit.jupiter.api.Assertions.assertFalse(results.get(0).key().contains("batchSize"), results.get(0).key());
        org.junit.jupiter.api.Assertions.assertTrue(results.get(1).key().contains("batchSize=16"), results.get(1).key());
    }

    /** A dtype's re-ranking rows are shown on their own line (kv [q4]) with their figures, not as "-" (they were). */
    @Test
    void reRankingShowsEveryDtypesFigures() throws Exception {
        Path f = new JmhJson()
                .add("ScoreBenchmark.score", Map.of("strategy", "kv", "pass", "full", "texts", "16"), 100, 0.01, 1, 0)
                .add("ScoreBenchmark.score", Map.of("strategy", "kv", "pass", "incremental", "texts", "16"), 200, 0.01, 2, 0)
                .add("ScoreBenchmark.score", Map.of("strategy", "kv", "pass", "full", "texts", "16", "dtype", "q4"), 80, 0.01, 3, 0)
                .add("ScoreBenchmark.score", Map.of("strategy", "kv", "pass", "incremental", "texts", "16", "dtype", "q4"), 160, 0.01, 4, 0)
                .write(dir.resolve("q.json"));
        String text = Summary.scores(Summary.rows(JmhResults.read(f)));
        String q4 = text.lines().filter(l -> l.startsWith("kv [q4] ")).findFirst().orElse("");
        org.junit.jupiter.api.Assertions.assertTrue(q4.matches("kv \\[q4\\]\\s+79\\.\\d\\d ± \\S+\\s+201\\.\\d\\s+160\\.\\d\\d ± \\S+\\s+99\\.\\d"), text);
        org.junit.jupiter.api.Assertions.assertFalse(text.contains(" - "), text);
    }
}
