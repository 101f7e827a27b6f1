package dev.kvbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the bundled models and the shared fixtures are, and their golden files. */
public final class TestModels {
    public static final Path ROOT = Path.of(System.getProperty("kvbench.root", ".")).toAbsolutePath().normalize();
    public static final Path LLAMA = ROOT.resolve("models/tiny-llama");
    public static final Path MARIAN = ROOT.resolve("models/tiny-marian");
    /** A Hugging Face transformers export (Qwen2, GQA, 3 layers) with its reference outputs; src/test/fixtures/README.md. */
    public static final Path HF_QWEN2 = ROOT.resolve("src/test/fixtures/hf-qwen2-3layer");

    private TestModels() {
    }

    /** The Hugging Face fixture; it is part of the repository, so a missing one is a broken checkout, not a skip. */
    public static Path hfQwen2() {
        if (!Files.isRegularFile(HF_QWEN2.resolve("model.onnx"))) {
            throw new AssertionError(HF_QWEN2 + " is missing from the checkout");
        }
        return HF_QWEN2;
    }

    /** A Llama config.json of 1 layer, hidden 64, 512 vocabulary rows: synth writes and checks it in seconds. */
    public static final String TINY_LLAMA_CONFIG = "{\"model_type\": \"llama\", \"vocab_size\": 512, \"hidden_size\": 64, "
            + "\"intermediate_size\": 128, \"num_hidden_layers\": 1, \"num_attention_heads\": 4, \"num_key_value_heads\": 2, "
            + "\"max_position_embeddings\": 256, \"bos_token_id\": 1, \"eos_token_id\": 2}";

    /**
     * The Python that {@code kvbench derive} runs (with the onnx package), or the test is skipped with a visible reason;
     * with {@code KVBENCH_REQUIRE_PYTHON_ONNX=1} (CI, which installs python3-onnx) a missing one fails instead.
     */
    public static String pythonOnnx() {
        try {
            return dev.kvbench.derive.OnnxPython.find(null);
        } catch (KvbenchException e) {
            if ("1".equals(System.getenv("KVBENCH_REQUIRE_PYTHON_ONNX"))) {
                throw new AssertionError("KVBENCH_REQUIRE_PYTHON_ONNX=1 but " + e.getMessage());
            }
            System.out.println("SKIPPED: " + e.getMessage());
            Assumptions.abort(e.getMessage());
            return null;
        }
    }

    /** A golden case: prompt ids, settings and the reference (PyTorch) output. */
    public record Golden(String prompt, long[] promptIds, int maxNewTokens, boolean ignoreEos, int[] generated,
                         double[] margins, String text) {
    }

    public static List<Golden> golden(Path folder) {
        try {
            JsonNode root = new ObjectMapper().readTree(folder.resolve("golden.json").toFile());
            List<Golden> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                long[] prompt = new long[c.get("prompt_ids").size()];
                for (int i = 0; i < prompt.length; i++) {
                    prompt[i] = c.get("prompt_ids").get(i).asLong();
                }
                int[] gen = new int[c.get("generated").size()];
                for (int i = 0; i < gen.length; i++) {
                    gen[i] = c.get("generated").get(i).asInt();
                }
                double[] margins = new double[c.path("margins").size()];
                for (int i = 0; i < margins.length; i++) {
                    margins[i] = c.get("margins").get(i).asDouble();
                }
                out.add(new Golden(c.path("prompt").asText(null), prompt, c.get("max_new_tokens").asInt(),
                        c.get("ignore_eos").asBoolean(), gen, margins, c.path("text").asText(null)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
