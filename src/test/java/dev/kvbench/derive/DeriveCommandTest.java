package dev.kvbench.derive;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code derive} on real exports: beside the export, into --out, never over existing files, and the refusals. */
class DeriveCommandTest {

    /** A copy of tiny-llama's export without its variants (and without the files named). */
    static Path llamaExport(Path tmp, String name, Set<String> alsoLeft) throws Exception {
        Path folder = Files.createDirectories(tmp.resolve(name));
        try (Stream<Path> files = Files.list(TestModels.LLAMA)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (!VariantDeriver.OUTPUTS.contains(n) && !alsoLeft.contains(n)) {
                    Files.copy(f, folder.resolve(n));
                }
            }
        }
        return folder;
    }

    static List<String> listing(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** --out on another filesystem: hard links are impossible, the export's files are copied, and derive says so. */
    @Test
    void anOutFolderOnAnotherFilesystemSaysTheWeightsWereCopied(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm)
                && !Files.getFileStore(shm).equals(Files.getFileStore(tmp)), "no second filesystem (/dev/shm) here");
        Path folder = llamaExport(tmp, "llama", Set.of());
        Path out = shm.resolve("kvbench-derive-test-" + System.nanoTime());
        try {
            CliTestSupport.Run r = CliTestSupport.run("derive", "--model", folder.toString(), "--out", out.toString());
            assertEquals(0, r.code(), r.out() + r.err());
            String weights = r.out().lines().filter(l -> l.startsWith("weights: ")).findFirst().orElseThrow();
            assertFalse(weights.contains("not copied"), weights);
            assertTrue(weights.contains("export files copied (") && weights.contains("hard links are impossible"), weights);
            assertTrue(Files.isRegularFile(out.resolve("weights.onnx_data")));
        } finally {
            dev.kvbench.support.AtomicFiles.deleteTree(out);
        }
    }

    @Test
    void derivesBesideTheExportSharingItsWeightsAndNeverOverwrites(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path folder = llamaExport(tmp, "llama", Set.of());
        long weights = Files.size(folder.resolve("weights.onnx_data"));
        CliTestSupport.Run r = CliTestSupport.run("derive", "--model", folder.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("shared with the export (weights.onnx_data, not copied)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("model_gqa.onnx") && l.contains("agrees")), r.out());
        for (String f : List.of("model_static.onnx", "model_gqa.onnx", "variants.onnx_data")) {
            assertTrue(Files.isRegularFile(folder.resolve(f)), f);
        }
        // The variants hold graph and rotary tables only; the 16 MB of weights stay in the export's file.
        assertTrue(Files.size(folder.resolve("variants.onnx_data")) < weights / 10);
        assertTrue(Files.size(folder.resolve("model_gqa.onnx")) < 1_000_000);
        List<String> before = listing(folder);
        CliTestSupport.assertBadInput("exists: derive never overwrites", "derive", "--model", folder.toString());
        assertEquals(before, listing(folder));

        CliTestSupport.Run check = CliTestSupport.run("check", "--model", folder.toString(), "--steps", "16");
        assertEquals(0, check.code(), check.out());
        assertEquals(6, check.out().lines().filter(l -> l.contains(" agrees ")).count(), check.out());
    }

    @Test
    void theHuggingFaceFixtureGetsStaticStrategiesThatCheckPasses(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path source = TestModels.hfQwen2();
        Path out = tmp.resolve("qwen2-derived");
        CliTestSupport.Run r = CliTestSupport.run("derive", "--model", source.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        // The fixture keeps its weights inside model.onnx: the variants get one shared copy, and the output says so.
        assertTrue(r.out().contains("any weights the export kept inside its graph"), r.out());
        assertTrue(listing(out).containsAll(List.of("model.onnx", "config.json", "golden.json", "model_static.onnx",
                "model_gqa.onnx", "variants.onnx_data")), listing(out).toString());
        assertFalse(listing(tmp).stream().anyMatch(n -> n.startsWith(".kvbench-derive-")), listing(tmp).toString());
        assertEquals("rwxr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
        CliTestSupport.Run check = CliTestSupport.run("check", "--model", out.toString(), "--steps", "32");
        assertEquals(0, check.code(), check.out());
        assertTrue(check.out().lines().anyMatch(l -> l.startsWith("static ") && l.contains("agrees")), check.out());
        assertTrue(check.out().lines().anyMatch(l -> l.startsWith("static-gqa") && l.contains("agrees")), check.out());
    }

    @Test
    void anUnrecognizedAttentionPatternIsOneLineAndNothingIsWritten(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        // A graph whose presents come from GroupQueryAttention, not from concatenating past and new entries.
        Path folder = llamaExport(tmp, "gqa-as-export", Set.of("model.onnx"));
        Files.copy(TestModels.LLAMA.resolve("model_gqa.onnx"), folder.resolve("model.onnx"));
        List<String> before = listing(folder);
        CliTestSupport.assertBadInput("derive: model.onnx: layer 0: present.0.key is made by GroupQueryAttention node",
                "derive", "--model", folder.toString());
        assertEquals(before, listing(folder));
        Path out = tmp.resolve("out");
        CliTestSupport.assertBadInput("expected Concat(past_key_values.0.key, new entries)", "derive", "--model",
                folder.toString(), "--out", out.toString());
        assertFalse(Files.exists(out));
        assertEquals(List.of("gqa-as-export"), listing(tmp));
    }

    @Test
    void aVariantThatDisagreesIsExitOneAndNotWritten(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        // Tolerance 0: the variants' float rounding differs from the export's (1e-6), so both "differ".
        Path folder = llamaExport(tmp, "llama", Set.of());
        List<String> before = listing(folder);
        CliTestSupport.Run r = CliTestSupport.run("derive", "--model", folder.toString(), "--tolerance", "0");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("nothing written"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("model_gqa.onnx") && l.contains("differs")), r.out());
        assertEquals(before, listing(folder));
    }

    @Test
    void checkNamesAVariantWithTheWrongKvHeadCount(@TempDir Path tmp) throws Exception {
        String python = TestModels.pythonOnnx();
        Path folder = llamaExport(tmp, "llama", Set.of("golden.json"));
        ObjectNode config = (ObjectNode) new ObjectMapper().readTree(folder.resolve("config.json").toFile());
        config.put("num_key_value_heads", 4);
        Files.writeString(folder.resolve("config.json"), config.toString());
        String agreeing = Files.readString(folder.resolve("config.json"));
        VariantDeriver.writeVariants(python, folder, folder.resolve("model.onnx"), dev.kvbench.model.Dtype.FP32); // unchecked, as a hand-made export mistake would be
        // The config that agrees with model.onnx again: only the GQA variant carries the wrong head count.
        Files.writeString(folder.resolve("config.json"), agreeing.replace("\"num_key_value_heads\":4", "\"num_key_value_heads\":2"));
        CliTestSupport.Run r = CliTestSupport.run("check", "--model", folder.toString(), "--steps", "4");
        assertEquals(1, r.code(), r.out() + r.err());
        String line = r.out().lines().filter(l -> l.startsWith("static-gqa")).findFirst().orElseThrow();
        assertTrue(line.contains("cannot run") && line.contains("KV head count"), line);
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("static ") && l.contains("agrees")), r.out());
    }

    @Test
    void anExportWithoutItsWeightsFileIsOneLine(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path folder = llamaExport(tmp, "llama", Set.of("weights.onnx_data"));
        List<String> before = listing(folder);
        CliTestSupport.assertBadInput("cannot load ONNX model " + folder.resolve("model.onnx") + ": its weights file "
                + folder.resolve("weights.onnx_data") + " is missing", "derive", "--model", folder.toString());
        assertEquals(before, listing(folder));
    }

    /**
     * derive's prompt errors come before the rewrite, naming the file and line: an out-of-vocabulary id, a signed id
     * (it was calibrated as text), a line longer than the positions, --steps beyond them, text without a tokenizer
     * (it suggested an option derive does not have), and the quantized caches' options on Marian, which has none.
     */
    @Test
    void promptErrorsComeBeforeTheRewriteNamingTheLine(@TempDir Path tmp) throws Exception {
        String llama = TestModels.LLAMA.toString();
        Path out = tmp.resolve("out");
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("1,2,99999", "calibration.txt line 1: token id 99999 is outside the vocabulary [0, ");
        cases.put("1, 2, -3", "calibration.txt line 1: token id -3 is outside the vocabulary [0, ");
        cases.put(java.util.stream.IntStream.range(0, 2048).mapToObj(i -> "5").collect(java.util.stream.Collectors.joining(",")),
                "calibration.txt line 1: 2048 prompt tokens + 1 new token = 2049 positions, beyond the model's 2048");
        for (var c : cases.entrySet()) {
            Path file = Files.writeString(tmp.resolve("calibration.txt"), c.getKey() + "\n");
            CliTestSupport.assertBadInput(c.getValue(), "derive", "--model", llama, "--out", out.toString(),
                    "--calibration-file", file.toString(), "--python", "/nonexistent/python3");
            assertFalse(Files.exists(out), "nothing made before the check");
        }
        CliTestSupport.assertBadInput("golden 1: 2 prompt tokens + --steps 4096 = 4098 positions, beyond the model's 2048",
                "derive", "--model", llama, "--out", out.toString(), "--steps", "4096");
        Path noTokenizer = Files.createDirectories(tmp.resolve("no-tokenizer"));
        try (var files = Files.list(TestModels.LLAMA)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("tokenizer.json")) {
                    Files.createSymbolicLink(noTokenizer.resolve(f.getFileName()), f);
                }
            }
        }
        Path text = Files.writeString(tmp.resolve("text.txt"), "1,2,3\nsome text\n");
        CliTestSupport.assertBadInput("text.txt line 2 is text, and " + noTokenizer + " has no tokenizer.json: write the "
                + "calibration prompts as comma-separated token ids", "derive", "--model", noTokenizer.toString(), "--out",
                out.toString(), "--calibration-file", text.toString());
        CliTestSupport.assertBadInput("--calibration-file and --cache-scales set the quantized caches, which an "
                + "encoder-decoder model has none of", "derive", "--model", TestModels.MARIAN.toString(), "--out", out.toString(),
                "--calibration-file", text.toString());
        CliTestSupport.assertBadInput("--calibration-file and --cache-scales set the quantized caches, which an "
                + "encoder-decoder model has none of", "derive", "--model", TestModels.MARIAN.toString(), "--out", out.toString(),
                "--cache-scales", "per-tensor");
        assertFalse(Files.exists(out));
    }

    @Test
    void refusals(@TempDir Path tmp) throws Exception {
        CliTestSupport.assertBadInput("decoder_model_static.onnx exists: derive never overwrites", "derive",
                "--model", TestModels.MARIAN.toString());
        CliTestSupport.assertBadInput("does not exist", "derive", "--model", tmp.resolve("none").toString());
        CliTestSupport.assertBadInput("--steps must be in 1..4096", "derive", "--model", TestModels.LLAMA.toString(), "--steps", "0");
        Files.writeString(Files.createDirectories(tmp.resolve("full")).resolve("x.txt"), "x");
        CliTestSupport.assertBadInput("exists and is not an empty folder", "derive", "--model", TestModels.LLAMA.toString(),
                "--out", tmp.resolve("full").toString());
        CliTestSupport.assertBadInput("this needs Python 3 with the onnx and numpy packages", "derive", "--model",
                TestModels.LLAMA.toString(), "--out", tmp.resolve("new").toString(), "--python", "/nonexistent/python3");
    }
}
