package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code check} on real folders: agreement, a strategy that cannot run, a tolerance nothing meets, bad input. */
class CheckCommandTest {

    /** A copy of tiny-llama without the files named. */
    static Path llamaWithout(Path tmp, Set<String> left) throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("llama"));
        try (var files = Files.list(TestModels.LLAMA)) {
            for (Path f : files.toList()) {
                if (!left.contains(f.getFileName().toString())) {
                    Files.copy(f, folder.resolve(f.getFileName()));
                }
            }
        }
        return folder;
    }

    @Test
    void everyStrategyOfTheBundledModelsAgreesWithNoCache() throws Exception {
        CliTestSupport.Run r = CliTestSupport.run("check", "--model", TestModels.LLAMA.toString(), "--steps", "24", "--format", "json");
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals(12, root.get("prompts").asInt()); // golden.json's prompts
        assertEquals(8, root.get("strategies").size());
        for (JsonNode s : root.get("strategies")) {
            if (s.get("strategy").asText().startsWith("static-gqa-int")) { // quantized caches: lossy within bounds (QuantizedCacheTest)
                assertEquals("lossy", s.get("verdict").asText(), s.toString());
                continue;
            }
            assertEquals("agrees", s.get("verdict").asText(), s.toString());
            assertTrue(s.get("max_abs_diff").asDouble() < 1e-4, s.toString());
            assertTrue(s.get("first_difference").isNull(), s.toString());
            // The same distributions up to float rounding: no divergence, every greedy token matched.
            assertTrue(s.get("kl_divergence_mean").asDouble() < 1e-8, s.toString());
            assertTrue(s.get("kl_divergence_p99").asDouble() < 1e-7, s.toString());
            assertTrue(s.get("rms_delta_p").asDouble() < 1e-5, s.toString());
            assertEquals(24, s.get("matching_prefix_min").asInt(), s.toString());
            assertEquals(24.0, s.get("matching_prefix_mean").asDouble(), s.toString());
            assertEquals(s.get("token_agreement").asDouble(), s.get("top1_agreement").asDouble(), s.toString());
        }
        CliTestSupport.Run marian = CliTestSupport.run("check", "--model", TestModels.MARIAN.toString(), "--steps", "12");
        assertEquals(0, marian.code(), marian.out() + marian.err());
        assertTrue(marian.out().lines().anyMatch(l -> l.startsWith("static ") && l.contains("agrees")), marian.out());
        assertTrue(marian.out().contains("KLD mean") && marian.out().contains("matching = greedy tokens before the first "
                + "difference"), marian.out());
        assertTrue(marian.out().lines().anyMatch(l -> l.matches("static-gqa +not available.*")) && marian.out().contains("GroupQueryAttention variants are decoder-only"), marian.out());
    }

    @Test
    void aStrategyThatCannotRunFailsTheCheckWithOneLine(@TempDir Path tmp) throws Exception {
        Path folder = llamaWithout(tmp, Set.of("golden.json", "model_gqa.onnx"));
        byte[] gqa = Files.readAllBytes(TestModels.LLAMA.resolve("model_gqa.onnx"));
        Files.write(folder.resolve("model_gqa.onnx"), java.util.Arrays.copyOf(gqa, gqa.length / 2));
        CliTestSupport.Run r = CliTestSupport.run("check", "--model", folder.toString(), "--steps", "8");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("2 prompt(s) (built-in)"), r.out());
        String line = r.out().lines().filter(l -> l.startsWith("static-gqa")).findFirst().orElseThrow();
        assertTrue(line.contains("cannot run"), line);
        assertTrue(r.out().lines().filter(l -> l.startsWith("kv ")).findFirst().orElseThrow().contains("agrees"), r.out());
    }

    @Test
    void aToleranceNoStrategyMeetsIsExitOne() {
        CliTestSupport.Run r = CliTestSupport.run("check", "--model", TestModels.LLAMA.toString(), "--steps", "4", "--tolerance", "0");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("static-gqa") && l.contains("differs")), r.out());
    }

    @Test
    void badInputIsOneLine(@TempDir Path tmp) {
        CliTestSupport.assertBadInput("--steps must be in 1..4096", "check", "--model", TestModels.LLAMA.toString(), "--steps", "0");
        CliTestSupport.assertBadInput("--tolerance must be a finite number", "check", "--model", TestModels.LLAMA.toString(), "--tolerance", "NaN");
        CliTestSupport.assertBadInput("does not exist", "check", "--model", tmp.resolve("nothing").toString());
        CliTestSupport.assertBadInput("beyond the model's", "check", "--model", TestModels.LLAMA.toString(), "--steps", "4096");
    }
}
