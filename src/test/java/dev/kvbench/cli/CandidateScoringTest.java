package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.TestModels;
import dev.kvbench.support.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code score --candidates-file} and {@code --targets-file}: candidates given one prompt, ranked; the prompt computed
 * once or per candidate gives the same scores; an n-best target scores what {@code score --source --target} scores.
 */
class CandidateScoringTest {
    static final String LLAMA = TestModels.LLAMA.toString();
    static final String MARIAN = TestModels.MARIAN.toString();

    static List<JsonNode> lines(CliTestSupport.Run r) throws Exception {
        assertEquals(0, r.code(), r.err());
        List<JsonNode> out = new ArrayList<>();
        for (String l : r.out().strip().split("\n")) {
            out.add(JsonFiles.MAPPER.readTree(l));
        }
        return out;
    }

    @Test
    void candidatesGivenOnePromptRankTheSameWithAndWithoutReuse(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("candidates.txt"),
                "the lazy dog\nover the moon and far away\njumps over the lazy dog\nbanana\n");
        for (String strategy : new String[] {"kv", "static-gqa", "kv-alloc"}) {
            List<JsonNode> on = lines(CliTestSupport.run("score", "--model", LLAMA, "--prompt", "The quick brown fox",
                    "--candidates-file", file.toString(), "--strategy", strategy, "--format", "json"));
            List<JsonNode> off = lines(CliTestSupport.run("score", "--model", LLAMA, "--prompt", "The quick brown fox",
                    "--candidates-file", file.toString(), "--strategy", strategy, "--reuse-prefix", "off", "--format", "json"));
            assertEquals(4, on.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(i + 1, on.get(i).get("line").asInt(), "input order");
                assertTrue(on.get(i).get("reuse_prefix").asBoolean() && !off.get(i).get("reuse_prefix").asBoolean());
                double a = on.get(i).get("log_likelihood").asDouble();
                assertEquals(off.get(i).get("log_likelihood").asDouble(), a, 1e-5 * Math.abs(a), strategy + " line " + i);
                assertEquals(off.get(i).get("rank").asInt(), on.get(i).get("rank").asInt());
                assertTrue(a < 0 && on.get(i).get("tokens").asInt() > 0, on.get(i).toString());
            }
            // Ranks 1..4, the best the highest log-likelihood.
            for (JsonNode x : on) {
                for (JsonNode y : on) {
                    if (x.get("rank").asInt() < y.get("rank").asInt()) {
                        assertTrue(x.get("log_likelihood").asDouble() >= y.get("log_likelihood").asDouble());
                    }
                }
            }
        }
        CliTestSupport.Run text = CliTestSupport.run("score", "--model", LLAMA, "--prompt", "The quick brown fox",
                "--candidates-file", file.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith("4 candidates given a prompt of "), text.out());
        assertTrue(text.out().contains("the prompt computed once (--reuse-prefix on)"), text.out());
    }

    /** Candidates as the rows of batches over copies of the prompt: what one at a time scores, for both model kinds. */
    @Test
    void candidatesInBatchesScoreAsOneAtATime(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("candidates.txt"),
                "the lazy dog\nover the moon and far away\njumps over the lazy dog\nbanana\na\n");
        String[][] cases = {{LLAMA, "--prompt", "The quick brown fox", "--candidates-file", "kv"},
                {LLAMA, "--prompt", "The quick brown fox", "--candidates-file", "static-gqa"},
                {MARIAN, "--source", "Hello world", "--targets-file", "static"}};
        for (String[] c : cases) {
            List<JsonNode> one = lines(CliTestSupport.run("score", "--model", c[0], c[1], c[2], c[3], file.toString(),
                    "--strategy", c[4], "--format", "json"));
            List<JsonNode> batched = lines(CliTestSupport.run("score", "--model", c[0], c[1], c[2], c[3], file.toString(),
                    "--strategy", c[4], "--batch-size", "3", "--format", "json"));
            for (int i = 0; i < 5; i++) {
                double a = one.get(i).get("log_likelihood").asDouble();
                assertEquals(a, batched.get(i).get("log_likelihood").asDouble(), 1e-5 * Math.abs(a), c[4] + " line " + i);
                assertEquals(one.get(i).get("rank").asInt(), batched.get(i).get("rank").asInt());
                assertEquals(1, one.get(i).get("rows").asInt());
                assertEquals(3, batched.get(i).get("rows").asInt());
            }
        }
        CliTestSupport.Run text = CliTestSupport.run("score", "--model", LLAMA, "--prompt", "The quick brown fox",
                "--candidates-file", file.toString(), "--batch-size", "8");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("5 candidates per batch (--batch-size)"), text.out());
    }

    /** n-best rescoring: each target given the source, encoded once; what score --source --target says of each. */
    @Test
    void targetsGivenOneSourceScoreAsEachPairAlone(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("targets.txt"), "Hallo Welt\nGuten Tag\n");
        List<JsonNode> ranked = lines(CliTestSupport.run("score", "--model", MARIAN, "--source", "Hello world",
                "--targets-file", file.toString(), "--format", "json"));
        String[] targets = {"Hallo Welt", "Guten Tag"};
        for (int i = 0; i < 2; i++) {
            JsonNode pair = lines(CliTestSupport.run("score", "--model", MARIAN, "--source", "Hello world", "--target",
                    targets[i], "--format", "json")).get(0);
            double expected = pair.get("log_likelihood_full").asDouble(); // no-cache's one pass
            assertEquals(expected, ranked.get(i).get("log_likelihood").asDouble(), 1e-4 * Math.abs(expected), targets[i]);
            assertEquals(pair.get("tokens").asInt(), ranked.get(i).get("tokens").asInt());
        }
    }

    @Test
    void badInputIsOneLineBeforeAnyScoring(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("c.txt"), "one\ntwo\n");
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        Path blank = Files.writeString(tmp.resolve("blank.txt"), "one\n \n");
        Path longLine = Files.writeString(tmp.resolve("long.txt"), "fine\n" + "a b ".repeat(1100) + "\n");
        String f = file.toString();
        assertBadInput("--reuse-prefix is for --candidates-file and --targets-file", "score", "--model", LLAMA, "--prompt",
                "The fox", "--reuse-prefix", "on");
        assertBadInput("--reuse-prefix takes on or off, got 'maybe'", "score", "--model", LLAMA, "--prompt", "The fox",
                "--candidates-file", f, "--reuse-prefix", "maybe");
        assertBadInput("this is an encoder-decoder model: give --source and --targets-file", "score", "--model", MARIAN,
                "--source", "Hello", "--candidates-file", f);
        assertBadInput("--targets-file is for encoder-decoder models", "score", "--model", LLAMA, "--prompt", "x",
                "--targets-file", f);
        assertBadInput("not both", "score", "--model", LLAMA, "--prompt", "x", "--candidates-file", f, "--targets-file", f);
        assertBadInput("candidates are scored given one prompt", "score", "--model", LLAMA, "--texts-file", f,
                "--candidates-file", f);
        assertBadInput("--batch-size must be in 1..4096, got 0", "score", "--model", LLAMA, "--prompt", "x",
                "--candidates-file", f, "--batch-size", "0");
        assertBadInput("empty.txt is empty", "score", "--model", LLAMA, "--prompt", "x", "--candidates-file",
                empty.toString());
        assertBadInput(blank + " line 2: empty line", "score", "--model", LLAMA, "--prompt", "x", "--candidates-file",
                blank.toString());
        assertBadInput(longLine + " line 2: the prompt's ", "score", "--model", LLAMA, "--prompt", "x",
                "--candidates-file", longLine.toString());
        assertBadInput("--targets-file scores targets given one --source", "score", "--model", MARIAN, "--targets-file", f);
    }
}
