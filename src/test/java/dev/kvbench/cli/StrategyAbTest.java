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
 * A pair known to differ by 2 to 5x at 32 tokens (no-cache re-feeds the whole prefix every step) is called faster;
 * the control is not called faster or slower (alpha 0.01: a false call has at most a 1% chance). Four rounds: with
 * three, a 0.43 [0.27, 0.69] ratio on a noisy machine once missed alpha 0.01 (p = 0.016).
 */
class StrategyAbTest {
    @Test
    void aPairKnownToDifferIsCalledFasterAndTheControlIsNot(@TempDir Path tmp) throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("ab", "--strategies", "no-cache,kv", "-p", "newTokens=32", "--rounds", "4",
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
        JsonNode control = v.path("controls").get(0);
        assertTrue(control.path("verdict").asText().startsWith("indistinguishable"), v.toString());
        assertTrue(r.err().contains("[round 4/4] done in"), "progress on stderr: " + r.err());
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(4, files.filter(f -> f.getFileName().toString().startsWith("ab-no-cache-vs-kv-")).count(),
                    "both sides' merged results and their metadata");
        }
    }

    @Test
    void badInput() {
        CliTestSupport.assertBadInput("--strategies takes two different strategies", "ab", "--strategies", "kv");
        CliTestSupport.assertBadInput("--strategies takes two different strategies", "ab", "--strategies", "kv,kv");
        CliTestSupport.assertBadInput("give no BASE_REF or HEAD_REF", "ab", "HEAD", "--strategies", "kv,static");
        CliTestSupport.assertBadInput("-p takes model=, newTokens=, batchSize= and dtype= only", "ab", "--strategies", "kv,static", "-p",
                "strategy=kv", "--root", TestModels.ROOT.toString());
        CliTestSupport.assertBadInput("unknown strategy 'fast'", "ab", "--strategies", "kv,fast");
        CliTestSupport.assertBadInput("give BASE_REF (and HEAD_REF) to compare commits, or --strategies A,B", "ab");
        assertFalse(CliTestSupport.run("ab", "--help").out().isEmpty());
    }
}
