package dev.kvbench.derive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code synth} at a trimmed depth (2 layers) for each built-in architecture: the folder loads with the real head
 * counts, and every strategy it supports gives no-cache's greedy tokens for 32 steps ({@code check}); bad
 * configurations are one line, exit 2, nothing written. Qwen2.5-0.5B, Llama-3.2-1B and opus-mt-en-zh run from a
 * config.json of their built-in attention shapes (hidden size, heads, KV heads, head size, rotary and norm settings,
 * biases) with a vocabulary of 4,096 rows and an MLP 1,024 wide: the graph rewrite and the strategies depend on the
 * attention's shapes, not on the vocabulary's length or the MLP's width, whose full sizes (65 k to 152 k rows, 2,048
 * to 8,192 wide) made these cases 1.6 GB and minutes each (opus-mt at full size: 88 s of the suite beside the other
 * test JVM). {@code --like} itself is the built-in table's lookup, which the refusals below use.
 */
class SynthCommandTest {
    /** The built-in shapes of kvsynth.py (BUILT_IN) with 4,096 vocabulary rows (token ids within them) and a narrower MLP. */
    static final java.util.Map<String, String> SMALL_VOCABULARY = java.util.Map.of(
            "qwen2.5-0.5b", "{\"model_type\": \"qwen2\", \"architectures\": [\"Qwen2ForCausalLM\"], \"vocab_size\": 4096, "
                    + "\"hidden_size\": 896, \"intermediate_size\": 1024, \"num_hidden_layers\": 24, \"num_attention_heads\": 14, "
                    + "\"num_key_value_heads\": 2, \"max_position_embeddings\": 32768, \"rope_theta\": 1000000.0, "
                    + "\"rms_norm_eps\": 1e-6, \"tie_word_embeddings\": true, \"hidden_act\": \"silu\", \"bos_token_id\": 4094, "
                    + "\"eos_token_id\": 4095, \"attention_bias\": true}",
            "llama-3.2-1b", "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"], \"vocab_size\": 4096, "
                    + "\"hidden_size\": 2048, \"intermediate_size\": 1024, \"num_hidden_layers\": 16, \"num_attention_heads\": 32, "
                    + "\"num_key_value_heads\": 8, \"head_dim\": 64, \"max_position_embeddings\": 131072, \"rope_theta\": 500000.0, "
                    + "\"rms_norm_eps\": 1e-5, \"tie_word_embeddings\": true, \"hidden_act\": \"silu\", \"bos_token_id\": 4094, "
                    + "\"eos_token_id\": 4095, \"attention_bias\": false}",
            "opus-mt-en-zh", "{\"model_type\": \"marian\", \"architectures\": [\"MarianMTModel\"], \"vocab_size\": 4096, "
                    + "\"d_model\": 512, \"encoder_layers\": 6, \"decoder_layers\": 6, \"encoder_attention_heads\": 8, "
                    + "\"decoder_attention_heads\": 8, \"encoder_ffn_dim\": 1024, \"decoder_ffn_dim\": 1024, "
                    + "\"max_position_embeddings\": 512, \"scale_embedding\": true, \"activation_function\": \"swish\", "
                    + "\"is_encoder_decoder\": true, \"tie_word_embeddings\": true, \"share_encoder_decoder_embeddings\": true, "
                    + "\"pad_token_id\": 4095, \"eos_token_id\": 0, \"bos_token_id\": 0, \"decoder_start_token_id\": 4095, "
                    + "\"forced_eos_token_id\": 0, \"normalize_before\": false}");

    @ParameterizedTest
    @Execution(ExecutionMode.CONCURRENT) // the three are independent; ONNX Runtime runs each on one thread
    @CsvSource({"qwen2.5-0.5b, 14, 2, false", "llama-3.2-1b, 32, 8, false", "opus-mt-en-zh, 8, 8, true"})
    void aTrimmedSynthesisLoadsAndEveryStrategyAgrees(String like, int heads, int kvHeads, boolean encoderDecoder,
                                                     @TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path out = tmp.resolve(like);
        String[] source = SMALL_VOCABULARY.containsKey(like)
                ? new String[] {"--config", Files.writeString(tmp.resolve(like + ".json"), SMALL_VOCABULARY.get(like)).toString()}
                : new String[] {"--like", like};
        CliTestSupport.Run r = CliTestSupport.run("synth", source[0], source[1], "--layers", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("depth trimmed to 2 layer(s)") && r.out().contains("no tokenizer"), r.out());
        assertFalse(Files.exists(out.resolve("tokenizer.json")));
        assertEquals(encoderDecoder, Layout.detect(out).encoderDecoder());
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals(heads, config.path(encoderDecoder ? "decoder_attention_heads" : "num_attention_heads").asInt());
        try (Engine e = new Engine(out, Strategy.KV)) {
            assertEquals(kvHeads, e.model().kv().kvHeads()); // read from the graph's past inputs
            assertEquals(2, e.model().kv().layers());
        }
        CliTestSupport.Run check = CliTestSupport.run("check", "--model", out.toString(), "--steps", "32", "--format", "json");
        assertEquals(0, check.code(), check.out() + check.err());
        int agreeing = 0;
        for (JsonNode s : new ObjectMapper().readTree(check.out()).get("strategies")) {
            if (s.get("strategy").asText().equals("static-gqa") && encoderDecoder) {
                assertEquals("not_available", s.get("verdict").asText());
                continue;
            }
            if (s.get("strategy").asText().startsWith("static-gqa-int")) {
                // A quantized cache: lossy within its bounds, or (encoder-decoder; a 4-bit cache beyond its bounds on
                // random weights, left out by derive) not there.
                assertTrue(java.util.Set.of("lossy", "not_available").contains(s.get("verdict").asText()), s.toString());
                if (s.get("strategy").asText().equals("static-gqa-int8")) {
                    assertEquals(encoderDecoder ? "not_available" : "lossy", s.get("verdict").asText(), s.toString());
                }
                continue;
            }
            assertEquals("agrees", s.get("verdict").asText(), s.toString());
            agreeing++;
        }
        assertEquals(encoderDecoder ? 5 : 6, agreeing);
    }

    /**
     * {@code --dtypes}: the further dtype's graphs and variants are made in the work folder with the fp32 ones, so the
     * folder appears whole (a half model, fp32 without the asked dtype, was left by an interrupt before).
     */
    @Test
    void furtherDtypesArriveWithTheModel(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path config = Files.writeString(tmp.resolve("tiny.json"), TestModels.TINY_LLAMA_CONFIG);
        Path out = tmp.resolve("tiny");
        CliTestSupport.Run r = CliTestSupport.run("synth", "--config", config.toString(), "--dtypes", "q4", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("q4: model_q4.onnx, weights_q4.onnx_data (MatMulNBits 4-bit"), r.out());
        for (String f : List.of("model.onnx", "model_gqa.onnx", "model_q4.onnx", "model_gqa_q4.onnx", "model_static_q4.onnx")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f + " in " + out);
        }
        try (var left = Files.list(tmp)) {
            assertEquals(java.util.Set.of("tiny.json", "tiny"), left.map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toSet()), "no work folder left");
        }
    }

    @Test
    void unsupportedConfigurationsAreOneLineAndWriteNothing(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path moe = tmp.resolve("moe.json");
        Files.writeString(moe, "{\"model_type\": \"qwen2\", \"vocab_size\": 1000, \"hidden_size\": 64, \"intermediate_size\": 128,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_local_experts\": 8}");
        CliTestSupport.assertBadInput("config field num_local_experts=8 (mixture-of-experts layers) is not supported",
                "synth", "--config", moe.toString(), "--out", tmp.resolve("a").toString());
        Path bias = tmp.resolve("bias.json");
        Files.writeString(bias, "{\"model_type\": \"llama\", \"vocab_size\": 1000, \"hidden_size\": 64, \"intermediate_size\": 128,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"mlp_bias\": true}");
        CliTestSupport.assertBadInput("config field mlp_bias=true (MLP biases) is not supported", "synth", "--config",
                bias.toString(), "--out", tmp.resolve("f").toString());
        Path bert = tmp.resolve("bert.json");
        Files.writeString(bert, "{\"model_type\": \"bert\", \"vocab_size\": 1000}");
        CliTestSupport.assertBadInput("model_type 'bert' is not supported", "synth", "--config", bert.toString(),
                "--out", tmp.resolve("b").toString());
        Path heads = tmp.resolve("heads.json");
        Files.writeString(heads, "{\"model_type\": \"llama\", \"vocab_size\": 1000, \"hidden_size\": 64, \"intermediate_size\": 128,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 3, "
                + "\"max_position_embeddings\": 64}");
        CliTestSupport.assertBadInput("num_attention_heads 4 is not a multiple of num_key_value_heads 3", "synth",
                "--config", heads.toString(), "--out", tmp.resolve("c").toString());
        // Values the model would be written with and then fail on (rotary angles of 0, a negative epsilon, no positions).
        String base = "{\"model_type\": \"llama\", \"vocab_size\": 1000, \"hidden_size\": 64, \"intermediate_size\": 128, "
                + "\"num_hidden_layers\": 2, \"num_attention_heads\": 4, ";
        java.util.Map<String, String> values = new java.util.LinkedHashMap<>();
        values.put("\"max_position_embeddings\": 64, \"rope_theta\": 0}", "config field rope_theta must be a finite number > 0, got 0");
        values.put("\"max_position_embeddings\": 64, \"rms_norm_eps\": -1}", "config field rms_norm_eps must be a finite number > 0, got -1");
        values.put("\"max_position_embeddings\": 0}", "config field max_position_embeddings must be a positive integer, got 0");
        for (var v : values.entrySet()) {
            Path file = Files.writeString(tmp.resolve("values.json"), base + v.getKey());
            CliTestSupport.assertBadInput(v.getValue(), "synth", "--config", file.toString(), "--out", tmp.resolve("g").toString());
        }
        Files.delete(tmp.resolve("values.json"));
        CliTestSupport.assertBadInput("--accuracy-level sets the q4 graphs' MatMulNBits; it does nothing without q4 in --dtypes",
                "synth", "--like", "qwen2.5-0.5b", "--dtypes", "q8", "--accuracy-level", "4", "--out", tmp.resolve("h").toString());
        CliTestSupport.assertBadInput("--like gpt-5 is not a built-in configuration", "synth", "--like", "gpt-5", "--out",
                tmp.resolve("d").toString());
        CliTestSupport.assertBadInput("--layers must be at least 1", "synth", "--like", "qwen2.5-0.5b", "--layers", "0",
                "--out", tmp.resolve("e").toString());
        Files.writeString(Files.createDirectories(tmp.resolve("full")).resolve("x"), "x");
        CliTestSupport.assertBadInput("exists and is not an empty folder", "synth", "--like", "qwen2.5-0.5b", "--out",
                tmp.resolve("full").toString());
        try (var left = Files.list(tmp)) {
            assertEquals(java.util.Set.of("moe.json", "bias.json", "bert.json", "heads.json", "full"),
                    left.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }
}
