package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ab --strategies}: two strategies of this build in paired rounds of real worker JVMs, with an A/A control.
 * A pair known to differ by 2 to 5x at 32 tokens (no-cache re-feeds the whole prefix every step) is called faster
 * (alpha 0.01); the control's ratio stays within 25% of 1. Five rounds: with
 * three, a 0.43 [0.27, 0.69] ratio on a noisy machine once missed alpha 0.01 (p = 0.016), with four a 0.36 [0.19, 0.71]
 * one beside the other test JVM (p = 0.017).
 */
class StrategyAbTest {
    @Test
    void aPairKnownToDifferIsCalledFasterAndTheControlIsNot(@TempDir Path tmp) throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("ab", "--strategies", "no-cache,kv", "-p", "newTokens=32", "--rounds", "5",
                "--pairs", "8", "--warmup-ops", "3", "--alpha", "0.01", "--format", "json", "--root",
                TestModels.ROOT.toString(), "--out", tmp.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode v = new ObjectMapper().readTree(r.out());
        assertEquals("no-cache", v.path("reference").asText());
        assertEquals("kv", v.path("candidate").asText());
        JsonNode verdict = v.path("verdicts").get(0);
        assertEquals("faster", verdict.path("verdict").asText(), v.toString());
        assertTrue(verdict.path("ratio").asDouble() < 0.5, v.toString());
        assertTrue(verdict.path("ratio_ci95_high").asDouble() < 1, v.toString());
        // The A/A control: its two sides run the same strategy, so its ratio stays near 1. Whether it is called
        // indistinguishable depends on the machine being quiet, which a test JVM beside it is not (once 1.08 [1.04,
        // 1.13], p = 0.007, called slower): the test holds the ratio, the verdict word is the user's noise warning.
        // Within 25%: beside the other test JVM five rounds once gave 1.157 [1.04, 1.29]; a control that compared
        // the wrong sides (the pair's 2-5x) or kept one side always warm (its warm-up left out) is far beyond it.
        JsonNode control = v.path("controls").get(0);
        assertTrue(Math.abs(Math.log(control.path("ratio").asDouble())) < Math.log(1.25), v.toString());
        assertTrue(r.err().contains("[round 5/5] done in"), "progress on stderr: " + r.err());
        // Time per output token from the paired generations' own decode steps: 31 per 32-token generation; no-cache
        // ran as the reference in its pair (8 per round) and on both sides of the control (16), kv in its pair (8).
        JsonNode latency = v.path("token_latency");
        assertEquals(2, latency.size(), latency.toString());
        JsonNode noCache = latency.get(0).path("strategy").asText().equals("no-cache") ? latency.get(0) : latency.get(1);
        JsonNode kv = noCache == latency.get(0) ? latency.get(1) : latency.get(0);
        assertEquals("kv", kv.path("strategy").asText());
        assertEquals("newTokens=32", kv.path("configuration").asText());
        assertEquals(5 * 8 * 31, kv.path("steps").asInt(), latency.toString());
        assertEquals(5 * 24 * 31, noCache.path("steps").asInt(), latency.toString());
        assertEquals(5, kv.path("rounds").asInt());
        assertTrue(kv.path("p50_ms").asDouble() <= kv.path("p95_ms").asDouble(), latency.toString());
        assertTrue(kv.path("p50_ms").asDouble() < noCache.path("p50_ms").asDouble(),
                "a cached step feeds one position, no-cache's the whole prefix: " + latency);
        assertTrue(kv.path("p50_ci95_half_width_ms").isNumber(), latency.toString());
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(4, files.filter(f -> f.getFileName().toString().startsWith("ab-no-cache-vs-kv-")).count(),
                    "both sides' merged results and their metadata");
        }
    }

    /**
     * {@code -p context=}: the generations start from a prompt of context - newTokens tokens taken as cached, so a
     * batch at a long context costs its steps only. The entries carry the context; every decode step is counted.
     */
    @Test
    void aLongContextPairStartsFromAnAssumedPrompt(@TempDir Path tmp) throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("ab", "--strategies", "kv,static-gqa", "-p", "context=1024", "-p",
                "newTokens=8", "-p", "batchSize=4", "--rounds", "2", "--pairs", "5", "--warmup-ops", "1", "--format", "json",
                "--root", TestModels.ROOT.toString(), "--out", tmp.toString());
        assertTrue(r.code() == 0 || r.code() == 1, r.err());
        JsonNode v = new ObjectMapper().readTree(r.out());
        JsonNode latency = v.path("token_latency");
        JsonNode gqa = latency.get(0).path("strategy").asText().equals("static-gqa") ? latency.get(0) : latency.get(1);
        assertEquals("static-gqa", gqa.path("strategy").asText(), latency.toString());
        assertTrue(gqa.path("configuration").asText().contains("context=1024"), latency.toString());
        assertEquals(2 * 5 * 7, gqa.path("steps").asInt(), latency.toString());
        assertTrue(r.err().contains("context=1024"), "the progress names the context: " + r.err());
    }

    @Test
    void badInput() {
        CliTestSupport.assertBadInput("-p context=5 must be at least newTokens + 2 (10)", "ab", "--strategies", "kv,static-gqa",
                "-p", "context=5", "-p", "newTokens=8", "--root", TestModels.ROOT.toString());
        // Refused before the first round (they failed inside the worker JVMs, or after a whole round).
        String root = TestModels.ROOT.toString();
        CliTestSupport.assertBadInput("-p context= assumes the prompt cached, which only kv and the static-gqa strategies "
                + "can; kv-alloc computes every position it holds", "ab", "--strategies", "kv,kv-alloc", "-p", "context=128",
                "--root", root);
        CliTestSupport.assertBadInput("-p context= assumes the prompt cached, which only kv and the static-gqa strategies "
                + "can; hybrid", "ab", "--strategies", "kv,hybrid", "-p", "context=128", "--root", root);
        CliTestSupport.assertBadInput("-p context=5000 is beyond tiny-llama's 2048 positions", "ab", "--strategies",
                "kv,static-gqa", "-p", "context=5000", "--root", root);
        CliTestSupport.assertBadInput("-p context= is for decoder-only models; tiny-marian is an encoder-decoder model", "ab",
                "--strategies", "kv,static", "-p", "context=128", "-p", "model=tiny-marian", "--root", root);
        CliTestSupport.assertBadInput("-p newTokens lists 4 twice: each value is one configuration", "ab", "--strategies",
                "kv,static-gqa", "-p", "newTokens=4,4", "--root", root);
        CliTestSupport.assertBadInput("-p context= is for --strategies", "ab", "HEAD", "HEAD", "-p", "context=128",
                "--root", TestModels.ROOT.toString());
        CliTestSupport.assertBadInput("--strategies takes two different strategies", "ab", "--strategies", "kv");
        CliTestSupport.assertBadInput("--strategies takes two different strategies", "ab", "--strategies", "kv,kv");
        CliTestSupport.assertBadInput("give no BASE_REF or HEAD_REF", "ab", "HEAD", "--strategies", "kv,static");
        CliTestSupport.assertBadInput("-p takes model=, newTokens=, batchSize=, dtype= and context= only", "ab", "--strategies", "kv,static", "-p",
                "strategy=kv", "--root", TestModels.ROOT.toString());
        CliTestSupport.assertBadInput("unknown strategy 'fast'", "ab", "--strategies", "kv,fast");
        CliTestSupport.assertBadInput("give BASE_REF (and HEAD_REF) to compare commits, or --strategies A,B", "ab");
        assertFalse(CliTestSupport.run("ab", "--help").out().isEmpty());
    }
}
