package dev.kvbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.AtomicFiles;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.Summary;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The main job: the default benchmark matrix (generation, per-step and hybrid-threshold benchmarks, with the GC
 * profiler) on a model folder, written as JMH JSON plus a {@code .meta.json} sidecar and a readable summary.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the benchmark matrix; write results/<date>-<sha>.json, .meta.json and .summary.txt.")
final class BenchCommand implements Callable<Integer> {
    /** System property, read by {@code GenerationBenchmark} in the forked JVM, with the no-cache time limit. */
    static final String NO_CACHE_LIMIT_PROPERTY = "kvbench.noCacheLimitSeconds";
    static final String[] STRATEGIES = {"no-cache", "kv", "kv-copy", "hybrid", "static", "static-gqa"};

    @Option(names = "--model", defaultValue = "tiny-llama", description = "Bundled model name or a model folder (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--quick", description = "A seconds-long smoke run: few lengths, one short iteration each.")
    boolean quick;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--ort-call", defaultValue = "auto", description = "How steps with only pinned outputs call ONNX Runtime: direct, public, both (to compare), or auto: direct where available (default: ${DEFAULT-VALUE}).")
    String ortCall;

    @Option(names = "--no-cache-limit", defaultValue = "30", paramLabel = "SECONDS",
            description = "Skip no-cache generations estimated to take longer than this per operation (default: ${DEFAULT-VALUE}).")
    double noCacheLimitSeconds;

    @Option(names = "--strategies", split = ",", description = "Strategies to run (default: all that the model supports).")
    List<String> strategies;

