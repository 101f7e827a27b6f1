package dev.kvbench.derive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.verify.StrategyCheck;
import dev.kvbench.model.Dtype;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quantized-cache strategies ({@code static-gqa-int8}, {@code static-gqa-int4}): their accuracy against no-cache
 * within the stated bounds on the bundled models and the Hugging Face fixture, a planted bad scale caught, a quarter
 * (an eighth) of static-gqa's KV bytes, and derive's calibration (the record, --calibration-file,
 * --quantized-cache-only) with its refusals.
 */
class QuantizedCacheTest {
    @TempDir
    static Path shared;

    private static StrategyCheck.Outcome checked(Path folder, Dtype dtype, Strategy s) {
        List<StrategyCheck.Outcome> o = StrategyCheck.run(folder, StrategyCheck.prompts(folder), 32, 1e-3,
                EngineOptions.defaults().withDtype(dtype), List.of(s));
        return o.get(0);
    }

    /**
     * The bundled tiny-llama's calibrated quantized caches (fp32, q8 and q4 weights) keep their bounds (measured int8
     * 96.9-100% of the greedy tokens, 4 bits 92.7-96.4%), and the 4-bit cache is the lossier.
     */
    @ParameterizedTest
    @EnumSource(value = Dtype.class, names = {"FP32", "Q8", "Q4"})
    void theBundledQuantizedCachesAreLossyWithinTheBounds(Dtype dtype) {
        double[] diff = new double[2];
        for (Strategy s : List.of(Strategy.STATIC_GQA_INT8, Strategy.STATIC_GQA_INT4)) {
            StrategyCheck.Outcome o = checked(TestModels.LLAMA, dtype, s);
            assertEquals(StrategyCheck.Verdict.LOSSY, o.verdict(), o.toString());
            double bound = StrategyCheck.quantizedCacheTokens(s);
            assertTrue(o.tokenAgreement() >= bound, o.toString()); // on q8: against static-gqa, the graph's float cache
            assertTrue(Math.abs(o.perplexityChange()) <= StrategyCheck.QUANTIZED_CACHE_PERPLEXITY, o.toString());
            assertTrue(o.maxAbsDiff() > 1e-3, "a quantized cache is not exact, or this is not its graph: " + o);
            diff[s == Strategy.STATIC_GQA_INT8 ? 0 : 1] = o.maxAbsDiff();
        }
        assertTrue(diff[1] > diff[0], "15 levels a value round more than 255: " + java.util.Arrays.toString(diff));
    }

    /** derive on the Hugging Face fixture writes the int8 cache from its calibration, and it keeps every greedy token. */
    @Test
    void theHuggingFaceFixturesInt8Cache() throws Exception {
        VariantDeriver.Derived d = VariantDeriver.derive(TestModels.hfQwen2(), shared.resolve("hf"), 8, 1e-3,
                TestModels.pythonOnnx());
        assertTrue(d.written().stream().anyMatch(f -> f.endsWith("model_gqa_kv8.onnx")), d.toString());
        StrategyCheck.Outcome o = checked(d.folder(), Dtype.FP32, Strategy.STATIC_GQA_INT8);
        assertEquals(StrategyCheck.Verdict.LOSSY, o.verdict(), o.toString());
        assertTrue(o.tokenAgreement() >= StrategyCheck.QUANTIZED_CACHE_TOKENS, o.toString());
        JsonNode record = new ObjectMapper().readTree(d.folder().resolve("model_gqa_kv8.calibration.json").toFile());
        assertEquals("PER_CHANNEL", record.path("quant_type").asText());
        assertEquals(5, record.path("calibration").path("prompts").asInt(), "the fixture's golden prompts");
        assertEquals(3, record.path("layers").size());
        assertEquals(2 * 16, record.path("layers").get(0).path("k").size(), "one scale per KV head (2) and channel (16)");
    }

    /**
     * Scales planted 20x too small (keys and values saturate at +-127) in a copy of tiny-llama: check calls the int8
     * cache different, beyond its bounds, and exits 1.
     */
    @Test
    void aPlantedBadScaleIsCaught(@TempDir Path tmp) throws Exception {
        Path folder = DeriveCommandTest.llamaExport(tmp, "llama", Set.of());
        for (String f : List.of("model_gqa.onnx")) {
            Files.copy(TestModels.LLAMA.resolve(f), folder.resolve(f));
        }
        ObjectNode scales = (ObjectNode) new ObjectMapper().readTree(TestModels.LLAMA.resolve("model_gqa_kv8.calibration.json").toFile());
        for (JsonNode layer : scales.path("layers")) {
            for (String kind : List.of("k", "v")) {
                ArrayNode a = (ArrayNode) layer.path(kind);
                for (int i = 0; i < a.size(); i++) {
                    a.set(i, a.get(i).floatValue() / 20);
                }
            }
        }
        Path planted = folder.resolve("model_gqa_kv8.calibration.json");
        Files.writeString(planted, scales.toPrettyString());
        OnnxPython.run(TestModels.pythonOnnx(), "kvcachequant.py", folder, List.of("--gqa", folder.resolve("model_gqa.onnx").toString(),
                "--scales", planted.toString(), "--out", folder.resolve("model_gqa_kv8.onnx").toString()));
        CliTestSupport.Run r = CliTestSupport.run("check", "--model", folder.toString(), "--steps", "32");
        assertEquals(1, r.code(), r.out() + r.err());
        assertFalse(Files.exists(folder.resolve("model_gqa_kv4.onnx")), "only the planted int8 graph is there");
        String line = r.out().lines().filter(l -> l.startsWith("static-gqa-int8")).findFirst().orElseThrow();
        assertTrue(line.contains("differs") && line.contains("beyond the bounds"), line);
        assertTrue(r.out().lines().filter(l -> l.startsWith("static-gqa ")).allMatch(l -> l.contains("agrees")), r.out());
    }

