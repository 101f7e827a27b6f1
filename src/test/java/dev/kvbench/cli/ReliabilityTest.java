package dev.kvbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.TestModels;
import dev.kvbench.report.ResultFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static dev.kvbench.cli.CliTestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inputs an adversarial trial found answered wrongly or silently, each now a correct answer or one line with its exit
 * code. (The ones that need a process of their own, a long command line, a full disk, a closed pipe, a C locale and
 * Ctrl-C, are in {@code ProcessLevelIT}.)
 */
class ReliabilityTest {
    static final String LLAMA = TestModels.LLAMA.toString();
    static final String MARIAN = TestModels.MARIAN.toString();
    static final Path GATE_BASELINE = TestModels.ROOT.resolve("results/baseline/ci-gate.json");
    static final Path BENCH_RESULT = TestModels.ROOT.resolve("src/test/resources/results/bench-ff3ddf2.json");

    static String words(int n) {
        return IntStream.range(0, n).mapToObj(i -> "word").collect(Collectors.joining(" "));
    }

    /**
     * config.json's limits checked at model open, one line each: a position count of 0 no longer removes the limit, and
     * -5, text or 1e12 positions, or an eos_token_id beyond the vocabulary, are refused (all were accepted at exit 0).
     */
    @Test
    void configValuesAreChecked(@TempDir Path tmp) throws Exception {
        String config = Files.readString(TestModels.LLAMA.resolve("config.json"));
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("\"max_position_embeddings\": 0", "max_position_embeddings must be a whole number of positions from 1 to 16777216, got 0");
        cases.put("\"max_position_embeddings\": -5", "max_position_embeddings must be a whole number of positions from 1 to 16777216, got -5");
        cases.put("\"max_position_embeddings\": \"abc\"", "max_position_embeddings must be a whole number of positions from 1 to 16777216, got \"abc\"");
        cases.put("\"max_position_embeddings\": 1e12", "max_position_embeddings must be a whole number of positions from 1 to 16777216, got 1.0E12");
        cases.put("\"eos_token_id\": 99999", "eos_token_id 99999 is outside the vocabulary (vocab_size ");
        int n = 0;
        for (var c : cases.entrySet()) {
            Path folder = Files.createDirectories(tmp.resolve("config-" + n++));
            try (var files = Files.list(TestModels.LLAMA)) {
                for (Path f : files.toList()) {
                    if (!f.getFileName().toString().endsWith("config.json")) {
                        Files.createSymbolicLink(folder.resolve(f.getFileName()), f);
                    }
                }
            }
            String key = c.getKey().substring(0, c.getKey().indexOf(':'));
            String changed = config.replaceFirst(java.util.regex.Pattern.quote(key) + ":\\s*[^,}]+", java.util.regex.Matcher
                    .quoteReplacement(c.getKey()));
            assertNotEquals(config, changed, key + " is not in tiny-llama's config.json");
            Files.writeString(folder.resolve("config.json"), changed);
            assertBadInput(c.getValue(), "generate", "--model", folder.toString(), "--prompt-ids", "1,100", "--max-new-tokens", "2");
        }
    }

    /**
     * A weights file of NaNs (tiny-llama's graphs over a weights.onnx_data of 0xFF bytes): generate, sampling, score and
     * check say the logits are not finite, exit 2, and print no token (it was tokens [0,0,0] at exit 0).
     */
    @Test
    void nonFiniteLogitsAreAnErrorNeverTokens(@TempDir Path tmp) throws Exception {
        Path nan = linkedLlama(tmp.resolve("nan-weights"), java.util.Collections.singletonMap("weights.onnx_data", null));
        byte[] weights = new byte[(int) Files.size(TestModels.LLAMA.resolve("weights.onnx_data"))];
        java.util.Arrays.fill(weights, (byte) 0xFF); // every float32 a NaN
        Files.write(nan.resolve("weights.onnx_data"), weights);
        String model = nan.toString();
        assertBadInput("the model's logits are not finite at step 0 (kv)", "generate", "--model", model, "--prompt-ids",
                "1,100,101", "--max-new-tokens", "3");
        assertBadInput("the model's logits are not finite at step 0 (static-gqa)", "generate", "--model", model,
                "--prompt-ids", "1,100,101", "--max-new-tokens", "3", "--strategy", "static-gqa", "--temperature", "0.9");
        assertBadInput("the model's logits are not finite", "score", "--model", model, "--prompt", "a short text to score");
        assertBadInput("the model's logits are not finite at step 0 (no-cache)", "check", "--model", model, "--steps", "4");
    }

