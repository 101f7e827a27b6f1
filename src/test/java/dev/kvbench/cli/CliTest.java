package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line: real runs on the bundled models, and every kind of bad input as one line with exit code 2. */
class CliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CliTestSupport.Run r = CliTestSupport.run(args);
        return new Run(r.code(), r.out(), r.err());
    }

    static void assertBadInput(String expected, String... args) {
        CliTestSupport.assertBadInput(expected, args);
    }

    static final String LLAMA = TestModels.LLAMA.toString();

    @Test
    void generateJsonMatchesTheGolden() throws Exception {
        TestModels.Golden g = TestModels.golden(TestModels.LLAMA).get(3);
        String ids = Arrays.toString(g.promptIds()).replaceAll("[\\[\\] ]", "");
        Run r = run("generate", "--model", LLAMA, "--prompt-ids", ids, "--max-new-tokens", "32", "--ignore-eos", "--format", "json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        int[] tokens = new int[json.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = json.get("tokens").get(i).asInt();
        }
        assertEquals(Arrays.toString(Arrays.copyOf(g.generated(), 32)), Arrays.toString(tokens));
        assertEquals(32, json.get("timing").get("steps").asInt());
        assertEquals("direct", json.get("timing").get("ort_call").asText());
        assertTrue(json.get("timing").get("run_ms").asDouble() > 0);
        assertTrue(json.get("text").asText().length() > 0);
    }

    @Test
    void generateTextStreamsTheGoldenText() {
        TestModels.Golden g = TestModels.golden(TestModels.LLAMA).stream().filter(c -> !c.ignoreEos()).findFirst().orElseThrow();
        Run r = run("generate", "--model", LLAMA, "--prompt", g.prompt(), "--max-new-tokens", String.valueOf(g.maxNewTokens()),
                "--strategy", "static-gqa");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(g.text()), () -> "expected the golden text first:\n" + g.text() + "\n--- got ---\n" + r.out());
        assertTrue(r.err().contains("[static-gqa: " + g.generated().length + " tokens"), "the timing line goes to stderr: " + r.err());
        assertTrue(!r.out().contains("[static-gqa: "), "stdout holds only the text");
    }

    @Test
    void translateWithTheMarianModel() {
        TestModels.Golden g = TestModels.golden(TestModels.MARIAN).stream().filter(c -> !c.ignoreEos()).findFirst().orElseThrow();
        Run r = run("generate", "--model", TestModels.MARIAN.toString(), "--prompt", g.prompt(), "--decoder", "split");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith(g.text()), r.out());
    }

    @Test
    void scoreAgrees() {
        Run r = run("score", "--model", LLAMA, "--prompt", "The import statement is used to bring a module into scope.");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("agree"), r.out());
    }

    @Test
    void everyHelpTextFormatsCleanly() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true));
        try {
            for (String command : new String[] {"generate", "score", "bench", "compare", "ab", "gate", "report"}) {
                Run r = run(command, "--help");
                assertEquals(0, r.code(), command);
                assertTrue(r.out().contains("Usage: kvbench " + command), r.out());
            }
            assertEquals(0, run("--help").code());
        } finally {
            System.setErr(saved);
        }
        assertTrue(!captured.toString().contains("Could not format"), captured.toString());
    }

    @Test
    void badModelFolders(@TempDir Path tmp) throws Exception {
        assertBadInput("model folder not found", "generate", "--model", tmp.resolve("nope").toString(), "--prompt-ids", "1");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.copy(TestModels.LLAMA.resolve("config.json"), empty.resolve("config.json"));
        assertBadInput("unknown layout", "generate", "--model", empty.toString(), "--prompt-ids", "1");
        Path onlyDecoder = Files.createDirectories(tmp.resolve("only-decoder"));
        Files.copy(TestModels.MARIAN.resolve("config.json"), onlyDecoder.resolve("config.json"));
        Files.copy(TestModels.MARIAN.resolve("decoder_model.onnx"), onlyDecoder.resolve("decoder_model.onnx"));
        assertBadInput("unknown layout", "generate", "--model", onlyDecoder.toString(), "--prompt-ids", "1");
        Path corrupt = Files.createDirectories(tmp.resolve("corrupt"));
        Files.copy(TestModels.LLAMA.resolve("config.json"), corrupt.resolve("config.json"));
        Files.write(corrupt.resolve("model.onnx"), "this is not a protobuf".getBytes());
        assertBadInput("cannot load ONNX model", "generate", "--model", corrupt.toString(), "--prompt-ids", "1");
        Path noConfig = Files.createDirectories(tmp.resolve("no-config"));
        Files.createSymbolicLink(noConfig.resolve("model.onnx"), TestModels.LLAMA.resolve("model.onnx"));
        assertBadInput("missing config.json", "generate", "--model", noConfig.toString(), "--prompt-ids", "1");
        Path badJson = Files.createDirectories(tmp.resolve("bad-json"));
        Files.writeString(badJson.resolve("config.json"), "{ not json");
        Files.createSymbolicLink(badJson.resolve("model.onnx"), TestModels.LLAMA.resolve("model.onnx"));
        assertBadInput("config.json is not valid JSON: Unexpected character", "generate", "--model", badJson.toString(),
                "--prompt-ids", "1");
    }

    @Test
    void tokenizerOfAnotherModel(@TempDir Path tmp) throws Exception {
        Path fixture = TestModels.hfQwen2();
        for (String f : new String[] {"model.onnx", "config.json", "generation_config.json"}) {
            Files.createSymbolicLink(tmp.resolve(f), fixture.resolve(f));
        }
        Files.copy(TestModels.LLAMA.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        assertBadInput("tokenizer does not match the model", "generate", "--model", tmp.toString(), "--prompt", "hello");
    }

    @Test
    void badPromptsAndOptions() {
        assertBadInput("empty prompt", "generate", "--model", LLAMA, "--prompt", "");
        assertBadInput("empty prompt", "generate", "--model", LLAMA, "--prompt-ids", "");
        assertBadInput("beyond the model's 2048", "generate", "--model", LLAMA, "--prompt-ids", "1,2", "--max-new-tokens", "5000");
        assertBadInput("unknown strategy 'fast'", "generate", "--model", LLAMA, "--prompt-ids", "1", "--strategy", "fast");
        assertBadInput("--cache-capacity must be at least 1", "generate", "--model", LLAMA, "--prompt-ids", "1", "--strategy", "static",
                "--cache-capacity", "0");
        assertBadInput("--cache-capacity must be at least 1", "generate", "--model", LLAMA, "--prompt-ids", "1", "--strategy", "static",
                "--cache-capacity", "-1");
        assertBadInput("beyond the model's 2048 positions", "generate", "--model", LLAMA, "--prompt-ids", "1", "--strategy", "static",
                "--cache-capacity", "50000000");
        assertBadInput("--threads must be in 1..256", "generate", "--model", LLAMA, "--prompt-ids", "1", "--threads", "100000");
        assertBadInput("--top-p must be in (0, 1]", "generate", "--model", LLAMA, "--prompt-ids", "1", "--top-p", "0",
                "--temperature", "1");
        assertBadInput("--max-new-tokens must be at least 1", "generate", "--model", LLAMA, "--prompt-ids", "1", "--max-new-tokens", "0");
        assertBadInput("'x' is not a token id", "generate", "--model", LLAMA, "--prompt-ids", "1,x");
        assertBadInput("outside the vocabulary [0, 4096)", "generate", "--model", LLAMA, "--prompt-ids", "1,99999");
        assertBadInput("outside the vocabulary", "generate", "--model", LLAMA, "--prompt-ids", "-3");
        assertBadInput("exactly one of --prompt, --prompt-ids, --prompt-ids-file and --prompts-file", "generate", "--model", LLAMA);
        assertBadInput("prompt of 3 tokens + 8 new tokens need 10 cache positions, beyond --cache-capacity 4", "generate", "--model", LLAMA, "--prompt-ids", "1,2,3",
                "--strategy", "static", "--cache-capacity", "4", "--max-new-tokens", "8");
        assertBadInput("model_static.onnx is not in hf-qwen2-3layer -- `kvbench derive", "generate", "--model", TestModels.hfQwen2().toString(), "--prompt-ids", "1",
                "--strategy", "static");
        assertBadInput("missing required option --model", "generate", "--prompt-ids", "1");
        assertBadInput("--threads must be in 1..256", "generate", "--model", LLAMA, "--prompt-ids", "1", "--threads", "0");
        assertBadInput("Invalid value for option '--format'", "generate", "--model", LLAMA, "--prompt-ids", "1", "--format", "xml");
        assertBadInput("Invalid value for option '--ort-call'", "generate", "--model", LLAMA, "--prompt-ids", "1", "--ort-call", "fast");
        assertBadInput("--ort-call both compares the calls in bench only", "generate", "--model", LLAMA, "--prompt-ids", "1",
                "--ort-call", "both");
        assertBadInput("Invalid value for option '--ort-call'", "bench", "--quick", "--ort-call", "fast");
        assertBadInput("--no-cache-max-tokens must be at least 1", "bench", "--quick", "--no-cache-max-tokens", "0");
        assertBadInput("--threads must be in 1..256", "bench", "--quick", "--threads", "0");
        assertBadInput("--preset real-shapes chooses its models, strategies and lengths", "bench", "--preset", "real-shapes", "--quick");
        assertBadInput("--preset real-shapes chooses its models", "bench", "--preset", "real-shapes", "--model", LLAMA);
        assertBadInput("Invalid value for option '--preset'", "bench", "--preset", "huge");
        assertBadInput("--full and --quick contradict each other", "bench", "--full", "--quick");
        assertBadInput("--preset real-shapes chooses its models, strategies and lengths: drop --quick, --full", "bench",
                "--preset", "real-shapes", "--full");
        assertBadInput("--full and --quick contradict each other", "bench", "--quick", "--full", "--strategies", "kv");
        assertBadInput("static-gqa is not available: no static-gqa variant exists for encoder-decoder models", "bench", "--quick",
                "--model", TestModels.MARIAN.toString(), "--strategies", "static-gqa");
    }

    /** bench --verbose's console copy of JMH's output decodes a UTF-8 character split across writes (and flushes) whole. */
    @Test
    void theVerboseConsoleCopyKeepsSplitCharactersWhole() throws Exception {
        java.io.StringWriter console = new java.io.StringWriter();
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        byte[] text = "µs/op ± 0.5 — done\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (BenchCommand.Tee tee = new BenchCommand.Tee(log, new java.io.PrintWriter(console))) {
            for (byte b : text) {
                tee.write(new byte[] {b}, 0, 1);
                tee.flush(); // JMH flushes often: a flush inside a character keeps its first bytes back
            }
        }
        assertEquals("µs/op ± 0.5 — done\n", console.toString());
        assertEquals("µs/op ± 0.5 — done\n", log.toString(java.nio.charset.StandardCharsets.UTF_8));
    }
}
