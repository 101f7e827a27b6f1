package dev.kvbench.cli;

import dev.kvbench.InvalidSettingException;
import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.StepFailedException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.Layout;
import dev.kvbench.model.VariantUnavailableException;
import dev.kvbench.results.ErrorWording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's typed errors and how the command line words them: the engine names its settings and remedies in
 * words, never as options; the command line names the option, exit 2; a step ONNX Runtime fails is exit 3.
 */
class EngineErrorsTest {
    /**
     * A real export rewritten so that ONNX Runtime fails at the second step (its first present passes through a Reshape
     * to one position): the engine throws a step failure, not bad input, and the command line exits 3 with one line.
     */
    @Test
    void aStepOnnxRuntimeFailsIsAFailureNotBadInput(@TempDir Path tmp) throws Exception {
        String python = TestModels.pythonOnnx();
        Path folder = Files.createDirectories(tmp.resolve("fails-at-step-1"));
        for (String f : new String[] {"config.json", "generation_config.json", "model.onnx", "weights.onnx_data"}) {
            Files.copy(TestModels.LLAMA.resolve(f), folder.resolve(f));
        }
        Path script = tmp.resolve("fail_after_first_position.py");
        try (InputStream in = EngineErrorsTest.class.getResourceAsStream("fail_after_first_position.py")) {
            Files.copy(in, script);
        }
        Process p = new ProcessBuilder(python, script.toString(), folder.toString()).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, log);

        try (Engine engine = new Engine(folder, Strategy.KV)) {
            StepFailedException e = assertThrows(StepFailedException.class,
                    () -> engine.generator().generate(new long[] {1}, 4, true, Sampler.greedy(), null));
            assertEquals(1, e.step(), e.getMessage()); // the first step (one position) ran
            assertEquals(Strategy.KV, e.strategy());
            assertTrue(e.getMessage().startsWith("kv failed at step 1: "), e.getMessage());
            assertTrue(e.getCause() instanceof ai.onnxruntime.OrtException, String.valueOf(e.getCause()));
        }
        CliTestSupport.Run r = CliTestSupport.run("generate", "--model", folder.toString(), "--prompt-ids", "1",
                "--max-new-tokens", "4", "--strategy", "kv");
        assertEquals(3, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("kvbench: internal error: kv failed at step 1: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --debug: " + r.err());
    }

    /** A setting out of range names the setting in the engine and the option on the command line. */
    @Test
    void aSettingIsWordsInTheEngineAndAnOptionOnTheCommandLine() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> EngineOptions.defaults().withCacheCapacity(-1));
        assertEquals(InvalidSettingException.Setting.CACHE_CAPACITY, e.setting());
        assertEquals("cache capacity must be at least 1, got -1", e.getMessage());
        assertEquals("--cache-capacity must be at least 1, got -1", ErrorWording.of(e));
        // Wrapped by the workbench (a row's label), the engine's part is reworded inside the wrapper's message.
        KvbenchException wrapped = new KvbenchException("line 3: " + e.getMessage(), e);
        assertEquals("line 3: --cache-capacity must be at least 1, got -1", ErrorWording.of(wrapped));
        for (InvalidSettingException.Setting s : InvalidSettingException.Setting.values()) {
            assertFalse(s.words().startsWith("--"), s.toString());
            assertTrue(ErrorWording.option(s).startsWith("--"), s.toString());
        }
    }

    /** A missing dtype's remedy and a missing variant's derive command are the command line's to add. */
    @Test
    void remediesAreWordedByTheCommandLine(@TempDir Path tmp) throws Exception {
        KvbenchException dtype = assertThrows(KvbenchException.class, () -> Layout.detect(TestModels.MARIAN, Dtype.Q4F16));
        assertEquals(KvbenchException.Remedy.CHOOSE_DTYPE, dtype.remedy());
        assertTrue(dtype.getMessage().endsWith("(choose another dtype)"), dtype.getMessage());
        assertTrue(ErrorWording.of(dtype).endsWith("(choose with --dtype)"), ErrorWording.of(dtype));

        VariantUnavailableException v = assertThrows(VariantUnavailableException.class,
                () -> new Engine(TestModels.hfQwen2(), Strategy.STATIC));
        assertFalse(v.getMessage().contains("kvbench"), v.getMessage());
        CliTestSupport.assertBadInput("model_static.onnx is not in hf-qwen2-3layer -- `kvbench derive --model ", "generate",
                "--model", TestModels.hfQwen2().toString(), "--prompt-ids", "1", "--strategy", "static");
    }
}
