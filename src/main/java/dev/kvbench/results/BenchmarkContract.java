package dev.kvbench.results;

import dev.kvbench.KvbenchException;

import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Generator;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Model;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * What the JMH benchmarks ({@code benchmarks/}) and the code that runs and reads them ({@code bench}, {@code ab},
 * {@code Summary}) agree on: benchmark names, system properties passed to forked JVMs, the step count of the step
 * benchmark, how a model parameter names a folder, and the failure side file.
 * <p>A configuration that fails in a forked JVM appends one line to the file named by {@link #FAILURE_FILE_PROPERTY}
 * ({@code <configuration>: <reason>}), so {@code bench} can list failures in its summary without reading JMH's
 * console output.
 */
public final class BenchmarkContract {
    /** The JMH benchmarks' package. */
    public static final String PACKAGE = "dev.kvbench.bench";
    public static final String GENERATION = "GenerationBenchmark";
    public static final String STEP = "StepBenchmark";
    public static final String HYBRID_THRESHOLD = "HybridThresholdBenchmark";
    public static final String SCORE = "ScoreBenchmark";
    public static final String PREFILL = "PrefillBenchmark";
    /** The shared-prompt benchmarks: re-ranking given one prompt, a prefix-cache hit's first token, a conversation. */
    public static final String RERANK = "RerankBenchmark";
    public static final String PREFIX_HIT = "PrefixHitBenchmark";
    public static final String CONTINUATION = "ContinuationBenchmark";
    public static final String SERVING = "ServingBenchmark";
    /**
     * What the paired rounds ({@code ab}'s generations method, bench's verdicts) time and record in JMH's format: one
     * call of the engine's {@code Generator.generate} in a worker JVM. Not a JMH benchmark: the entries say
     * {@code "jmhVersion": "kvbench-ab"}.
     */
    public static final String PAIRED_GENERATE = Generator.class.getName() + ".generate";
    /** The name older paired rounds wrote for {@link #PAIRED_GENERATE} (a class that never existed); read as it. */
    public static final String PAIRED_GENERATE_BEFORE = "dev.kvbench.ab.PairedGenerations.generate";
    /** System property: the repository root, where {@code models/} is. */
    public static final String ROOT_PROPERTY = "kvbench.root";
    /** System property: a file to which failing configurations append one line each. */
    public static final String FAILURE_FILE_PROPERTY = "kvbench.failureFile";
    /**
     * System property ({@code true}): {@code StepBenchmark} and {@code PeakMemory} take their prompts as already cached
     * ({@code EngineOptions#assumedPrompt}) instead of prefilling them, for long contexts of large models.
     */
    public static final String ASSUMED_PROMPT_PROPERTY = "kvbench.assumedPrompt";
    /** Decode steps in one operation of the step benchmark. */
    public static final int STEP_BENCHMARK_STEPS = 8;
    /** Tokens of the fixed prompt used by the generation and step-memory benchmarks. */
    public static final int PROMPT_TOKENS = 8;
    /** PeakMemory's main class, and what starts its result line (a JSON object follows; the JVM may print other lines). */
    public static final String PEAK_MEMORY_MAIN = PACKAGE + ".PeakMemory";
    public static final String PEAK_MEMORY_LINE = "peak-memory ";
    /** Thresholds of HybridThresholdBenchmark's {@code hybrid-T} variants (its {@code @Param} lists them as literals). */
    public static final List<Integer> HYBRID_THRESHOLDS = List.of(4, 10, 32, 128);

    /** HybridThresholdBenchmark's variant for threshold {@code t}: {@code hybrid-10}. */
    public static String hybridVariant(int t) {
        return Strategy.HYBRID.id() + "-" + t;
    }

    private BenchmarkContract() {
    }

    /** The repository root of this JVM ({@value #ROOT_PROPERTY}, else the working directory). */
    public static Path root() {
        return Path.of(System.getProperty(ROOT_PROPERTY, ".")).toAbsolutePath().normalize();
    }

    /** A bundled model's name ({@code tiny-llama}, under {@code models/}), or any path to a model folder. */
    public static Path resolveModel(Path root, String model) {
        Path bundled = root.resolve("models").resolve(model);
        if (Files.isDirectory(bundled)) {
            return bundled.normalize();
        }
        Path path = Path.of(model).toAbsolutePath().normalize();
        if (Files.isDirectory(path)) {
            return path;
        }
        throw new KvbenchException("model not found: " + model + " (neither " + bundled + " nor a folder)");
    }

    /**
     * The rows' prompts for a benchmark of this JVM: {@link FixedPrompts#batch} (up to four lengths), or {@code rows} copies
     * of the {@code length}-token prompt where prompts are assumed cached ({@link #assumedPrompt()}: holes cannot be).
     */
    public static java.util.List<long[]> rowPrompts(Model model, int rows, int length) {
        return assumedPrompt() ? java.util.Collections.nCopies(rows, FixedPrompts.prompt(model, length))
                : FixedPrompts.batch(model, rows, length);
    }

    /** Whether this JVM was told to assume its prompts cached ({@link #ASSUMED_PROMPT_PROPERTY}). */
    public static boolean assumedPrompt() {
        return Boolean.getBoolean(ASSUMED_PROMPT_PROPERTY);
    }

    /** Appends {@code configuration: reason} to the failure file, when this JVM was given one. */
    public static void recordFailure(String configuration, Throwable failure) {
        String file = System.getProperty(FAILURE_FILE_PROPERTY);
        if (file == null) {
            return;
        }
        String reason = KvbenchException.firstLine(failure.getMessage() == null ? failure.toString() : failure.getMessage());
        try {
            Files.writeString(Path.of(file), configuration + ": " + reason + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // The failure itself still reaches JMH; only the summary line is lost.
        }
    }

    /** The lines of a failure file, none if it was never written. */
    public static List<String> readFailures(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList() : List.of();
        } catch (IOException e) {
            return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
        }
    }
}
