package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The direct call (the session's JNI entry point, no per-call Java objects) exists on the ONNX Runtime this project
 * pins, gives the PyTorch golden tokens exactly as the public {@code OrtSession.run} does, allocates a small fraction
 * of what the public call allocates, and turns misuse into exceptions rather than native crashes.
 */
class DirectRunTest {
    private static final int TOKENS = 64;

    @Test
    void availableOnThePinnedOnnxRuntime() {
        assertTrue(DirectRun.available(), DirectRun.unavailableReason());
        assertEquals(OrtRuntime.RunCall.DIRECT, OrtRuntime.RunCall.preferred());
    }

    /** Strategies whose steps pin every output, so the call matters, each through both calls against the golden ids. */
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"NO_CACHE", "HYBRID", "STATIC", "STATIC_GQA"})
    void bothCallsReproduceTheGoldenTokens(Strategy strategy) {
        List<TestModels.Golden> cases = TestModels.golden(TestModels.LLAMA).stream().filter(TestModels.Golden::ignoreEos).toList();
        assertEquals(6, cases.size());
        for (OrtRuntime.RunCall call : OrtRuntime.RunCall.values()) {
            try (Engine engine = new Engine(TestModels.LLAMA, strategy, EngineOptions.defaults().withRunCall(call))) {
                for (TestModels.Golden g : cases) {
                    int[] got = engine.generator().generate(g.promptIds(), TOKENS, true, Sampler.greedy(), null).tokens();
                    assertArrayEquals(Arrays.copyOf(g.generated(), TOKENS), got, strategy + " with the " + call + " call, prompt " + g.prompt());
                }
            }
        }
    }

    @Test
    void directStepsAllocateAFractionOfPublicOnes() {
        long publicBytes = bytesPerToken(OrtRuntime.RunCall.PUBLIC);
        long directBytes = bytesPerToken(OrtRuntime.RunCall.DIRECT);
        System.out.printf("static-gqa heap bytes per token: public call %d, direct call %d%n", publicBytes, directBytes);
        assertTrue(directBytes * 4 < publicBytes, "direct " + directBytes + " B/token vs public " + publicBytes);
    }

    /** Heap bytes this thread allocates per token over a warm 256-token static-gqa generation. */
    private static long bytesPerToken(OrtRuntime.RunCall call) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] prompt = {1, 100, 101, 102, 103, 104, 105, 106};
        int tokens = 256;
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.STATIC_GQA, EngineOptions.defaults().withRunCall(call))) {
            Sampler greedy = Sampler.greedy();
            for (int i = 0; i < 20; i++) {
                engine.generator().generate(prompt, tokens, true, greedy, null);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            engine.generator().generate(prompt, tokens, true, greedy, null);
            return (threads.getCurrentThreadAllocatedBytes() - before) / tokens;
        }
    }

    @Test
    void misuseIsAnExceptionNotACrash() throws OrtException {
        OrtRuntime runtime = new OrtRuntime(1, OrtRuntime.RunCall.DIRECT);
        DirectRun direct = new DirectRun();
        OrtSession session = runtime.open(TestModels.LLAMA.resolve("model.onnx"));
        boolean sessionClosed = false;
        try (OnnxTensor ids = OnnxTensor.createTensor(runtime.env(), new long[][] {{1}});
             LogitsSink logits = new LogitsSink(runtime.env(), 4096, 1)) {
            Map<String, OnnxTensor> inputs = new LinkedHashMap<>(Map.of("no_such_input", ids));
            Map<String, OnnxValue> pinned = Map.of("logits", logits.forStep(1, 1));
            OrtException unknown = assertThrows(OrtException.class, () -> direct.run(session, inputs, pinned));
            assertTrue(unknown.getMessage().contains("no_such_input"), unknown.getMessage());
            assertThrows(IllegalArgumentException.class, () -> direct.run(session, inputs, Map.of()));
            session.close();
            sessionClosed = true;
            assertThrows(IllegalStateException.class, () -> direct.run(session, inputs, pinned));
        } finally {
            if (!sessionClosed) {
                session.close();
            }
        }
        OnnxTensor closed = OnnxTensor.createTensor(runtime.env(), new long[][] {{1}});
        closed.close();
        try (OrtSession open = runtime.open(TestModels.LLAMA.resolve("model.onnx"));
             LogitsSink logits = new LogitsSink(runtime.env(), 4096, 1)) {
            assertThrows(IllegalStateException.class,
                    () -> direct.run(open, Map.of("input_ids", closed), Map.of("logits", logits.forStep(1, 1))));
        }
    }
}