    /** tiny-llama's folder as links in {@code folder}, but for {@code renames} (link name -> bundled file it points to). */
    static Path linkedLlama(Path folder, java.util.Map<String, String> renames) throws Exception {
        return linked(TestModels.LLAMA, folder, renames);
    }

    /**
     * A bundled model's folder as symbolic links in {@code folder}, but for {@code renames} (link name -> the bundled
     * file it points to; null: no such file).
     */
    static Path linked(Path bundled, Path folder, java.util.Map<String, String> renames) throws Exception {
        Files.createDirectories(folder);
        try (var files = Files.list(bundled)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!renames.containsKey(name)) {
                    Files.createSymbolicLink(folder.resolve(name), f);
                }
            }
        }
        for (var r : renames.entrySet()) {
            if (r.getValue() != null) {
                Files.createSymbolicLink(folder.resolve(r.getKey()), bundled.resolve(r.getValue()));
            }
        }
        return folder;
    }

    /**
     * A variant file is what its name says: the 4-bit cache graph saved as model_gqa_kv8.onnx ran as static-gqa-int8, a
     * float model_gqa.onnx saved as model_gqa_kv4.onnx was called lossy, and an fp32 graph saved as model_q4f16.onnx ran
     * as q4f16, all at exit 0. Each is one line at model open, exit 2.
     */
    @Test
    void aGraphFileIsWhatItsNameSays(@TempDir Path tmp) throws Exception {
        record Misnamed(String name, String file, String expected, String... args) {
        }
        String[] generate = {"generate", "--prompt-ids", "1,100", "--max-new-tokens", "2"};
        List<Misnamed> cases = List.of(
                new Misnamed("model_gqa_kv8.onnx", "model_gqa_kv4.onnx", "model_gqa_kv8.onnx is named for an 8-bit cache, "
                        + "but its past inputs hold a 4-bit cache (UINT8)", "--strategy", "static-gqa-int8"),
                new Misnamed("model_gqa_kv4.onnx", "model_gqa.onnx", "model_gqa_kv4.onnx is named for a 4-bit cache, but "
                        + "its past inputs hold a float cache (FLOAT)", "--strategy", "static-gqa-int4"),
                new Misnamed("model_gqa.onnx", "model_gqa_kv8.onnx", "model_gqa.onnx is named for a float cache, but its "
                        + "past inputs hold an 8-bit cache (INT8)", "--strategy", "static-gqa"),
                new Misnamed("model_q4f16.onnx", "model.onnx", "model_q4f16.onnx is named as q4f16 (4-bit weights "
                        + "(MatMulNBits), float16 inputs/outputs), but its graph is fp32 (float32 weights", "--dtype", "q4f16"),
                new Misnamed("model_q4.onnx", "model_quantized.onnx", "model_q4.onnx is named as q4 (4-bit weights in "
                        + "blocks (MatMulNBits), float32 inputs/outputs), but its graph is 8-bit", "--dtype", "q4"));
        for (Misnamed c : cases) {
            Path folder = linkedLlama(tmp.resolve(c.name() + "-from-" + c.file()), java.util.Map.of(c.name(), c.file()));
            List<String> args = new java.util.ArrayList<>(List.of(generate));
            args.addAll(List.of("--model", folder.toString()));
            args.addAll(List.of(c.args()));
            assertBadInput(c.expected(), args.toArray(String[]::new));
        }
    }

    /**
     * A config.json limit beyond the graph's rotary tables (model_gqa.onnx's cos_cache holds 2048 positions): the smaller
     * is the model's limit, so a 2,100-token prompt is refused at open instead of failing inside ONNX Runtime at step 0.
     */
    @Test
    void thePositionsAreTheSmallerOfConfigAndGraph(@TempDir Path tmp) throws Exception {
        Path folder = linkedLlama(tmp.resolve("long-config"), java.util.Collections.singletonMap("config.json", null));
        Files.writeString(folder.resolve("config.json"), Files.readString(TestModels.LLAMA.resolve("config.json"))
                .replaceFirst("\"max_position_embeddings\":\\s*2048", "\"max_position_embeddings\": 4096"));
        assertBadInput("prompt of 2101 tokens + 2 new tokens = 2103 positions, beyond the model's 2048", "generate", "--model",
                folder.toString(), "--prompt", words(2100), "--max-new-tokens", "2", "--strategy", "static-gqa");
    }

    /**
     * bench on a dtype whose weights are missing (model_q4.onnx without its .onnx_data files) is one line, exit 2,
     * before any work (it was exit 1 "no benchmark produced a result" after every strategy's preflight).
     */
    @Test
    void benchOnADtypeWithoutItsWeightsIsBadInputBeforeWork(@TempDir Path tmp) throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("no-weights"));
        for (String f : List.of("config.json", "generation_config.json", "tokenizer.json")) {
            Files.createSymbolicLink(folder.resolve(f), TestModels.LLAMA.resolve(f));
        }
        Files.copy(TestModels.LLAMA.resolve("model_q4.onnx"), folder.resolve("model_q4.onnx"));
        Path out = tmp.resolve("results/r.json");
        assertBadInput("cannot load ONNX model " + folder.resolve("model_q4.onnx"), "bench", "--quick", "--model",
                folder.toString(), "--dtypes", "q4", "--out", out.toString());
        assertFalse(Files.exists(out.getParent()), "nothing written");
    }

    /** An option given twice is named, not answered with the dump of its whole option group. */
    @Test
    void anOptionGivenTwiceIsNamed() {
        assertBadInput("option '--dtype' is given twice: give it once", "generate", "--model", LLAMA, "--dtype", "q4",
                "--dtype", "q8", "--prompt-ids", "1");
        assertBadInput("option '--model' is given twice: give it once", "score", "--model=" + LLAMA, "--model", LLAMA,
                "--prompt", "a text");
    }

    /**
     * A Marian folder without the dtype's encoder is named as such (it was taken for a decoder-only model: ONNX
     * Runtime's multi-line log, then a message about --source).
     */
    @Test
    void aMissingEncoderIsNamed(@TempDir Path tmp) throws Exception {
        Path folder = linked(TestModels.MARIAN, tmp.resolve("no-encoder"),
                java.util.Collections.singletonMap("encoder_model_q4.onnx", null));
        assertBadInput("missing encoder_model_q4.onnx in " + folder + ": the q4 graphs of an encoder-decoder model need "
                + "their encoder beside decoder_model_q4.onnx", "generate", "--model", folder.toString(), "--dtype", "q4",
                "--prompt", "hello");
    }

    @Test
    void aLongTextIsScoredWholeNotCutTo512Tokens() {
        CliTestSupport.Run r = run("score", "--model", LLAMA, "--prompt", words(600), "--format", "json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"tokens\":601"), "600 words + BOS are 601 tokens: " + r.out());
    }

    @Test
    void aTextBeyondThePositionsIsRefusedWithItsTokenCount(@TempDir Path tmp) throws Exception {
        assertBadInput("text of 3001 tokens is beyond the model's 2048 positions", "score", "--model", LLAMA, "--prompt", words(3000));
        Path file = Files.writeString(tmp.resolve("texts.txt"), "a short line\n" + words(3000) + "\n");
        assertBadInput("texts.txt line 2: text of 3001 tokens is beyond the model's 2048 positions", "score", "--model", LLAMA,
                "--texts-file", file.toString());
        assertBadInput("prompt of 3001 tokens + 4 new tokens = 3005 positions, beyond the model's 2048", "generate", "--model", LLAMA,
                "--prompt", words(3000), "--max-new-tokens", "4");
        Path prompts = Files.writeString(tmp.resolve("prompts.txt"), "hello\n" + words(3000) + "\n");
        assertBadInput("prompts.txt line 2: prompt of 3001 tokens", "generate", "--model", LLAMA, "--prompts-file", prompts.toString());
        // tiny-marian: 1024 positions; a source of 1100 words + EOS is refused, not translated from its first 512 tokens.
        assertBadInput("source of 1101 tokens exceeds the model's 1024 positions", "generate", "--model", MARIAN, "--prompt",
                words(1100));
    }

    @Test
    void everyFileABenchRunWritesIsCheckedFirst(@TempDir Path tmp) throws Exception {
        for (String sidecar : List.of("run.meta.json", "run.summary.txt", "run.log")) {
            Path dir = Files.createDirectories(tmp.resolve(sidecar + "-case"));
            Files.writeString(dir.resolve(sidecar), "kept");
            assertBadInput(sidecar + " exists: results are never overwritten", "bench", "--quick", "--strategies", "kv",
                    "--out", dir.resolve("run.json").toString());
            assertEquals("kept", Files.readString(dir.resolve(sidecar)));
            assertFalse(Files.exists(dir.resolve("run.json")));
        }
    }

    /** Another benchmark run holding JMH's machine-wide lock is found before the 15-second probe, not after it. */
    @Test
    void aHeldJmhLockIsFoundBeforeAnyWork(@TempDir Path tmp) throws Exception {
        Path lock = Path.of(System.getProperty("java.io.tmpdir"), "jmh.lock");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); java.nio.channels.FileLock held = ch.tryLock()) {
            org.junit.jupiter.api.Assumptions.assumeTrue(held != null, "another JMH run is holding the lock right now");
            CliTestSupport.Run r = run("bench", "--quick", "--strategies", "kv", "--out", tmp.resolve("run.json").toString());
            assertEquals(2, r.code(), r.out() + r.err());
            assertTrue(r.err().contains("another JMH run holds " + lock), r.err());
            assertFalse(r.out().contains("probing"), "refused before the probe: " + r.out());
        }
    }

    @Test
    void cacheCapacityIsCheckedForEveryInputBeforeTheFirstOutput(@TempDir Path tmp) throws Exception {
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1,2,3\n1,2,3,4,5,6,7,8,9\n");
        CliTestSupport.Run r = run("generate", "--model", LLAMA, "--prompt-ids-file", ids.toString(), "--cache-capacity", "10",
                "--max-new-tokens", "3", "--format", "json");
        assertEquals(2, r.code(), r.err());
        assertEquals("", r.out(), "nothing is written before the bad line is found");
        assertTrue(r.err().contains("ids.txt line 2: prompt of 9 tokens + 3 new tokens need 11 cache positions, beyond "
                + "--cache-capacity 10"), r.err());
        CliTestSupport.Run text = run("generate", "--model", LLAMA, "--prompt", "hello there", "--strategy", "static",
                "--cache-capacity", "10", "--max-new-tokens", "30");
        assertEquals(2, text.code(), text.err());
        assertEquals("", text.out(), "no token streams before the capacity error");
        // The boundary: the last token is never fed back, so prompt + new - 1 positions fit.
        assertEquals(0, run("generate", "--model", LLAMA, "--prompt-ids", "1,2", "--max-new-tokens", "7", "--ignore-eos",
                "--strategy", "static", "--cache-capacity", "8").code());
    }

    @Test
    void theGateFailsWithItsListWhenTheSpeedupConfigurationsAreMissing(@TempDir Path tmp) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ArrayNode results = (ArrayNode) m.readTree(GATE_BASELINE.toFile());
        ArrayNode withoutKv = m.createArrayNode();
        results.forEach(e -> {
            if (!e.path("params").path("strategy").asText().equals("kv")) {
                withoutKv.add(e);
            }
        });
        Path file = tmp.resolve("no-kv.json");
        m.writeValue(file.toFile(), withoutKv);
        CliTestSupport.Run r = run("gate", GATE_BASELINE.toString(), file.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("gate: FAIL"), r.out());
        assertTrue(r.out().contains("the new run has no GenerationBenchmark of kv at 256 new tokens"), r.out());
        assertTrue(r.out().contains("is in the baseline but not in the new run"), r.out());
    }

    @Test
    void outputFoldersThatCannotBeCreatedAreBadInput(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        assertBadInput("cannot create folder", "report", BENCH_RESULT.toString(), "--out", file.resolve("charts").toString());
        assertBadInput("cannot create folder", "history", BENCH_RESULT.toString(), copyWithMeta(tmp, "b").toString(), "--out",
                file.resolve("charts").toString());
        assertBadInput("cannot create folder /proc/", "report", BENCH_RESULT.toString(), "--out", "/proc/kvbench-test/charts");
    }

    /** The bench result fixture under another folder name, with its sidecar. */
    static Path copyWithMeta(Path tmp, String folder) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(folder));
        Path copy = dir.resolve(BENCH_RESULT.getFileName());
        Files.copy(BENCH_RESULT, copy);
        Files.copy(BENCH_RESULT.resolveSibling("bench-ff3ddf2.meta.json"), dir.resolve("bench-ff3ddf2.meta.json"));
        return copy;
    }

    @Test
    void theSameResultFileTwiceIsRefusedAndSameNamesGetTheirFolders(@TempDir Path tmp) throws Exception {
        String f = BENCH_RESULT.toString();
        assertBadInput("is given twice", "report", f, f, "--out", tmp.resolve("r1").toString());
        assertBadInput("is given twice (also as", "history", f, BENCH_RESULT.getParent().resolve(".")
                .resolve(BENCH_RESULT.getFileName()).toString());
        Path a = copyWithMeta(tmp, "d1");
        Path b = copyWithMeta(tmp, "d2");
        List<ResultFile> files = ResultFile.readAll(List.of(a, b));
        assertEquals("d1/bench-ff3ddf2", files.get(0).label());
        assertEquals("d2/bench-ff3ddf2", files.get(1).label());
        CliTestSupport.Run r = run("report", a.toString(), b.toString(), "--out", tmp.resolve("r2").toString());
        assertEquals(0, r.code(), r.err());
        String page = Files.readString(tmp.resolve("r2/report.html"));
        assertTrue(page.contains("d1/bench-ff3ddf2") && page.contains("d2/bench-ff3ddf2"), "two series, two labels");
    }

    @Test
    void aConfigWhoseKvHeadsContradictTheGraphIsRefusedEverywhere(@TempDir Path tmp) throws Exception {
        for (String f : List.of("model.onnx", "weights.onnx_data", "tokenizer.json", "generation_config.json")) {
            Files.createSymbolicLink(tmp.resolve(f), TestModels.LLAMA.resolve(f));
        }
        Files.writeString(tmp.resolve("config.json"), Files.readString(TestModels.LLAMA.resolve("config.json"))
                .replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 4"));
        String expected = "says num_key_value_heads 4, but model.onnx's past inputs have 2 KV heads";
        assertBadInput(expected, "generate", "--model", tmp.toString(), "--prompt-ids", "1,2");
        assertBadInput(expected, "check", "--model", tmp.toString());
        TestModels.pythonOnnx();
        CliTestSupport.Run r = run("derive", "--model", tmp.toString(), "--out", tmp.resolve("derived").toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains(expected) && r.err().contains(tmp.resolve("config.json").toString()),
                "the user's file is named, not derive's hidden work folder: " + r.err());
        assertFalse(r.err().contains(".kvbench-derive-"), r.err());
    }

    @Test
    void synthRefusesMoreLayersThanTheArchitectureHas(@TempDir Path tmp) {
        TestModels.pythonOnnx();
        assertBadInput("--layers 1000 is more than the architecture's 24 layer(s)", "synth", "--like", "qwen2.5-0.5b", "--layers",
                "1000", "--out", tmp.resolve("s").toString());
        assertFalse(Files.exists(tmp.resolve("s/model.onnx")));
    }

    @Test
    void optionsThatWouldDoNothingAreRefused() {
        assertBadInput("empty token id at position 3 of '1,2,'", "generate", "--model", LLAMA, "--prompt-ids", "1,2,");
        assertBadInput("empty token id at position 2", "generate", "--model", LLAMA, "--prompt-ids", "1,,2");
        assertBadInput("--temperature must be a finite number >= 0, got Infinity", "generate", "--model", LLAMA, "--prompt-ids", "1",
                "--temperature", "Infinity");
        assertBadInput("--top-k does nothing when decoding greedily", "generate", "--model", LLAMA, "--prompt-ids", "1", "--top-k", "5");
        assertBadInput("--top-p does nothing when decoding greedily", "generate", "--model", LLAMA, "--prompt-ids", "1", "--top-p", "0.5");
        assertBadInput("--cache-capacity does nothing with no-cache", "generate", "--model", LLAMA, "--prompt-ids", "1",
                "--strategy", "no-cache", "--cache-capacity", "64");
        assertBadInput("--cache-capacity does nothing with kv-alloc", "generate", "--model", LLAMA, "--prompt-ids", "1",
                "--strategy", "kv-alloc", "--cache-capacity", "64");
        assertBadInput("--hybrid-threshold does nothing with --strategy kv", "generate", "--model", LLAMA, "--prompt-ids", "1",
                "--hybrid-threshold", "4");
        assertBadInput("--hybrid-threshold 4096 is beyond the model's 2048 positions", "generate", "--model", LLAMA, "--prompt-ids",
                "1", "--strategy", "hybrid", "--hybrid-threshold", "4096");
        assertBadInput("--no-bos does nothing for an encoder-decoder model", "generate", "--model", MARIAN, "--prompt", "hello", "--no-bos");
        assertBadInput("--no-bos does nothing with token ids", "generate", "--model", LLAMA, "--prompt-ids", "1", "--no-bos");
        assertBadInput("--batch-size does nothing with a single prompt: it batches the lines of an input file", "generate",
                "--model", LLAMA, "--prompt-ids", "1,2", "--batch-size", "4");
        assertBadInput("--batch-size does nothing with a single prompt", "score", "--model", LLAMA, "--prompt", "a text",
                "--batch-size", "1");
        assertBadInput("--tolerance bounds the strategies' agreement with no-cache; --against measures a dtype's cost",
                "check", "--model", LLAMA, "--dtype", "q4", "--against", "fp32", "--tolerance", "0.5");
        assertBadInput("--accuracy-level is a q4 and q4f16 setting; it does nothing with --dtype fp16", "quantize", "--model",
                LLAMA, "--dtype", "fp16", "--accuracy-level", "0", "--out", "/nonexistent/never");
        assertBadInput("--block-size is a q4 and q4f16 setting; it does nothing with --dtype q8", "quantize", "--model",
                LLAMA, "--dtype", "q8", "--block-size", "32", "--out", "/nonexistent/never");
        assertBadInput("--block-size must be a power of 2 in 16..256 (the largest MatMulNBits block ONNX Runtime", "quantize",
                "--model", LLAMA, "--dtype", "q4", "--block-size", "512", "--out", "/nonexistent/never");
        assertEquals(0, run("generate", "--model", LLAMA, "--prompt-ids", "1", "--temperature", "0.8", "--top-k", "5",
                "--max-new-tokens", "2").code());
    }

    @Test
    void aByteOrderMarkIsNotText(@TempDir Path tmp) throws Exception {
        Path plain = Files.writeString(tmp.resolve("plain.txt"), "The import statement\n");
        Path bom = Files.write(tmp.resolve("bom.txt"), ("\uFEFF" + "The import statement\n").getBytes(StandardCharsets.UTF_8));
        CliTestSupport.Run a = run("score", "--model", LLAMA, "--texts-file", plain.toString(), "--format", "json");
        CliTestSupport.Run b = run("score", "--model", LLAMA, "--texts-file", bom.toString(), "--format", "json");
        assertEquals(0, b.code(), b.err());
        assertEquals(a.out(), b.out(), "the mark adds no tokens");
    }

    @Test
    void tabsOnADecoderOnlyModelAreNotSilentlyJoined(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("pairs.txt"), "a source\ta target\n");
        assertBadInput("pairs.txt line 1: a tab: source<TAB>target lines are for encoder-decoder models", "score", "--model", LLAMA,
                "--texts-file", file.toString());
    }

    @Test
    void brokenFilesAreOneLineNamingThem(@TempDir Path tmp) throws Exception {
        Path nan = Files.writeString(tmp.resolve("nan.json"), "[{\"a\": NaN}]");
        CliTestSupport.Run r = run("compare", nan.toString(), BENCH_RESULT.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nan.json is not valid JSON: Non-standard token 'NaN' (line 1, column"), r.err());
        assertFalse(r.err().contains("JsonReadFeature") || r.err().contains("REDACTED"), r.err());
        assertBadInput("is a folder, not a result file", "compare", tmp.toString(), BENCH_RESULT.toString());
        Path loop = Files.createDirectories(tmp.resolve("loop"));
        Files.copy(TestModels.LLAMA.resolve("config.json"), loop.resolve("config.json"));
        Files.createSymbolicLink(loop.resolve("model.onnx"), loop.resolve("model.onnx"));
        assertBadInput("model.onnx is a symbolic link that leads to no file", "generate", "--model", loop.toString(), "--prompt-ids", "1");
        assertBadInput("is not inside a git repository", "ab", "--root", tmp.toString(), "HEAD~1", "HEAD");
    }

    @Test
    void checkRefusesACorruptTokenizer(@TempDir Path tmp) throws Exception {
        for (String f : List.of("model.onnx", "weights.onnx_data", "config.json", "generation_config.json")) {
            Files.createSymbolicLink(tmp.resolve(f), TestModels.LLAMA.resolve(f));
        }
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"vocab\": ");
        assertBadInput("tokenizer.json is not valid JSON", "check", "--model", tmp.toString());
        Files.delete(tmp.resolve("tokenizer.json"));
        Files.copy(TestModels.MARIAN.resolve("tokenizer.json"), tmp.resolve("tokenizer.json"));
        Path qwen = Files.createDirectories(tmp.resolve("qwen"));
        for (String f : List.of("model.onnx", "config.json", "generation_config.json")) {
            Files.createSymbolicLink(qwen.resolve(f), TestModels.hfQwen2().resolve(f));
        }
        Files.copy(TestModels.LLAMA.resolve("tokenizer.json"), qwen.resolve("tokenizer.json"));
        assertBadInput("tokenizer does not match the model", "check", "--model", qwen.toString());
    }

    @Test
    void helpIsACommandAndMissingOptionsAreNamed() {
        CliTestSupport.Run r = run("help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Usage: kvbench"), r.out());
        CliTestSupport.Run g = run("help", "generate");
        assertTrue(g.out().contains("Usage: kvbench generate"), g.out());
        assertBadInput("missing required option --model (see --help)", "generate", "--prompt-ids", "1");
        CliTestSupport.Run missing = run("generate");
        assertFalse(missing.err().contains("Error: ") || missing.err().contains("[--strategy"), missing.err());
    }

    @Test
    void helpTextsKeepNamesWhole() {
        StringBuilder all = new StringBuilder();
        for (String command : List.of("generate", "score", "bench", "compare", "report", "gate", "ab", "history", "bisect",
                "check", "derive", "quantize", "synth", "probe", "merge")) {
            CliTestSupport.Run r = run(command, "--help");
            assertEquals(0, r.code(), command);
            List<String> lines = r.out().lines().toList();
            for (int i = 0; i + 1 < lines.size(); i++) {
                String end = lines.get(i).stripTrailing();
                String next = lines.get(i + 1).strip();
                assertFalse(isNameSplit(end, next), command + " --help splits a name across lines:\n" + end + "\n" + next);
            }
            all.append(r.out());
        }
        for (String name : List.of("results/<date>-<sha>-<model>-<time>.json", "report.html", "1..4096")) {
            assertTrue(all.toString().contains(name), "'" + name + "' whole in the help texts");
        }
        String bisect = run("bisect", "--help").out();
        assertFalse(bisect.contains("--method"), "bisect has no --method: " + bisect);
        assertTrue(bisect.contains("GOOD_REF") && bisect.replaceAll("\\s+", " ").contains("known not to regress"), bisect);
        assertTrue(run("report", "--help").out().replaceAll("\\s+", " ").contains("beside the first file"));
        assertTrue(run("derive", "--help").out().replaceAll("\\s+", " ").contains("encoder-decoder one (Marian)"));
        assertFalse(run("score", "--help").out().replaceAll("\\s+", " ").contains("prompt + max new tokens"));
    }

    /** A line that ends inside a word the next line continues: "report." + "html", "1.." + "4096", "no-" + "cache". */
    static boolean isNameSplit(String end, String next) {
        if (end.isEmpty() || next.isEmpty()) {
            return false;
        }
        char last = end.charAt(end.length() - 1);
        char before = end.length() > 1 ? end.charAt(end.length() - 2) : ' ';
        return ".-/_".indexOf(last) >= 0 && (Character.isLetterOrDigit(before) || before == '.' || before == '>')
                && (Character.isLowerCase(next.charAt(0)) || Character.isDigit(next.charAt(0)));
    }
}