    /** The int8 buffers hold a quarter of static-gqa's bytes, the 4-bit ones an eighth; each step writes as much less. */
    @Test
    void aQuarterAndAnEighthOfTheKvBytes() {
        long[] prompt = {1, 100, 101, 102, 103};
        long[][] held = new long[3][];
        Strategy[] all = {Strategy.STATIC_GQA, Strategy.STATIC_GQA_INT8, Strategy.STATIC_GQA_INT4};
        for (int i = 0; i < 3; i++) {
            try (Engine e = new Engine(TestModels.LLAMA, all[i])) {
                var r = e.generator().generate(prompt, 16, true, dev.kvbench.decode.Sampler.greedy(), null);
                held[i] = new long[] {e.generator().cacheBytesHeld(), r.kvBytesCopied()};
            }
        }
        assertTrue(held[0][0] > 0 && held[0][1] > 0);
        assertEquals(held[0][0], 4 * held[1][0], "bytes held");
        assertEquals(held[0][1], 4 * held[1][1], "bytes written");
        assertEquals(held[0][0], 8 * held[2][0], "bytes held at 4 bits");
        assertEquals(held[0][1], 8 * held[2][1], "bytes written at 4 bits");
    }

    /**
     * --quantized-cache-only adds the variants to a folder that has model_gqa.onnx, calibrated on a --calibration-file
     * of text and id lines, and records the calibration; then refuses to write them again.
     */
    @Test
    void quantizedCacheOnlyWithACalibrationFile(@TempDir Path tmp) throws Exception {
        Path folder = DeriveCommandTest.llamaExport(tmp, "llama", Set.of());
        for (String f : List.of("model_gqa.onnx")) {
            Files.copy(TestModels.LLAMA.resolve(f), folder.resolve(f));
        }
        Path texts = tmp.resolve("calibration.txt");
        Files.writeString(texts, "The quick brown fox jumps over the lazy dog.\n1, 300, 301, 302\nOnce upon a time\n");
        CliTestSupport.Run r = CliTestSupport.run("derive", "--model", folder.toString(), "--quantized-cache-only",
                "--calibration-file", texts.toString(), "--cache-scales", "per-tensor");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("calibration: " + texts + ", 3 prompt(s)"), r.err());
        assertTrue(r.out().contains("model_gqa_kv8.onnx") && r.out().contains("lossy"), r.out());
        JsonNode record = new ObjectMapper().readTree(folder.resolve("model_gqa_kv8.calibration.json").toFile());
        assertEquals("PER_TENSOR", record.path("quant_type").asText());
        assertEquals(8, record.path("bits").asInt());
        assertEquals(texts.toString(), record.path("calibration").path("source").asText());
        assertEquals(1, record.path("layers").get(0).path("k").size());
        assertTrue(record.path("layers").get(0).path("k_abs_max").asDouble() > 0);
        CliTestSupport.assertBadInput("model_gqa_kv8.onnx", "derive", "--model", folder.toString(), "--quantized-cache-only");
    }

    @Test
    void badInput(@TempDir Path tmp) throws Exception {
        String llama = TestModels.LLAMA.toString();
        CliTestSupport.assertBadInput("--cache-scales must be per-tensor or per-channel, got 'per-row'", "derive", "--model",
                llama, "--cache-scales", "per-row");
        CliTestSupport.assertBadInput("--no-quantized-cache and --quantized-cache-only contradict each other", "derive",
                "--model", llama, "--no-quantized-cache", "--quantized-cache-only");
        CliTestSupport.assertBadInput("--calibration-file and --cache-scales set the quantized caches", "derive", "--model",
                llama, "--no-quantized-cache", "--calibration-file", "x.txt");
        CliTestSupport.assertBadInput("--calibration-file: " + tmp.resolve("none.txt") + " does not exist", "derive", "--model",
                llama, "--quantized-cache-only", "--calibration-file", tmp.resolve("none.txt").toString());
        CliTestSupport.assertBadInput("decoder-only; tiny-marian is an encoder-decoder model", "derive", "--model",
                TestModels.MARIAN.toString(), "--quantized-cache-only");
        Path bare = DeriveCommandTest.llamaExport(tmp, "bare", Set.of());
        CliTestSupport.assertBadInput("model_gqa.onnx is not in " + bare, "derive", "--model", bare.toString(),
                "--quantized-cache-only");
        assertFalse(Files.exists(bare.resolve("model_gqa_kv8.onnx")));
    }
}
