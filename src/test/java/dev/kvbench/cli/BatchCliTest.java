package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.decode.Strategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate} and {@code score} over files of prompts in batches: JSON Lines in input order, the same output at
 * every batch size, encoder-decoder scoring from --source/--target and from a tab-separated file, and bad input.
 */
class BatchCliTest {
    static final String LLAMA = TestModels.LLAMA.toString();
    static final String MARIAN = TestModels.MARIAN.toString();

    @TempDir
    Path tmp;

    static List<JsonNode> jsonLines(String out) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                nodes.add(new ObjectMapper().readTree(line));
            }
        }
        return nodes;
    }

    static int[] tokens(JsonNode n) {
        int[] t = new int[n.get("tokens").size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = n.get("tokens").get(i).asInt();
        }
        return t;
    }

    private Path idsFile() throws Exception {
        List<String> lines = TestModels.golden(TestModels.LLAMA).stream().filter(TestModels.Golden::ignoreEos)
                .map(g -> Arrays.toString(g.promptIds()).replaceAll("[\\[\\] ]", "")).toList();
        return Files.write(tmp.resolve("ids.txt"), lines);
    }

    /** Five prompts of different lengths in batches of 4 (one batch of 4, one of 2): each line = its golden run alone. */
    @Test
    void promptIdsFileGivesJsonLinesInInputOrder() throws Exception {
        List<TestModels.Golden> golden = TestModels.golden(TestModels.LLAMA).stream().filter(TestModels.Golden::ignoreEos).toList();
        for (String strategy : List.of("kv", "static-gqa")) {
            CliTestSupport.Run r = CliTestSupport.run("generate", "--model", LLAMA, "--prompt-ids-file", idsFile().toString(),
                    "--batch-size", "4", "--max-new-tokens", "24", "--ignore-eos", "--format", "json", "--strategy", strategy);
            assertEquals(0, r.code(), r.err());
            List<JsonNode> lines = jsonLines(r.out());
            assertEquals(golden.size(), lines.size());
            for (int i = 0; i < golden.size(); i++) {
                assertEquals(i + 1, lines.get(i).get("line").asInt());
                assertEquals(Arrays.toString(Arrays.copyOf(golden.get(i).generated(), 24)), Arrays.toString(tokens(lines.get(i))),
                        strategy + " line " + (i + 1));
                assertEquals(i < 4 ? 4 : golden.size() - 4, lines.get(i).get("timing").get("batch_rows").asInt());
                assertEquals(golden.get(i).promptIds().length, lines.get(i).get("prompt_tokens").asInt());
            }
        }
    }

    /** Sampling is seeded per input line: the batch size does not change what a file's lines sample. */
    @Test
    void sampledOutputDoesNotDependOnTheBatchSize() throws Exception {
        Path prompts = Files.write(tmp.resolve("prompts.txt"), List.of("The import statement", "def", "Exceptions are raised when"));
        String[] outs = new String[3];
        int[] sizes = {1, 2, 3};
        for (int i = 0; i < sizes.length; i++) {
            CliTestSupport.Run r = CliTestSupport.run("generate", "--model", LLAMA, "--prompts-file", prompts.toString(),
                    "--batch-size", String.valueOf(sizes[i]), "--max-new-tokens", "16", "--temperature", "0.9",
                    "--top-k", "50", "--seed", "5", "--ignore-eos");
            assertEquals(0, r.code(), r.err());
            outs[i] = r.out();
            assertEquals(3, r.out().split("\n").length, r.out());
        }
        assertEquals(outs[0], outs[1]);
        assertEquals(outs[0], outs[2]);
    }

    @Test
    void scoreTextsFileAgreesWithTheLibraryOneAtATime() throws Exception {
        List<String> texts = List.of("The import statement is used to bring a module into scope.", "def f(x):",
                "A class definition defines a class object.");
        Path file = Files.write(tmp.resolve("texts.txt"), texts);
        CliTestSupport.Run r = CliTestSupport.run("score", "--model", LLAMA, "--texts-file", file.toString(), "--batch-size", "3",
                "--strategy", "static", "--format", "json");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = jsonLines(r.out());
        assertEquals(3, lines.size());
        for (int i = 0; i < texts.size(); i++) {
            CliTestSupport.Run one = CliTestSupport.run("score", "--model", LLAMA, "--prompt", texts.get(i), "--format", "json");
            JsonNode single = new ObjectMapper().readTree(one.out());
            assertEquals(single.get("perplexity_full").asDouble(), lines.get(i).get("perplexity_full").asDouble(),
                    single.get("perplexity_full").asDouble() * 1e-4, "line " + (i + 1));
            assertTrue(lines.get(i).get("agree").asBoolean());
        }
    }

    /** Translation scoring: --source/--target and the same pair from a tab-separated file give the library's score. */
    @Test
    void encoderDecoderScoresATargetGivenItsSource() throws Exception {
        CliTestSupport.Run pair = CliTestSupport.run("score", "--model", MARIAN, "--source", "raise an exception",
                "--target", "lever une exception", "--format", "json");
        assertEquals(0, pair.code(), pair.err());
        JsonNode p = new ObjectMapper().readTree(pair.out());
        assertTrue(p.get("log_likelihood_full").asDouble() < 0);
        assertTrue(p.get("agree").asBoolean());
        Path tsv = Files.write(tmp.resolve("pairs.tsv"), List.of("the value of\tla valeur de", "raise an exception\tlever une exception"));
        CliTestSupport.Run file = CliTestSupport.run("score", "--model", MARIAN, "--texts-file", tsv.toString(),
                "--batch-size", "2", "--strategy", "static", "--format", "json");
        assertEquals(0, file.code(), file.err());
        List<JsonNode> lines = jsonLines(file.out());
        assertEquals(p.get("log_likelihood_full").asDouble(), lines.get(1).get("log_likelihood_full").asDouble(),
                Math.abs(p.get("log_likelihood_full").asDouble()) * 1e-4);
        assertEquals(p.get("tokens").asInt(), lines.get(1).get("tokens").asInt());
        // and the library's teacher-forced pass on the same ids
        try (Engine e = new Engine(TestModels.MARIAN, Strategy.NO_CACHE)) {
            assertTrue(Perplexity.fullPass(e.generator(), List.of(new long[] {5, 6, 2}), List.of(new long[] {7, 2}))
                    .get(0).logLikelihood() < 0);
        }
    }

    @Test
    void badInputIsOneLine() throws Exception {
        Path ids = idsFile();
        Path withEmpty = Files.write(tmp.resolve("empty-line.txt"), List.of("1,2,3", "", "4,5"));
        Path emptyFile = Files.write(tmp.resolve("empty.txt"), new byte[0]);
        Path badId = Files.write(tmp.resolve("bad.txt"), List.of("1,2", "3,x"));
        Path tooLong = Files.write(tmp.resolve("long.txt"), List.of("1,2", "1," + "5,".repeat(2040) + "5"));
        CliTestSupport.assertBadInput("empty-line.txt line 2: empty line", "generate", "--model", LLAMA,
                "--prompt-ids-file", withEmpty.toString());
        CliTestSupport.assertBadInput("--prompt-ids-file: " + tmp.resolve("missing.txt") + " does not exist", "generate",
                "--model", LLAMA, "--prompt-ids-file", tmp.resolve("missing.txt").toString());
        CliTestSupport.assertBadInput("is empty", "generate", "--model", LLAMA, "--prompts-file", emptyFile.toString());
        CliTestSupport.assertBadInput("bad.txt line 2: 'x' is not a token id", "generate", "--model", LLAMA,
                "--prompt-ids-file", badId.toString());
        CliTestSupport.assertBadInput("--batch-size must be in 1..4096, got 0", "generate", "--model", LLAMA,
                "--prompt-ids-file", ids.toString(), "--batch-size", "0");
        CliTestSupport.assertBadInput("long.txt line 2: prompt of 2042 tokens + 64 new tokens = 2106 positions, beyond the "
                + "model's 2048", "generate", "--model", LLAMA, "--prompt-ids-file", tooLong.toString(), "--batch-size", "2");
        CliTestSupport.assertBadInput("exactly one of", "generate", "--model", LLAMA, "--prompt-ids-file", ids.toString(),
                "--prompt", "x");
        CliTestSupport.assertBadInput("--batch-size must be in 1..4096, got 0", "score", "--model", LLAMA,
                "--texts-file", ids.toString(), "--batch-size", "0");
        CliTestSupport.assertBadInput("--texts-file: " + tmp.resolve("none.txt") + " does not exist", "score", "--model", LLAMA,
                "--texts-file", tmp.resolve("none.txt").toString());
        CliTestSupport.assertBadInput("empty-line.txt line 2: empty line", "score", "--model", LLAMA,
                "--texts-file", withEmpty.toString());
        CliTestSupport.assertBadInput("line 1: expected a source, a tab and a target", "score", "--model", MARIAN,
                "--texts-file", ids.toString());
        CliTestSupport.assertBadInput("give --source and --target", "score", "--model", MARIAN, "--source", "the value of");
        CliTestSupport.assertBadInput("--source and --target are for encoder-decoder models", "score", "--model", LLAMA,
                "--source", "a", "--target", "b");
    }
}
