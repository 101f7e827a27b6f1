package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code kvbench serve}: one JSON line per request and a summary per rate; a table in text; bad input one line. */
class ServeCommandTest {
    @Test
    void oneLinePerRequestAndASummaryPerRate() throws Exception {
        List<JsonNode> lines = CandidateScoringTest.lines(CliTestSupport.run("serve", "--rate", "200,400", "--requests", "4",
                "--max-new-tokens", "4", "--policy", "static-batch", "--max-batch", "2", "--slo", "ttft=10000,tpot=10000",
                "--format", "json"));
        assertEquals(2 * (4 + 1), lines.size());
        JsonNode summary = lines.get(4);
        assertTrue(summary.get("summary").asBoolean() && summary.get("rate").asDouble() == 200, summary.toString());
        assertEquals(1.0, summary.get("goodput").asDouble(), "targets of 10 s are met: " + summary);
        assertTrue(summary.get("ttft_ms_p50").asDouble() <= summary.get("ttft_ms_p99").asDouble());
        for (JsonNode r : lines.subList(0, 4)) {
            assertEquals(4, r.get("tokens").size());
            assertEquals(3, r.get("inter_token_ms").size());
            assertTrue(r.get("ttft_ms").asDouble() > 0 && r.get("rows").asInt() <= 2, r.toString());
        }
        List<JsonNode> closed = CandidateScoringTest.lines(CliTestSupport.run("serve", "--clients", "2", "--requests", "4",
                "--max-new-tokens", "3", "--format", "json"));
        assertEquals(5, closed.size());
        assertEquals(2, closed.get(4).get("clients").asInt(), closed.get(4).toString());
        CliTestSupport.Run text = CliTestSupport.run("serve", "--rate", "100", "--requests", "3", "--max-new-tokens", "3");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("serve tiny-llama: kv, sequential, 3 requests of 16 + 3 tokens per rate"), text.out());
        assertTrue(text.out().lines().anyMatch(l -> l.trim().startsWith("100 ")), text.out());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertBadInput("--rate takes request rates above 0 per second, got 0.0", "serve", "--rate", "0");
        assertBadInput("unknown policy 'continuous'", "serve", "--policy", "continuous");
        assertBadInput("--max-batch is static-batch's; it does nothing with --policy sequential", "serve", "--max-batch", "4");
        assertBadInput("--max-wait-ms is static-batch's", "serve", "--max-wait-ms", "4");
        assertBadInput("the batch size must be in 1..4096, got 0", "serve", "--policy", "static-batch", "--max-batch", "0");
        assertBadInput("the batch wait must be a finite number of milliseconds >= 0", "serve", "--policy", "static-batch",
                "--max-wait-ms", "-1");
        assertBadInput("--slo takes ttft=MS,tpot=MS with milliseconds above 0, got 'ttft=abc'", "serve", "--slo", "ttft=abc");
        assertBadInput("--slo knows ttft and tpot, not 'e2e'", "serve", "--slo", "e2e=5");
        assertBadInput("--requests must be in 1..4096, got 0", "serve", "--requests", "0");
        assertBadInput("beyond the model's 2048", "serve", "--max-new-tokens", "5000");
        assertBadInput("give --rate (open loop) or --clients (closed loop), not both", "serve", "--clients", "2", "--rate", "3");
        assertBadInput("--clients must be in 1..--requests (8), got 9", "serve", "--clients", "9", "--requests", "8");
    }
}