    @Option(names = "--out", description = "Result file (default: results/<yyyy-mm-dd>-<git short sha>.json).")
    Path out;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "Repository root (models/, results/).")
    Path root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        var console = spec.commandLine().getOut();
        Path repo = root.toAbsolutePath().normalize();
        Path folder = resolveModel(repo);
        List<String> chosen = strategies != null ? strategies : supported(folder);
        chosen.forEach(dev.kvbench.decode.Strategy::parse);
        String[] calls = ortCalls();
        if (!(noCacheLimitSeconds > 0)) {
            throw new KvbenchException("--no-cache-limit must be a positive number of seconds");
        }
        Path target = out != null ? out : repo.resolve("results").resolve(LocalDate.now() + "-" + RunMeta.gitShortSha(repo) + ".json");
        String matrix = quick ? "quick" : "default";
        List<Part> parts = quick ? List.of(
                new Part("GenerationBenchmark", "strategy", chosen, "newTokens", List.of("16")),
                new Part("StepBenchmark", "strategy", chosen, "context", List.of("64")),
                new Part("HybridThresholdBenchmark", "variant", List.of("hybrid-10", "kv"), "newTokens", List.of("64")))
                : List.of(
                new Part("GenerationBenchmark", "strategy", chosen, "newTokens", List.of("16", "64", "256", "512", "1024")),
                new Part("StepBenchmark", "strategy", chosen, "context", List.of("16", "64", "256", "1024", "2048")),
                new Part("HybridThresholdBenchmark", "variant",
                        List.of("hybrid-4", "hybrid-10", "hybrid-32", "hybrid-128", "kv", "no-cache"), "newTokens", List.of("256")));
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode all = mapper.createArrayNode();
        SkipAwareOutput jmhOutput = new SkipAwareOutput(System.out);
        Path tmpDir = Files.createTempDirectory("kvbench-");
        try {
            for (int i = 0; i < parts.size(); i++) {
                Part p = parts.get(i);
                console.printf("%n=== [%d/%d] %s on %s (%s=%s, %s=%s, threads=%d, %s matrix) ===%n", i + 1, parts.size(), p.benchmark,
                        model, p.axis, p.values, p.lengthParam, p.lengths, threads, matrix);
                console.flush();
                Path partFile = tmpDir.resolve(p.benchmark + ".json");
                run(p, folder, repo, partFile, calls, jmhOutput);
                if (Files.isRegularFile(partFile) && Files.size(partFile) > 2) {
                    mapper.readTree(partFile.toFile()).forEach(all::add);
                }
            }
        } finally {
            try (var files = Files.list(tmpDir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(tmpDir);
        }
        if (all.isEmpty()) {
            throw new KvbenchException("no benchmark produced a result");
        }
        AtomicFiles.write(target, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
        Path metaFile = sibling(target, ".meta.json");
        AtomicFiles.write(metaFile, mapper.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(RunMeta.describe(repo, List.of(folder), threads, matrix).put("ort_call", String.join(",", calls))));
        String memory = quick ? "" : peakMemory(folder, repo, chosen, console);
        String summary = "kvbench " + matrix + " run on " + model + ", ONNX Runtime intra-op threads " + threads
                + ", " + RunMeta.describe(repo, List.of(), threads, matrix).get("cpu_model").asText() + ", "
                + Runtime.getRuntime().availableProcessors() + " cores\n" + Summary.render(JmhResults.read(target))
                + skipped(jmhOutput.skips()) + memory;
        AtomicFiles.write(sibling(target, ".summary.txt"), summary);
        console.println();
        console.println(summary);
        console.printf("results: %s%nmeta:    %s%nsummary: %s%n", target, metaFile, sibling(target, ".summary.txt"));
        console.flush();
        return 0;
    }

    /** The {@code ortCall} parameter values: one, or both for a same-run comparison. */
    private String[] ortCalls() {
        return ortCall.equals("both") ? new String[] {"public", OrtRuntime.RunCall.parse("direct").label()} : new String[] {OrtRuntime.RunCall.parse(ortCall).label()};
    }

    private record Part(String benchmark, String axis, List<String> values, String lengthParam, List<String> lengths) {
    }

    /** The configurations the benchmarks declined, with their reasons, for the summary. */
    private static String skipped(List<String> reasons) {
        return reasons.isEmpty() ? "" : "\nSkipped\n" + reasons.stream().map(r -> "  " + r + "\n").collect(java.util.stream.Collectors.joining());
    }

    private void run(Part p, Path folder, Path repo, Path result, String[] calls, SkipAwareOutput jmhOutput) {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("dev\\.kvbench\\.bench\\." + p.benchmark + "\\.")
                .param("model", folder.toString())
                .param(p.axis, p.values.toArray(String[]::new))
                .param(p.lengthParam, p.lengths.toArray(String[]::new))
                .param("threads", String.valueOf(threads))
                .param("ortCall", calls)
                .addProfiler(GCProfiler.class)
                .forks(1)
                .shouldFailOnError(false)
                .jvmArgsAppend("-Dkvbench.root=" + repo, "-D" + NO_CACHE_LIMIT_PROPERTY + "=" + noCacheLimitSeconds)
                .resultFormat(ResultFormatType.JSON)
                .result(result.toString());
        if (quick) {
            options.warmupIterations(1).measurementIterations(2);
            if (!p.benchmark.equals("StepBenchmark")) {
                options.warmupTime(TimeValue.milliseconds(500)).measurementTime(TimeValue.seconds(1));
            }
        }
        try {
            PrintStream console = new PrintStream(jmhOutput, true, StandardCharsets.UTF_8);
            new Runner(options.build(), OutputFormatFactory.createFormatInstance(console, VerboseMode.NORMAL)).run();
            console.flush();
        } catch (RunnerException e) {
            throw new KvbenchException("JMH failed: " + e.getMessage(), e);
        }
    }

    /** Peak resident set over a 2048-position generation, each strategy in a fresh JVM (JMH does not see native memory). */
    private String peakMemory(Path folder, Path repo, List<String> chosen, java.io.PrintWriter console) throws IOException {
        StringBuilder s = new StringBuilder("\nPeak resident set (VmHWM) over an 8-token prompt + 2040 new tokens, fresh JVM each\n");
        String jar = repo.resolve("target/benchmarks.jar").toString();
        for (String strategy : chosen) {
            if (strategy.equals("no-cache") || strategy.equals("kv-copy") || strategy.equals("hybrid")) {
                continue;
            }
            console.println("peak memory: " + strategy);
            console.flush();
            Process p = new ProcessBuilder("java", "-Xmx2g", "-Dkvbench.root=" + repo, "-cp", jar,
                    "dev.kvbench.bench.PeakMemory", folder.toString(), strategy).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String line = out.lines().filter(l -> l.startsWith("peak-memory")).findFirst().orElse("peak-memory " + strategy + " failed: " + out.strip());
            s.append(line).append('\n');
        }
        return s.toString();
    }

    private Path resolveModel(Path repo) {
        Path bundled = repo.resolve("models").resolve(model);
        Path folder = Files.isDirectory(bundled) ? bundled : Path.of(model).toAbsolutePath();
        if (!Files.isDirectory(folder)) {
            throw new KvbenchException("model not found: " + model + " (neither " + bundled + " nor a folder)");
        }
        dev.kvbench.model.Layout.detect(folder);
        return folder;
    }

    /** Every strategy, less the static ones for a folder without their variant files. */
    private static List<String> supported(Path folder) {
        List<String> out = new ArrayList<>();
        for (String s : STRATEGIES) {
            if (s.equals("static") && !Files.isRegularFile(folder.resolve(dev.kvbench.model.Layout.STATIC))
                    || s.equals("static-gqa") && !Files.isRegularFile(folder.resolve(dev.kvbench.model.Layout.GQA))) {
                continue;
            }
            out.add(s);
        }
        return out;
    }

    static Path sibling(Path json, String suffix) {
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return json.resolveSibling(stem + suffix);
    }
}
