package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;
import dev.kvbench.support.JsonFiles;
import org.junit.jupiter.api.Test;

import static dev.kvbench.cli.CliTestSupport.assertBadInput;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dtype per graph on tiny-marian (an fp32 encoder with a q4 decoder, as transformers.js users pick): every strategy
 * the model has runs it and agrees with no-cache under it; it is a configuration of its own, neither all-fp32 nor
 * all-q4; `check --against` measures it. Bad input is one line.
 */
class PerGraphDtypeTest {
    static final String MARIAN = TestModels.MARIAN.toString();
    static final String PAIR = "encoder=fp32,decoder=q4";

    @Test
    void everyStrategyRunsAnFp32EncoderWithAQ4Decoder() throws Exception {
        try (Engine e = new Engine(TestModels.MARIAN, Strategy.STATIC, EngineOptions.defaults()
                .withDtypes(GraphDtypes.parse(PAIR)))) {
            assertEquals("encoder_model.onnx", e.model().layout().graph(Layout.ENCODER).getFileName().toString());
            assertEquals("decoder_model_static_q4.onnx", Strategy.STATIC.variant().fileIn(e.model().layout()));
        }
        CliTestSupport.Run check = CliTestSupport.run("check", "--model", MARIAN, "--dtype", PAIR, "--steps", "8",
                "--format", "json");
        assertEquals(0, check.code(), check.out() + check.err());
        JsonNode c = JsonFiles.MAPPER.readTree(check.out());
        assertEquals(PAIR, c.get("dtype").asText());
        int agree = 0;
        for (JsonNode s : c.get("strategies")) {
            if (s.get("verdict").asText().equals("agrees")) {
                agree++;
            }
        }
        assertEquals(5, agree, "kv, kv-alloc, kv-copy, hybrid and static agree with no-cache: " + check.out());
        // Its own configuration: it differs from all-fp32 and from all-q4 (the encoder differs).
        for (String against : new String[] {"fp32", "q4"}) {
            CliTestSupport.Run r = CliTestSupport.run("check", "--model", MARIAN, "--dtype", PAIR, "--against", against,
                    "--steps", "8", "--format", "json");
            assertEquals(0, r.code(), r.out() + r.err());
            JsonNode j = JsonFiles.MAPPER.readTree(r.out());
            assertEquals(PAIR, j.get("dtype").asText());
            double kld = j.get("strategies").get(0).get("kl_divergence_mean").asDouble();
            assertTrue(kld > 1e-6 && Double.isFinite(kld), against + ": " + r.out());
        }
        CliTestSupport.Run gen = CliTestSupport.run("generate", "--model", MARIAN, "--prompt", "Hello world", "--dtype", PAIR,
                "--strategy", "kv-copy", "--max-new-tokens", "6", "--format", "json");
        assertEquals(0, gen.code(), gen.err());
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertBadInput("a dtype per graph (encoder=fp32,decoder=q4) is for encoder-decoder models", "generate", "--model",
                TestModels.LLAMA.toString(), "--prompt", "x", "--dtype", PAIR);
        assertBadInput("encoder=fp16,decoder=fp32 cannot run together", "generate", "--model", MARIAN, "--prompt", "x",
                "--dtype", "encoder=fp16,decoder=fp32");
        assertBadInput("nor one per graph, encoder=DTYPE,decoder=DTYPE", "check", "--model", MARIAN, "--dtype", "encoder=q4");
        assertBadInput("missing encoder_model_int8.onnx", "score", "--model", MARIAN, "--source", "x", "--target", "y",
                "--dtype", "encoder=int8,decoder=q4");
        assertBadInput("--against encoder=fp32,decoder=q4 is --dtype itself", "check", "--model", MARIAN, "--dtype", PAIR,
                "--against", "decoder=q4,encoder=fp32");
        assertBadInput("a dtype per graph (encoder=fp32,decoder=q4) is for encoder-decoder models", "bench", "--model",
                "tiny-llama", "--dtypes", "fp32," + PAIR, "--quick");
    }
}
