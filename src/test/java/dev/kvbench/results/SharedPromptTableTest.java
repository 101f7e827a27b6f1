package dev.kvbench.results;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The "Shared prompts" section pairs each configuration's reuse and recompute results and states the speedup. */
class SharedPromptTableTest {
    static JmhResult result(String bench, Map<String, String> params, double ms, double error, double held, double ops) {
        JmhResult.Metric primary = new JmhResult.Metric(ms, error, "ms/op", List.of(List.of(ms)));
        return new JmhResult("dev.kvbench.bench." + bench, "avgt", params, primary, Map.of(
                "kvBytesHeld", new JmhResult.Metric(held, Double.NaN, "#", List.of()),
                "operations", new JmhResult.Metric(ops, Double.NaN, "#", List.of())));
    }

    static Map<String, String> rerank(String reuse) {
        return Map.of("model", "/x/models/tiny-llama", "strategy", "kv", "promptTokens", "512", "candidates", "16",
                "candidateTokens", "16", "rows", "16", "reuse", reuse, "dtype", "fp32");
    }

    @Test
    void eachConfigurationIsOneLineWithItsSpeedup() {
        List<JmhResult> results = List.of(
                result("RerankBenchmark.rerank", rerank("on"), 200, 20, 10.0 * (1 << 20) * 4, 4),
                result("RerankBenchmark.rerank", rerank("off"), 1600, 80, 1 << 20, 1),
                result("PrefixHitBenchmark.firstToken", Map.of("model", "tiny-llama", "strategy", "static-gqa",
                        "prefixTokens", "512", "suffixTokens", "16", "hit", "on"), 10, 1, 0, 0),
                result("PrefixHitBenchmark.firstToken", Map.of("model", "tiny-llama", "strategy", "static-gqa",
                        "prefixTokens", "512", "suffixTokens", "16", "hit", "off"), 11, 2, 0, 0),
                result("ContinuationBenchmark.converse", Map.of("model", "tiny-llama", "strategy", "kv", "turns", "4",
                        "turnTokens", "32", "replyTokens", "16", "reuse", "on"), 50, 1, 0, 0),
                result("StepBenchmark.step", Map.of("model", "tiny-llama", "strategy", "kv"), 1, 0.1, 0, 0));
        String text = SharedPromptTable.render(results);
        assertTrue(text.startsWith("\nShared prompts on tiny-llama:"), text);
        List<String> lines = text.strip().lines().skip(2).toList();
        assertEquals(3, lines.size(), text);
        String rerank = lines.stream().filter(l -> l.startsWith("RerankBenchmark kv")).findFirst().orElseThrow();
        // 1600 / 200 = 8, errors 5% and 10% in quadrature: 11%; 40 MiB over 4 operations.
        assertTrue(rerank.contains("512-token prompt, 16 x 16 tokens, 16 rows"), rerank);
        assertTrue(rerank.contains("1600.0 ± 80.0") && rerank.contains("200.0 ± 20.0"), rerank);
        assertTrue(rerank.contains("8.0x ±11%") && rerank.contains("10.0 MiB"), rerank);
        String hit = lines.stream().filter(l -> l.startsWith("PrefixHitBenchmark static-gqa")).findFirst().orElseThrow();
        assertTrue(hit.contains("first token: 512-token prefix + 16") && hit.contains("~1 ("), "overlapping: " + hit);
        String conversation = lines.stream().filter(l -> l.startsWith("ContinuationBenchmark kv")).findFirst().orElseThrow();
        assertTrue(conversation.contains("4 turns x 32 tokens, replies of 16") && conversation.contains(" - "),
                "no recompute side, no speedup: " + conversation);
        assertEquals("", SharedPromptTable.render(results.subList(5, 6)));
        // bench's progress line for such a part: its time per operation.
        assertEquals("200.00 ± 20.00 ms/op", Summary.scoreWithError(results.get(0)));
    }
}
