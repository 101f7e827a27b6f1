package dev.kvbench.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import dev.kvbench.runtime.OrtRuntime;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every bundled ONNX file loads in ONNX Runtime and declares the names, types and ranks of its layout. */
class ExportedLayoutTest {
    private static final OrtRuntime RUNTIME = new OrtRuntime(1);

    private record Io(OnnxJavaType type, int rank) {
    }

    private static Map<String, Io> io(Map<String, NodeInfo> infos) {
        Map<String, Io> out = new LinkedHashMap<>();
        infos.forEach((k, v) -> {
            TensorInfo t = (TensorInfo) v.getInfo();
            out.put(k, new Io(t.type, t.getShape().length));
        });
        return out;
    }

    private static void check(Path file, Map<String, Io> inputs, Map<String, Io> outputs) throws Exception {
        try (OrtSession s = RUNTIME.open(file)) {
            assertEquals(inputs, io(s.getInputInfo()), file + " inputs");
            assertEquals(outputs, io(s.getOutputInfo()), file + " outputs");
        }
    }

    private static final Io IDS = new Io(OnnxJavaType.INT64, 2);
    private static final Io KV = new Io(OnnxJavaType.FLOAT, 4);
    private static final Io LOGITS = new Io(OnnxJavaType.FLOAT, 3);

    private static Map<String, Io> kv(String prefix, int layers, String... kinds) {
        Map<String, Io> m = new LinkedHashMap<>();
        for (int i = 0; i < layers; i++) {
            for (String kind : kinds) {
                m.put(prefix + "." + i + kind + ".key", KV);
                m.put(prefix + "." + i + kind + ".value", KV);
            }
        }
        return m;
    }

    @SafeVarargs
    private static Map<String, Io> union(Map<String, Io>... maps) {
        Map<String, Io> m = new LinkedHashMap<>();
        for (Map<String, Io> x : maps) {
            m.putAll(x);
        }
        return m;
    }

    @Test
    void tinyLlamaFiles() throws Exception {
        Map<String, Io> base = Map.of("input_ids", IDS, "attention_mask", IDS, "position_ids", IDS);
        check(TestModels.LLAMA.resolve("model.onnx"), union(base, kv("past_key_values", 4, "")),
                union(Map.of("logits", LOGITS), kv("present", 4, "")));
        check(TestModels.LLAMA.resolve("model_static.onnx"), union(base, kv("past_key_values", 4, "")),
                union(Map.of("logits", LOGITS), kv("new_key_values", 4, "")));
        check(TestModels.LLAMA.resolve("model_gqa.onnx"),
                union(Map.of("input_ids", IDS, "seqlens_k", new Io(OnnxJavaType.INT32, 1),
                        "total_sequence_length", new Io(OnnxJavaType.INT32, 0)), kv("past_key_values", 4, "")),
                union(Map.of("logits", LOGITS), kv("present", 4, "")));
    }

    @Test
    void tinyMarianFiles() throws Exception {
        Path m = TestModels.MARIAN;
        check(m.resolve("encoder_model.onnx"), Map.of("input_ids", IDS, "attention_mask", IDS),
                Map.of("last_hidden_state", new Io(OnnxJavaType.FLOAT, 3)));
        Map<String, Io> decoderIn = Map.of("encoder_attention_mask", IDS, "input_ids", IDS,
                "encoder_hidden_states", new Io(OnnxJavaType.FLOAT, 3));
        Map<String, Io> allPresents = union(Map.of("logits", LOGITS), kv("present", 2, ".decoder", ".encoder"));
        check(m.resolve("decoder_model.onnx"), decoderIn, allPresents);
        check(m.resolve("decoder_with_past_model.onnx"),
                union(Map.of("encoder_attention_mask", IDS, "input_ids", IDS), kv("past_key_values", 2, ".decoder", ".encoder")),
                union(Map.of("logits", LOGITS), kv("present", 2, ".decoder")));
        check(m.resolve("decoder_model_merged.onnx"),
                union(decoderIn, kv("past_key_values", 2, ".decoder", ".encoder"),
                        Map.of("use_cache_branch", new Io(OnnxJavaType.BOOL, 1))), allPresents);
    }

    @Test
    void kvDimensionsComeFromMetadataNotFromTheQueryHeads() throws Exception {
        try (Model llama = Model.open(TestModels.LLAMA, RUNTIME, Model.Variant.DYNAMIC, Layout.DecoderFiles.AUTO)) {
            JsonNode config = new ObjectMapper().readTree(TestModels.LLAMA.resolve("config.json").toFile());
            assertEquals(8, config.get("num_attention_heads").asInt());
            assertEquals(new KvLayout(4, 2, 32, llama.kv().slots()), llama.kv());
            assertEquals(4096, llama.vocab());
        }
        try (Model hf = Model.open(TestModels.hfQwen2(), RUNTIME, Model.Variant.DYNAMIC, Layout.DecoderFiles.AUTO)) {
            assertEquals(3, hf.kv().layers());
            assertEquals(2, hf.kv().kvHeads());
            assertEquals(16, hf.kv().headDim());
            assertEquals(32000, hf.vocab());
        }
    }

    @Test
    void weightsAreStoredOnceAndModelsStaySmall() throws Exception {
        JsonNode c = new ObjectMapper().readTree(TestModels.LLAMA.resolve("config.json").toFile());
        long h = c.get("hidden_size").asLong();
        long kvDim = c.get("num_key_value_heads").asLong() * c.get("head_dim").asLong();
        long inter = c.get("intermediate_size").asLong();
        long params = c.get("vocab_size").asLong() * h
                + c.get("num_hidden_layers").asLong() * (2 * h * h + 2 * h * kvDim + 3 * h * inter + 2 * h) + h;
        long data = Files.size(TestModels.LLAMA.resolve("weights.onnx_data"));
        // The tied embedding and the three variants share one copy: within 5% of parameters x 4 bytes.
        assertTrue(data < params * 4 * 1.05, data + " bytes for " + params + " parameters");
        long total;
        try (Stream<Path> files = Files.walk(TestModels.ROOT.resolve("models"))) {
            total = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
        // fp32, q8, q4 and fp16 graphs of both models with their variants: 47.7 MB measured.
        assertTrue(total < 56L * 1024 * 1024, "committed models take " + total + " bytes");
    }

    @Test
    void layoutDetection() {
        assertEquals(new Layout(false, true, false, false, TestModels.LLAMA, Dtype.FP32), Layout.detect(TestModels.LLAMA));
        assertEquals(new Layout(true, false, true, true, TestModels.MARIAN, Dtype.FP32), Layout.detect(TestModels.MARIAN));
        assertEquals(Layout.DecoderFiles.MERGED, Layout.detect(TestModels.MARIAN).choose(Layout.DecoderFiles.AUTO));
    }
}
