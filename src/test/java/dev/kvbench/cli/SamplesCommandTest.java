package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate --samples N}: N seeded generations of one prompt, the prompt computed once and copied into the rows
 * or computed per row: the same tokens; sample k draws what a single generation seeded seed + k draws.
 */
class SamplesCommandTest {
    static final String LLAMA = TestModels.LLAMA.toString();

    @Test
    void samplesOfOnePrefillAreTheSampleOfEachSeed() throws Exception {
        for (String strategy : new String[] {"kv", "static-gqa"}) {
            String[] args = {"generate", "--model", LLAMA, "--prompt", "Once upon a time", "--samples", "3",
                "--temperature", "0.9", "--seed", "5", "--max-new-tokens", "10", "--ignore-eos", "--strategy", strategy,
                "--format", "json"};
            List<JsonNode> on = CandidateScoringTest.lines(CliTestSupport.run(args));
            String[] offArgs = java.util.Arrays.copyOf(args, args.length + 2);
            offArgs[args.length] = "--reuse-prefix";
            offArgs[args.length + 1] = "off";
            List<JsonNode> off = CandidateScoringTest.lines(CliTestSupport.run(offArgs));
            assertEquals(3, on.size());
            for (int k = 0; k < 3; k++) {
                assertEquals(k + 1, on.get(k).get("sample").asInt());
                assertEquals(5 + k, on.get(k).get("seed").asLong());
                assertEquals(off.get(k).get("tokens").toString(), on.get(k).get("tokens").toString(), strategy + " " + k);
                // Sample k is the single generation seeded 5 + k.
                JsonNode alone = CandidateScoringTest.lines(CliTestSupport.run("generate", "--model", LLAMA, "--prompt",
                        "Once upon a time", "--temperature", "0.9", "--seed", String.valueOf(5 + k), "--max-new-tokens",
                        "10", "--ignore-eos", "--strategy", strategy, "--format", "json")).get(0);
                assertEquals(alone.get("tokens").toString(), on.get(k).get("tokens").toString(), strategy + " seed " + (5 + k));
            }
            assertNotEquals(on.get(0).get("tokens").toString(), on.get(1).get("tokens").toString());
        }
        CliTestSupport.Run text = CliTestSupport.run("generate", "--model", TestModels.MARIAN.toString(), "--prompt",
                "Hello world", "--samples", "2", "--temperature", "1");
        assertEquals(0, text.code(), text.err());
        assertEquals(2, text.out().strip().lines().count(), text.out());
        assertTrue(text.err().contains("2 samples") && text.err().contains("--reuse-prefix on"), text.err());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertBadInput("--samples must be in 1..4096, got 0", "generate", "--model", LLAMA, "--prompt", "x", "--samples",
                "0", "--temperature", "1");
        assertBadInput("--samples 3 draws the same tokens in every row when decoding greedily", "generate", "--model",
                LLAMA, "--prompt", "x", "--samples", "3");
        assertBadInput("--reuse-prefix takes on or off, got 'yes'", "generate", "--model", LLAMA, "--prompt", "x",
                "--samples", "2", "--temperature", "1", "--reuse-prefix", "yes");
        assertBadInput("not a prompts file", "generate", "--model", LLAMA, "--prompt-ids-file", "/nonexistent",
                "--samples", "2", "--temperature", "1");
        assertBadInput("not both", "generate", "--model", LLAMA, "--turns-file", "/nonexistent", "--samples", "2",
                "--temperature", "1");
        assertBadInput("--batch-size does nothing", "generate", "--model", LLAMA, "--prompt", "x", "--samples", "2",
                "--temperature", "1", "--batch-size", "2");
        assertBadInput("beyond the model's 2048", "generate", "--model", LLAMA, "--prompt", "x", "--samples", "2",
                "--temperature", "1", "--max-new-tokens", "5000");
    }
}
