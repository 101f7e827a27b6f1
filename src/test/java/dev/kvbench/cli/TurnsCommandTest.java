package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate --turns-file}: a conversation's replies, the same with the kept cache and generated anew. */
class TurnsCommandTest {
    static final String LLAMA = TestModels.LLAMA.toString();

    @Test
    void repliesAreTheSameWithTheKeptCacheAndGeneratedAnew(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("turns.txt"), "The quick brown fox\njumps over\nthe lazy dog\n");
        for (String strategy : new String[] {"kv", "static-gqa"}) {
            List<JsonNode> on = CandidateScoringTest.lines(CliTestSupport.run("generate", "--model", LLAMA, "--turns-file",
                    file.toString(), "--max-new-tokens", "6", "--ignore-eos", "--strategy", strategy, "--format", "json"));
            List<JsonNode> off = CandidateScoringTest.lines(CliTestSupport.run("generate", "--model", LLAMA, "--turns-file",
                    file.toString(), "--max-new-tokens", "6", "--ignore-eos", "--strategy", strategy, "--format", "json",
                    "--reuse-prefix", "off"));
            assertEquals(3, on.size());
            for (int i = 0; i < 3; i++) {
                assertEquals(i + 1, on.get(i).get("turn").asInt());
                assertEquals(6, on.get(i).get("tokens").asInt());
                assertEquals(off.get(i).get("text").asText(), on.get(i).get("text").asText(), strategy + " turn " + (i + 1));
                assertTrue(on.get(i).get("reuse_prefix").asBoolean() && !off.get(i).get("reuse_prefix").asBoolean());
            }
        }
        CliTestSupport.Run text = CliTestSupport.run("generate", "--model", LLAMA, "--turns-file", file.toString(),
                "--max-new-tokens", "4");
        assertEquals(0, text.code(), text.err());
        assertEquals(3, text.out().strip().lines().count(), text.out());
        assertTrue(text.err().contains("3 turns, each appended to the kept cache (--reuse-prefix on)"), text.err());
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("turns.txt"), "one\ntwo\n");
        Path longTurns = Files.writeString(tmp.resolve("long.txt"), "one\n" + "a b ".repeat(1100) + "\n");
        String f = file.toString();
        assertBadInput("--reuse-prefix is for --turns-file and --samples", "generate", "--model", LLAMA, "--prompt", "x",
                "--reuse-prefix", "off");
        assertBadInput("--reuse-prefix takes on or off, got 'yes'", "generate", "--model", LLAMA, "--turns-file", f,
                "--reuse-prefix", "yes");
        assertBadInput("--turns-file holds the conversation", "generate", "--model", LLAMA, "--turns-file", f,
                "--prompt", "x");
        assertBadInput("--batch-size does nothing", "generate", "--model", LLAMA, "--turns-file", f, "--batch-size", "2");
        assertBadInput("this is an encoder-decoder model", "generate", "--model", TestModels.MARIAN.toString(),
                "--turns-file", f);
        assertBadInput(longTurns + " line 2: the conversation up to this turn's reply needs ", "generate", "--model",
                LLAMA, "--turns-file", longTurns.toString());
        assertBadInput("--top-k does nothing when decoding greedily", "generate", "--model", LLAMA, "--turns-file", f,
                "--top-k", "3");
    }
}
