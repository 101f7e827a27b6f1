package dev.kvbench.paired;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One side of a paired A/B ({@code kvbench ab}): a long-lived JVM that runs greedy generations with the engine of
 * whichever kvbench jar follows it on the class path, and answers with each generation's time. {@code ab} copies this
 * class out of its own jar and puts it first on the other commit's class path, so it must use only the JDK and the
 * engine API every kvbench commit has: {@code new Engine(Path, Strategy)}, {@code Strategy.parse(String)},
 * {@code Sampler.greedy()}, {@code engine.generator().generate(long[], int, boolean, NextToken, IntConsumer)}.
 * <p>Protocol, one line each way: {@code MODEL_FOLDER STRATEGY NEW_TOKENS OPS PROMPT_IDS [ROWS [DTYPE [assumed]]]}
 * (ids comma-separated; {@code assumed}: the prompt is taken as cached, and a batch's rows share it) is
 * answered by {@code ok NANOS,NANOS,...} (one wall time per generation) or {@code error MESSAGE}; where the engine's
 * result has {@code stepNanos()}, the answer goes on with {@code  steps S,S,...;S,S,...}: each generation's decode-step
 * times (the prompt step, time to first token, left out). Engines stay open between requests, so the JIT and ONNX
 * Runtime warm up as in a benchmark. The first line it writes is {@code ready}.
 */
public final class AbWorker {
    /** The optional eighth field: the prompt is assumed cached ({@code EngineOptions#withAssumedPrompt}, newer engines only). */
    static final String ASSUMED = "assumed";

    private AbWorker() {
    }

    /**
     * An engine on the dtype's graphs: {@code new Engine(folder, strategy, EngineOptions.defaults().withDtype(...))},
     * {@code .withAssumedPrompt(true)} where asked.
     */
    private static Object withDtype(Class<?> engineClass, Class<?> strategyClass, Path folder, Object strategy, String dtype,
                                    boolean assumed) throws ReflectiveOperationException {
        Class<?> optionsClass = Class.forName("dev.kvbench.decode.EngineOptions");
        Class<?> dtypeClass = Class.forName("dev.kvbench.model.Dtype");
        Object options = optionsClass.getMethod("defaults").invoke(null);
        if (dtype.contains("=")) { // a dtype per graph: builds that have it parse it
            Class<?> pairClass = Class.forName("dev.kvbench.model.GraphDtypes");
            options = optionsClass.getMethod("withDtypes", pairClass).invoke(options,
                    pairClass.getMethod("parse", String.class).invoke(null, dtype));
        } else {
            options = optionsClass.getMethod("withDtype", dtypeClass).invoke(options,
                    dtypeClass.getMethod("parse", String.class).invoke(null, dtype));
        }
        if (assumed) {
            options = optionsClass.getMethod("withAssumedPrompt", boolean.class).invoke(options, true);
        }
        return engineClass.getConstructor(Path.class, strategyClass, optionsClass).newInstance(folder, strategy, options);
    }

    /** The result's per-step times, or null where this engine's result has none. */
    private static long[] stepNanos(Object result) {
        try {
            return result == null ? null : (long[]) result.getClass().getMethod("stepNanos").invoke(result);
        } catch (ReflectiveOperationException | ClassCastException e) {
            return null;
        }
    }

    public static void main(String[] args) throws Exception {
        PrintStream protocol = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err); // what the libraries print must not mix with the answers
        Class<?> engineClass = Class.forName("dev.kvbench.decode.Engine");
        Class<?> strategyClass = Class.forName("dev.kvbench.decode.Strategy");
        Class<?> samplerClass = Class.forName("dev.kvbench.decode.Sampler");
        Class<?> nextTokenClass = Class.forName("dev.kvbench.decode.NextToken");
        Constructor<?> newEngine = engineClass.getConstructor(Path.class, strategyClass);
        Method parse = strategyClass.getMethod("parse", String.class);
        Method generator = engineClass.getMethod("generator");
        Object greedy = samplerClass.getMethod("greedy").invoke(null);
        Method generate = generator.getReturnType().getMethod("generate", long[].class, int.class, boolean.class,
                nextTokenClass, java.util.function.IntConsumer.class);
        Map<String, Object> engines = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        protocol.println("ready");
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) {
                continue;
            }
            try {
                String[] p = line.trim().split(" ");
                // An optional seventh field: the dtype of the folder's graphs (newer engines only).
                String dtype = p.length > 6 ? p[6] : null;
                boolean assumed = p.length > 7 && p[7].equals(ASSUMED);
                String key = p[0] + " " + p[1] + " " + dtype + " " + assumed;
                Object engine = engines.get(key);
                if (engine == null) {
                    engine = dtype == null ? newEngine.newInstance(Path.of(p[0]), parse.invoke(null, p[1]))
                            : withDtype(engineClass, strategyClass, Path.of(p[0]), parse.invoke(null, p[1]), dtype, assumed);
                    engines.put(key, engine);
                }
                int newTokens = Integer.parseInt(p[2]);
                int ops = Integer.parseInt(p[3]);
                String[] ids = p[4].split(",");
                long[] prompt = new long[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    prompt[i] = Long.parseLong(ids[i]);
                }
                Object gen = generator.invoke(engine);
                // An optional sixth field: rows decoded together (prompts of up to four lengths, as the benchmarks'
                // batches), through the batched generate, which only newer engines have.
                int rows = p.length > 5 ? Integer.parseInt(p[5]) : 1;
                java.util.List<long[]> batch = new java.util.ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    batch.add(assumed ? prompt : java.util.Arrays.copyOf(prompt, Math.max(1, prompt.length - r % 4)));
                }
                Method batched = rows > 1 ? gen.getClass().getMethod("generate", java.util.List.class, int.class, boolean.class,
                        nextTokenClass, Class.forName("dev.kvbench.decode.Generator$RowTokens")) : null;
                StringBuilder answer = new StringBuilder("ok ");
                StringBuilder steps = new StringBuilder(" steps ");
                for (int i = 0; i < ops; i++) {
                    long t0 = System.nanoTime();
                    Object result = batched != null ? batched.invoke(gen, batch, newTokens, true, greedy, null)
                            : generate.invoke(gen, prompt, newTokens, true, greedy, null);
                    answer.append(i == 0 ? "" : ",").append(System.nanoTime() - t0);
                    long[] stepNanos = stepNanos(result);
                    if (steps != null && stepNanos != null) {
                        steps.append(i == 0 ? "" : ";");
                        for (int k = 1; k < stepNanos.length; k++) {
                            steps.append(k == 1 ? "" : ",").append(stepNanos[k]);
                        }
                    } else {
                        steps = null;
                    }
                }
                protocol.println(steps == null ? answer : answer.append(steps));
            } catch (ReflectiveOperationException | RuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                protocol.println("error " + String.valueOf(cause).replace('\n', ' '));
            }
        }
    }
}
