package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code kvbench serve}: one JSON line per request and a summary per load; a table in text; every policy; a trace;
 * repeated runs with intervals; a result file compare and history read; bad input one line.
 */
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
        assertEquals(0, summary.get("unserved").asInt());
        for (JsonNode r : lines.subList(0, 4)) {
            assertEquals(4, r.get("tokens").size());
            assertEquals(16, r.get("prompt").size());
            assertEquals(3, r.get("inter_token_ms").size());
            assertTrue(r.get("ttft_ms").asDouble() > 0 && r.get("rows").asDouble() <= 2, r.toString());
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

    /** Continuous batching on both model kinds, with drawn lengths: the table, and the prefill interference line. */
    @Test
    void continuousServesBothModelKinds() throws Exception {
        CliTestSupport.Run llama = CliTestSupport.run("serve", "--policy", "continuous", "--strategy", "static-gqa",
                "--clients", "4", "--requests", "8", "--prompt-tokens", "4..12", "--max-new-tokens", "2..8",
                "--prefill-chunk", "4");
        assertEquals(0, llama.code(), llama.err());
        assertTrue(llama.out().startsWith("serve tiny-llama: static-gqa, continuous (up to 8 rows, joining in free slots, "
                + "prompts 4 tokens per step), 8 requests of 4..12 + 2..8 tokens per run"), llama.out());
        assertTrue(llama.out().contains("inter-token p95"), llama.out());
        CliTestSupport.Run cached = CliTestSupport.run("serve", "--policy", "continuous", "--strategy", "static-gqa",
                "--clients", "2", "--requests", "6", "--prompt-tokens", "24", "--max-new-tokens", "3", "--prompt-cache", "on",
                "--format", "json");
        List<JsonNode> lines = CandidateScoringTest.lines(cached);
        assertTrue(lines.subList(2, 6).stream().allMatch(l -> l.get("reused_tokens").asInt() == 20),
                "each later prompt shares all but its last 4 tokens with an earlier one: " + lines);
        assertTrue(lines.get(6).get("prompt_tokens_reused_share").asDouble() > 0.5, lines.get(6).toString());
        CliTestSupport.Run marian = CliTestSupport.run("serve", "--model", "tiny-marian", "--policy", "continuous",
                "--max-batch", "3", "--rate", "500", "--requests", "6", "--max-new-tokens", "4");
        assertEquals(0, marian.code(), marian.err());
        assertTrue(marian.out().contains("continuous (up to 3 rows, new requests join when the batch has drained: rows of "
                + "different lengths cannot share it)"), marian.out());
        CliTestSupport.Run kv = CliTestSupport.run("serve", "--policy", "continuous", "--rate", "500", "--requests", "3",
                "--max-new-tokens", "3");
        assertTrue(kv.out().contains("continuous (up to 8 rows, a join recomputes the running rows)"), kv.out());
    }

    @Test
    void aTraceIsReplayed(@TempDir Path tmp) throws Exception {
        Path trace = tmp.resolve("t.jsonl");
        Files.writeString(trace, "{\"arrival_ms\": 0, \"prompt\": \"Hello there\", \"max_new_tokens\": 3}\n"
                + "{\"arrival_ms\": 5, \"prompt_ids\": [1, 200, 300, 400], \"max_new_tokens\": 2}\n"
                + "{\"arrival_ms\": 6, \"prompt_ids\": [1, 201], \"max_new_tokens\": 20, \"cancel_after_tokens\": 4}\n");
        List<JsonNode> lines = CandidateScoringTest.lines(CliTestSupport.run("serve", "--trace", trace.toString(),
                "--policy", "continuous", "--format", "json"));
        assertEquals(4, lines.size());
        assertEquals(3, lines.get(0).get("tokens").size());
        assertTrue(lines.get(2).get("cancelled").asBoolean() && lines.get(2).get("tokens").size() == 4, lines.get(2).toString());
        assertEquals(List.of(1L, 200L, 300L, 400L), java.util.stream.StreamSupport.stream(lines.get(1).get("prompt")
                .spliterator(), false).map(JsonNode::asLong).toList());
        assertTrue(lines.get(3).get("trace").asBoolean(), lines.get(3).toString());
        Files.writeString(trace, "{\"arrival_ms\": 0, \"prompt_ids\": [1, 2], \"max_new_tokens\": 0}\n");
        assertBadInput("t.jsonl line 1: max_new_tokens must be a whole number >= 1", "serve", "--trace", trace.toString());
        Files.writeString(trace, "{\"arrival_ms\": -1, \"prompt_ids\": [1, 2], \"max_new_tokens\": 2}\n");
        assertBadInput("line 1: arrival_ms must be a number of milliseconds >= 0", "serve", "--trace", trace.toString());
        Files.writeString(trace, "{\"arrival_ms\": 1, \"prompt_ids\": [1, 99999], \"max_new_tokens\": 2}\n");
        assertBadInput("line 1: prompt_ids[1] 99999 is not a token id", "serve", "--trace", trace.toString());
        Files.writeString(trace, "{\"arrival_ms\": 1, \"prompt\": \"a\", \"prompt_ids\": [1], \"max_new_tokens\": 2}\n");
        assertBadInput("line 1: give exactly one of prompt and prompt_ids", "serve", "--trace", trace.toString());
        Files.writeString(trace, "{\"arrival_ms\": 1, \"prompt_ids\": [1, 2], \"max_new_tokens\": 2, \"rate\": 3}\n");
        assertBadInput("line 1: unknown field 'rate'", "serve", "--trace", trace.toString());
        Files.writeString(trace, "{\"arrival_ms\": 1, \"prompt_ids\": [1, 2], \"max_new_tokens\": 2, \"cancel_after_tokens\": 0}\n");
        assertBadInput("line 1: cancel_after_tokens must be a whole number >= 1", "serve", "--trace", trace.toString());
        Files.writeString(trace, "[1, 2]\n");
        assertBadInput("line 1: not a JSON object", "serve", "--trace", trace.toString());
        Files.writeString(trace, "");
        assertBadInput("--trace: " + trace + " is empty", "serve", "--trace", trace.toString());
        assertBadInput("--requests does nothing with --trace", "serve", "--trace", trace.toString(), "--requests", "3");
        assertBadInput("give one of --rate (open loop), --clients (closed loop) or --trace", "serve", "--trace",
                trace.toString(), "--rate", "3");
    }

    /** Repeated runs carry intervals; the result file is JMH-format entries that compare reads like any other. */
    @Test
    void repeatedRunsWriteAResultFileCompareReads(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a.json");
        Path b = tmp.resolve("b.json");
        for (Path out : List.of(a, b)) {
            CliTestSupport.Run r = CliTestSupport.run("serve", "--policy", "continuous", "--strategy", "static-gqa",
                    "--clients", "2", "--requests", "4", "--max-new-tokens", "4", "--repeat", "5", "--out", out.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("5 runs each, mean ± 95% interval") && r.out().contains(" ± "), r.out());
        }
        List<JmhResult> results = JmhResults.read(a);
        JmhResult tokens = results.stream().filter(x -> x.benchmark().endsWith("Serving.tokensPerSecond")).findFirst()
                .orElseThrow();
        assertEquals(5, tokens.primary().samples().length, "one sample per run");
        assertEquals("continuous", tokens.param("policy"));
        assertEquals("2", tokens.param("clients"));
        assertTrue(results.stream().anyMatch(x -> x.benchmark().endsWith("Serving.tpotP95") && x.primary().unit().equals("ms")));
        CliTestSupport.Run compare = CliTestSupport.run("compare", a.toString(), b.toString());
        assertTrue(compare.code() == 0 || compare.code() == 1, compare.err());
        assertTrue(compare.out().contains("Serving.tokensPerSecond"), compare.out());
        assertBadInput("exists: results are never overwritten", "serve", "--requests", "2", "--out", a.toString());
        CliTestSupport.Run history = CliTestSupport.run("history", a.toString(), b.toString());
        assertEquals(0, history.code(), history.err());
        assertTrue(history.out().contains("Serving.tokensPerSecond"), history.out());
        // The gate: the file against itself passes; against a copy whose throughput fell to a fifth it fails, naming the
        // figure (5 runs a side: Mann-Whitney's smallest p is 0.008).
        CliTestSupport.Run same = CliTestSupport.run("gate", a.toString(), a.toString());
        assertEquals(0, same.code(), same.out() + same.err());
        com.fasterxml.jackson.databind.node.ArrayNode planted = (com.fasterxml.jackson.databind.node.ArrayNode)
                dev.kvbench.support.JsonFiles.MAPPER.readTree(a.toFile());
        for (JsonNode e : planted) {
            if (e.get("benchmark").asText().endsWith("tokensPerSecond")) {
                com.fasterxml.jackson.databind.node.ArrayNode raw = (com.fasterxml.jackson.databind.node.ArrayNode)
                        e.get("primaryMetric").get("rawData").get(0);
                for (int i = 0; i < raw.size(); i++) {
                    raw.set(i, raw.get(i).asDouble() * 0.2);
                }
            }
        }
        Path slower = tmp.resolve("slower.json");
        dev.kvbench.support.JsonFiles.MAPPER.writeValue(slower.toFile(), planted);
        CliTestSupport.Run fail = CliTestSupport.run("gate", a.toString(), slower.toString());
        assertEquals(1, fail.code(), fail.out() + fail.err());
        assertTrue(fail.out().contains("gate: FAIL") && fail.out().contains("Serving.tokensPerSecond"), fail.out());
        assertBadInput("--serving-threshold must be a finite number >= 0", "gate", a.toString(), a.toString(),
                "--serving-threshold", "-1");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertBadInput("--rate takes request rates above 0 per second, got 0.0", "serve", "--rate", "0");
        assertBadInput("unknown policy 'paged' (sequential, static-batch or continuous)", "serve", "--policy", "paged");
        assertBadInput("--max-batch is static-batch's and continuous's; it does nothing with --policy sequential", "serve",
                "--max-batch", "4");
        assertBadInput("--max-wait-ms is static-batch's", "serve", "--max-wait-ms", "4");
        assertBadInput("--max-wait-ms is static-batch's; it does nothing with --policy continuous", "serve", "--policy",
                "continuous", "--max-wait-ms", "4");
        assertBadInput("the batch size must be in 1..4096, got 0", "serve", "--policy", "static-batch", "--max-batch", "0");
        assertBadInput("the batch size must be in 1..4096, got 5000", "serve", "--policy", "continuous", "--max-batch", "5000");
        assertBadInput("the batch wait must be a finite number of milliseconds >= 0", "serve", "--policy", "static-batch",
                "--max-wait-ms", "-1");
        assertBadInput("--slo takes ttft=MS,tpot=MS with milliseconds above 0, got 'ttft=abc'", "serve", "--slo", "ttft=abc");
        assertBadInput("--slo knows ttft and tpot, not 'e2e'", "serve", "--slo", "e2e=5");
        assertBadInput("--requests must be in 1..4096, got 0", "serve", "--requests", "0");
        assertBadInput("beyond the model's 2048", "serve", "--max-new-tokens", "5000");
        assertBadInput("give one of --rate (open loop), --clients (closed loop) or --trace, not several", "serve",
                "--clients", "2", "--rate", "3");
        assertBadInput("--clients must be in 1..--requests (8), got 9", "serve", "--clients", "9", "--requests", "8");
        assertBadInput("--max-seconds must be a finite number above 0, got 0.0", "serve", "--max-seconds", "0");
        assertBadInput("--repeat must be in 1..100, got 0", "serve", "--repeat", "0");
        assertBadInput("--prompt-tokens takes N or MIN..MAX with 1 <= MIN <= MAX, got '9..3'", "serve", "--prompt-tokens", "9..3");
        assertBadInput("--max-new-tokens takes N or MIN..MAX with 1 <= MIN <= MAX, got 'x'", "serve", "--max-new-tokens", "x");
        assertBadInput("--prompt-tokens must be at least 2, got '1..4'", "serve", "--prompt-tokens", "1..4");
        assertBadInput("beyond the model's 2048", "serve", "--prompt-tokens", "16..3000");
        assertBadInput("its folder", "serve", "--out", "/nonexistent-dir/x.json");
        assertBadInput("--prefill-chunk is continuous's; it does nothing with --policy sequential", "serve",
                "--prefill-chunk", "8");
        assertBadInput("--prefill-chunk must be at least 1 token, got 0", "serve", "--policy", "continuous",
                "--prefill-chunk", "0");
        assertBadInput("--prefill-chunk needs a cache with a slot per row", "serve", "--policy", "continuous",
                "--prefill-chunk", "8");
        assertBadInput("--prompt-cache takes on or off, got 'yes'", "serve", "--policy", "continuous", "--prompt-cache", "yes");
        assertBadInput("--prompt-cache is continuous's; it does nothing with --policy static-batch", "serve", "--policy",
                "static-batch", "--prompt-cache", "on");
        assertBadInput("--prompt-cache needs a cache with a slot per row", "serve", "--policy", "continuous",
                "--prompt-cache", "on");
    }

    /** An overloaded run stops at --max-seconds and says so. */
    @Test
    void anOverloadedRunSaysWhatItLeft() {
        CliTestSupport.Run r = CliTestSupport.run("serve", "--rate", "100000", "--requests", "300", "--max-new-tokens", "64",
                "--max-seconds", "0.3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("overloaded: ") && r.out().contains("requests not started within --max-seconds 0.3"),
                r.out());
    }
}
