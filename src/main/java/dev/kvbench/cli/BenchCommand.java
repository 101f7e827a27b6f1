package dev.kvbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.Processes;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Layout;
import dev.kvbench.results.AtomicFiles;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.Roofline;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.Summary;
import dev.kvbench.runtime.MachineProbe;
import dev.kvbench.runtime.OrtRuntime;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * The main job: the benchmark matrix (generation, per-step and hybrid-threshold benchmarks, with the GC profiler) on a
 * model folder, written as JMH JSON plus a {@code .meta.json} sidecar and a readable summary. Everything that can be
 * checked is checked before benchmarking (options, model folder, each strategy's engine, the results folder); a
 * configuration that fails later is listed under "Failed" and makes the exit code 1; the result file is rewritten
 * after each benchmark, so what finished survives a failure or an interrupt; nothing is overwritten.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the benchmark matrix; write results/<date>-<sha>-<model>-<time>.json, .meta.json and .summary.txt.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "tiny-llama", description = "Bundled model name or a model folder (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--quick", description = "A smoke run of about a minute: one length each, 1 fork x 2 iterations (too few samples to compare).")
    boolean quick;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--ort-call", defaultValue = "auto", description = "How steps with only pinned outputs call ONNX Runtime: "
            + "direct, public, both (to compare), or auto: direct where available (default: ${DEFAULT-VALUE}).")
    OrtCallOption ortCall;

    @Option(names = "--no-cache-max-tokens", defaultValue = "256", paramLabel = "TOKENS",
            description = "Rule for strategies whose work is quadratic (no-cache): generations longer than this are not run, "
                    + "and listed as skipped (default: ${DEFAULT-VALUE}).")
    int noCacheMaxTokens;

    @Option(names = "--forks", description = "JVM forks per configuration (default: 2, or 1 with --quick).")
    Integer forks;

    @Option(names = "--strategies", split = ",", converter = StrategyOption.Converter.class,
            completionCandidates = StrategyOption.Ids.class,
            description = "Strategies to run, of ${COMPLETION-CANDIDATES} (default: all that the model folder supports).")
    List<Strategy> strategies;

    @Option(names = "--out", description = "Result file, which must not exist (default: results/<date>-<sha>-<model>-<time>.json).")
    Path out;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "Repository root (models/, results/).")
    Path root;

    @Option(names = "--preset", description = "real-shapes: per-step latency of no-cache (context 64 only), kv, static and "
            + "static-gqa (contexts 64, 512, 2048) against the roofline, and peak resident set, 1 fork x 3 iterations, "
            + "on the bundled tiny-llama and on random-weight models at the shapes of Qwen2.5-0.5B and opus-mt-en-zh "
            + "(synthesized into build/synth/ when missing, 2.3 GB); one result file and summary per model; about 20 "
            + "minutes on 2 cores.")
    Preset preset;

    /** Named runs other than the default matrix. */
    enum Preset {
        /** The bundled tiny-llama first: the same matrix on it shows how the multiple of the limit changes with size. */
        REAL_SHAPES("real-shapes", List.of("tiny-llama", "qwen2.5-0.5b", "opus-mt-en-zh"));

        final String id;
        final List<String> models;

        Preset(String id, List<String> models) {
            this.id = id;
            this.models = models;
        }

        @Override
        public String toString() {
            return id;
        }
    }

    /** Contexts, iterations and peak-memory length of the real-shapes preset: a step of a 0.5 B model takes ~0.2 s. */
    static final List<Integer> REAL_SHAPES_CONTEXTS = List.of(64, 512, 2048);
    static final int REAL_SHAPES_PEAK_TOKENS = 248;

    @Spec
    CommandSpec spec;

    /**
     * One JMH run: a benchmark for one strategy (or hybrid variant) over its lengths, with fixed other parameters
     * ({@code batchSize}, {@code pass}).
     */
    private record Part(String benchmark, String axis, String value, String lengthParam, List<Integer> lengths,
                        Map<String, String> fixed) {
        Part(String benchmark, String axis, String value, String lengthParam, List<Integer> lengths) {
            this(benchmark, axis, value, lengthParam, lengths, benchmark.equals(BenchmarkContract.HYBRID_THRESHOLD)
                    ? Map.of() : Map.of("batchSize", "1"));
        }

        String label() {
            return benchmark + " " + value + fixed.entrySet().stream().filter(e -> !e.getValue().equals("1"))
                    .map(e -> " " + e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining());
        }
    }

    /** Strategies measured at batch sizes above 1 in the default matrix: the dynamic cache and the two static ones. */
    static final List<Strategy> BATCHED = List.of(Strategy.KV, Strategy.STATIC, Strategy.STATIC_GQA);
    /** Batch sizes, new tokens and step context of the batched part of the default matrix. */
    static final List<Integer> BATCH_SIZES = List.of(4, 16);
    static final int BATCH_TOKENS = 256;
    static final int BATCH_CONTEXT = 256;
    /** Rows of the batched peak-memory run. */
    static final int PEAK_BATCH = 16;

    @Override
    public Integer call() throws IOException {
        Path repo = root.toAbsolutePath().normalize();
        if (preset == null) {
            return runOn(BenchmarkContract.resolveModel(repo, model), repo, out);
        }
        if (quick || out != null || strategies != null || spec.commandLine().getParseResult().hasMatchedOption("--model")) {
            throw new KvbenchException("--preset " + preset + " chooses its models, strategies and lengths: drop --quick, "
                    + "--model, --strategies and --out");
        }
        int worst = 0;
        for (String like : preset.models) {
            if (!dev.kvbench.derive.ModelSynthesizer.BUILT_IN.contains(like)) {
                worst = Math.max(worst, runOn(BenchmarkContract.resolveModel(repo, like), repo, null));
                continue;
            }
            Path folder = repo.resolve("build/synth").resolve(like);
            if (!Files.isRegularFile(folder.resolve("config.json"))) {
                spec.commandLine().getOut().println("preset " + preset + ": synthesizing " + like + " into " + folder);
                spec.commandLine().getOut().flush();
                dev.kvbench.derive.ModelSynthesizer.Result r = new dev.kvbench.derive.ModelSynthesizer(like, null, null, 0, null)
                        .write(folder, 8, 1e-3);
                if (r.derived().written().isEmpty()) {
                    throw new KvbenchException("the variants derived for " + like + " disagree with it (see kvbench synth)");
                }
            }
            worst = Math.max(worst, runOn(folder, repo, null));
        }
        return worst;
    }

    /** The matrix on one model folder; {@code out} null for a new name under results/. */
    private Integer runOn(Path folder, Path repo, Path out) throws IOException {
        PrintWriter console = spec.commandLine().getOut();
        Layout layout = Layout.detect(folder);
        List<OrtRuntime.RunCall> calls = ortCall.resolve();
        EngineOptions options = EngineOptions.defaults().withThreads(threads).withRunCall(calls.get(0));
        if (noCacheMaxTokens < 1) {
            throw new KvbenchException("--no-cache-max-tokens must be at least 1, got " + noCacheMaxTokens);
        }
        int forkCount = forks != null ? forks : quick || preset != null ? 1 : 2;
        if (forkCount < 1 || forkCount > 20) {
            throw new KvbenchException("--forks must be in 1..20, got " + forkCount);
        }
        List<Strategy> chosen;
        List<String> notAvailable = new ArrayList<>();
        if (strategies != null) {
            chosen = List.copyOf(new LinkedHashSet<>(strategies));
            for (Strategy s : chosen) {
                if (!s.availableIn(folder)) {
                    throw new KvbenchException(s + " is not available: " + s.variant().unavailableReason(folder));
                }
            }
        } else {
            List<Strategy> among = preset != null ? List.of(Strategy.NO_CACHE, Strategy.KV, Strategy.STATIC, Strategy.STATIC_GQA)
                    : List.of(Strategy.values());
            chosen = Strategy.availableIn(folder, among);
            for (Strategy s : among) {
                if (!chosen.contains(s)) {
                    notAvailable.add(s + ": not available -- " + s.variant().unavailableReason(folder));
                }
            }
        }
        String sha = RunMeta.gitShortSha(repo);
        Path target = out != null ? out.toAbsolutePath() : repo.resolve("results").resolve(today() + "-" + sha + "-"
                + folder.getFileName() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss")) + ".json");
        if (Files.exists(target)) {
            throw new KvbenchException(target + " exists: results are never overwritten (choose another --out)");
        }
        Cli.checkWritable(target.getParent());

        String matrix = preset != null ? preset.id : quick ? "quick" : "default";
        console.printf("kvbench bench: %s matrix on %s, %d fork(s) per configuration, ONNX Runtime intra-op threads %d, %s call%n",
                matrix, folder, forkCount, threads, calls.stream().map(OrtRuntime.RunCall::label).collect(Collectors.joining(" and ")));
        if (quick) {
            console.println("--quick is a smoke run: one iteration set per configuration, too few samples to compare runs "
                    + "(compare will say it cannot decide).");
        }
        List<String> failed = new ArrayList<>();
        List<Strategy> runnable = new ArrayList<>();
        for (Strategy s : chosen) {
            String problem = preflight(folder, s, options, calls);
            if (problem == null) {
                runnable.add(s);
            } else {
                failed.add(s + ": " + problem);
                console.println("preflight: " + s + " fails: " + problem);
            }
        }
        List<String> skipped = new ArrayList<>();
        List<Part> parts = parts(runnable, skipped, dev.kvbench.model.ModelConfig.read(folder).maxPositions(),
                layout.encoderDecoder());
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode all = mapper.createArrayNode();
        Path failureFile = Files.createTempFile("kvbench-failures", ".txt");
        Path partFile = Files.createTempFile("kvbench-part", ".json");
        ObjectNode meta = RunMeta.describe(repo, List.of(folder), threads, matrix);
        console.println("probing this machine's limits for the roofline (memory read bandwidth, MatMul rate) ...");
        console.flush();
        Roofline.Limits limits = MachineProbe.measure();
        meta.putObject("machine_limits").put("read_bytes_per_second", limits.readBytesPerSecond())
                .put("matmul_macs_per_second", limits.macsPerSecond())
                .put("probe", "one thread: read = max(Java streaming sum over 256 MB, ONNX Runtime MatVec over a 256 MB matrix); "
                        + "MatMul 512x1024x1024 (kvbench probe)");
        meta.put("ort_call", calls.stream().map(OrtRuntime.RunCall::label).collect(Collectors.joining(",")));
        meta.put("forks", forkCount);
        meta.put("no_cache_max_tokens", noCacheMaxTokens);
        Path metaFile = RunMeta.sidecar(target, ".meta.json");
        try {
            for (int i = 0; i < parts.size(); i++) {
                Part p = parts.get(i);
                console.printf("%n=== [%d/%d] %s on %s (%s=%s, %s=%s%s) ===%n", i + 1, parts.size(), p.benchmark, folder.getFileName(),
                        p.axis, p.value, p.lengthParam, p.lengths, p.fixed.entrySet().stream().sorted(Map.Entry.comparingByKey())
                                .map(e -> ", " + e.getKey() + "=" + e.getValue()).collect(Collectors.joining()));
                console.flush();
                Files.deleteIfExists(partFile);
                Collection<RunResult> done = run(p, folder, repo, partFile, failureFile, calls, forkCount);
                if (Files.isRegularFile(partFile) && Files.size(partFile) > 2) {
                    mapper.readTree(partFile.toFile()).forEach(all::add);
                }
                missing(p, done, calls, BenchmarkContract.readFailures(failureFile)).forEach(failed::add);
                Files.deleteIfExists(failureFile);
                if (!all.isEmpty()) {
                    // Rewritten after every part: what finished survives a later failure or an interrupt.
                    AtomicFiles.write(target, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
                    AtomicFiles.write(metaFile, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
                }
            }
        } finally {
            Files.deleteIfExists(partFile);
            Files.deleteIfExists(failureFile);
        }
        String memory = quick ? "" : peakMemory(folder, repo, runnable, skipped, failed, meta.putArray("peak_memory"), console);
        if (!quick && !all.isEmpty()) {
            AtomicFiles.write(metaFile, mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
        }
        StringBuilder summary = new StringBuilder();
        summary.append("kvbench ").append(matrix).append(" run on ").append(folder.getFileName()).append(", ")
                .append(forkCount).append(" fork(s) per configuration, ONNX Runtime intra-op threads ").append(threads)
                .append(", ").append(meta.path("cpu_model").asText()).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores\n");
        if (quick) {
            summary.append("(--quick: a smoke run; too few samples to compare with other runs)\n");
        }
        if (!all.isEmpty()) {
            List<dev.kvbench.results.JmhResult> results = JmhResults.read(target);
            summary.append(Summary.render(results));
            summary.append(Roofline.section(Summary.rows(results), Roofline.Shape.read(folder), limits));
        }
        summary.append(section("Not available (the variant graph is not beside the export; see README, \"Static caches on your own model\")", notAvailable));
        summary.append(section("Skipped by rule", skipped));
        summary.append(section("Failed", failed));
        summary.append(memory);
        console.println();
        console.println(summary);
        if (all.isEmpty()) {
            console.println("no benchmark produced a result");
        } else {
            Path summaryFile = RunMeta.sidecar(target, ".summary.txt");
            AtomicFiles.write(summaryFile, summary.toString());
            console.printf("results: %s%nmeta:    %s%nsummary: %s%n", target, metaFile, summaryFile);
        }
        console.flush();
        return failed.isEmpty() && !all.isEmpty() ? 0 : Cli.CHECK_FAILED;
    }

    private static String today() {
        return java.time.LocalDate.now().toString();
    }

    /** Opens the strategy's engine and generates two tokens, with each call kind; null when that works, else the reason. */
    private static String preflight(Path folder, Strategy strategy, EngineOptions options, List<OrtRuntime.RunCall> calls) {
        for (OrtRuntime.RunCall call : calls) {
            try (Engine engine = new Engine(folder, strategy, options.withRunCall(call))) {
                long[] prompt = benchPrompt(engine);
                engine.generator().generate(prompt, 2, true, dev.kvbench.decode.Sampler.greedy(), null);
            } catch (KvbenchException e) {
                return KvbenchException.firstLine(e.getMessage());
            } catch (RuntimeException e) {
                return KvbenchException.firstLine(e.toString());
            }
        }
        return null;
    }

    private static long[] benchPrompt(Engine engine) {
        return BenchmarkContract.prompt(engine.model(), BenchmarkContract.PROMPT_TOKENS);
    }

    /** The matrix for the runnable strategies; configurations left out by the quadratic-work rule go to {@code skipped}. */
    private List<Part> parts(List<Strategy> runnable, List<String> skipped, int maxPositions, boolean encoderDecoder) {
        // StepBenchmark's context is the prompt plus the steps: for an encoder-decoder model the prompt is the source,
        // so the context must fit the encoder's positions. Longer ones are left out by rule.
        List<Integer> allContexts = preset != null ? REAL_SHAPES_CONTEXTS : quick ? List.of(64) : List.of(16, 64, 256, 1024, 2048);
        List<Integer> fitting = allContexts.stream().filter(c -> maxPositions <= 0 || c <= maxPositions).toList();
        allContexts.stream().filter(c -> !fitting.contains(c)).forEach(c -> skipped.add(String.format(Locale.ROOT,
                "StepBenchmark at context %d: beyond the model's %d positions%s", c, maxPositions,
                encoderDecoder ? " (the prompt is the source)" : "")));
        if (preset != null) {
            List<Part> parts = new ArrayList<>();
            for (Strategy s : runnable) {
                List<Integer> contexts = s.quadratic() ? fitting.subList(0, 1) : fitting;
                if (s.quadratic()) {
                    fitting.stream().skip(1).forEach(c -> skipped.add(s + " at context " + c
                            + ": the preset runs quadratic work at the shortest context only"));
                }
                parts.add(new Part(BenchmarkContract.STEP, "strategy", s.id(), "context", contexts));
            }
            return parts;
        }
        List<Integer> genLengths = quick ? List.of(16) : List.of(64, 256, 1024);
        List<Integer> contexts = fitting;
        List<Part> parts = new ArrayList<>();
        for (Strategy s : runnable) {
            List<Integer> lengths = genLengths;
            if (s.quadratic()) {
                lengths = genLengths.stream().filter(n -> n <= noCacheMaxTokens).toList();
                genLengths.stream().filter(n -> n > noCacheMaxTokens).forEach(n -> skipped.add(String.format(Locale.ROOT,
                        "%s generation of %d tokens: longer than --no-cache-max-tokens %d (O(n^2) work)", s, n, noCacheMaxTokens)));
            }
            if (!lengths.isEmpty()) {
                parts.add(new Part(BenchmarkContract.GENERATION, "strategy", s.id(), "newTokens", lengths));
            }
        }
        for (Strategy s : runnable) {
            parts.add(new Part(BenchmarkContract.STEP, "strategy", s.id(), "context", contexts));
        }
        // Batches: aggregate tokens per second against batch 1, padding, and whether the static caches keep up.
        for (Strategy s : runnable) {
            if (!BATCHED.contains(s) || (quick && s != Strategy.KV)) {
                continue;
            }
            for (int b : quick ? List.of(4) : BATCH_SIZES) {
                parts.add(new Part(BenchmarkContract.GENERATION, "strategy", s.id(), "newTokens",
                        List.of(quick ? 16 : BATCH_TOKENS), Map.of("batchSize", String.valueOf(b))));
            }
            if (!quick && contexts.contains(BATCH_CONTEXT)) {
                parts.add(new Part(BenchmarkContract.STEP, "strategy", s.id(), "context", List.of(BATCH_CONTEXT),
                        Map.of("batchSize", String.valueOf(PEAK_BATCH))));
            }
        }
        // Re-ranking: 16 candidates scored in one pass and incrementally.
        for (Strategy s : runnable) {
            if (quick && s != Strategy.KV) {
                continue;
            }
            for (String pass : List.of("full", "incremental")) {
                parts.add(new Part(BenchmarkContract.SCORE, "strategy", s.id(), "texts", List.of(16), Map.of("pass", pass)));
            }
        }
        if (runnable.contains(Strategy.HYBRID)) {
            int tokens = quick ? 64 : 256;
            List<String> variants = new ArrayList<>(quick ? List.of("hybrid-10") : List.of("hybrid-4", "hybrid-10", "hybrid-32", "hybrid-128"));
            if (runnable.contains(Strategy.KV)) {
                variants.add("kv");
            }
            if (!quick && runnable.contains(Strategy.NO_CACHE)) {
                if (tokens <= noCacheMaxTokens) {
                    variants.add("no-cache");
                } else {
                    skipped.add("hybrid threshold sweep, no-cache variant: " + tokens + " tokens is longer than --no-cache-max-tokens");
                }
            }
            for (String v : variants) {
                parts.add(new Part(BenchmarkContract.HYBRID_THRESHOLD, "variant", v, "newTokens", List.of(tokens)));
            }
        }
        return parts;
    }

    private Collection<RunResult> run(Part p, Path folder, Path repo, Path result, Path failureFile,
                                      List<OrtRuntime.RunCall> calls, int forkCount) {
        List<String> jvmArgs = new ArrayList<>(List.of("-D" + BenchmarkContract.ROOT_PROPERTY + "=" + repo,
                "-D" + BenchmarkContract.FAILURE_FILE_PROPERTY + "=" + failureFile));
        if (preset != null) {
            // A 0.5 B-parameter step takes ~0.2 s and a 2048-token prefill ~40 s: a JIT warm-up of 2 short generations
            // instead of 40 (the engine's Java code is under 1% of such a step), and fewer iterations below.
            jvmArgs.add("-Dkvbench.stepWarmupGenerations=2");
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(BenchmarkContract.PACKAGE.replace(".", "\\.") + "\\." + p.benchmark + "\\.")
                .param("model", folder.toString())
                .param(p.axis, p.value)
                .param(p.lengthParam, p.lengths.stream().map(String::valueOf).toArray(String[]::new))
                .param("threads", String.valueOf(threads))
                .param("ortCall", calls.stream().map(OrtRuntime.RunCall::label).toArray(String[]::new));
        p.fixed.forEach(options::param);
        options
                .addProfiler(GCProfiler.class)
                .forks(forkCount)
                .shouldFailOnError(false)
                .jvmArgsAppend(jvmArgs.toArray(String[]::new))
                .resultFormat(ResultFormatType.JSON)
                .result(result.toString());
        if (preset != null) {
            options.warmupIterations(1).measurementIterations(3);
        }
        if (quick) {
            options.warmupIterations(1).measurementIterations(2);
            if (!p.benchmark.equals(BenchmarkContract.STEP)) {
                options.warmupTime(TimeValue.milliseconds(500)).measurementTime(TimeValue.seconds(1));
            }
        }
        try {
            return new Runner(options.build()).run();
        } catch (RunnerException e) {
            throw new KvbenchException("JMH failed: " + KvbenchException.firstLine(e.getMessage()), e);
        }
    }

    /** Configurations of a part that produced no result, each with its reason from the failure file when there is one. */
    private static List<String> missing(Part p, Collection<RunResult> done, List<OrtRuntime.RunCall> calls, List<String> reasons) {
        Set<String> finished = done.stream().map(r -> r.getParams().getParam(p.lengthParam) + "/" + r.getParams().getParam("ortCall"))
                .collect(Collectors.toSet());
        List<String> out = new ArrayList<>();
        for (int length : p.lengths) {
            for (OrtRuntime.RunCall call : calls) {
                if (!finished.contains(length + "/" + call.label())) {
                    String config = p.label() + " " + p.lengthParam + "=" + length + (calls.size() > 1 ? " ortCall=" + call.label() : "");
                    String reason = reasons.stream().filter(r -> r.contains(p.lengthParam + "=" + length)).findFirst()
                            .map(r -> r.substring(r.indexOf(": ") + 2)).orElse("failed (see the JMH output above)");
                    out.add(config + ": " + reason);
                }
            }
        }
        return out;
    }

    private static String section(String title, List<String> lines) {
        return lines.isEmpty() ? "" : "\n" + title + "\n" + lines.stream().map(l -> "  " + l + "\n").collect(Collectors.joining());
    }

    /** Peak resident set over a 2048-position generation, each strategy in a fresh JVM (JMH does not see native memory). */
    private String peakMemory(Path folder, Path repo, List<Strategy> runnable, List<String> skipped, List<String> failed,
                              ArrayNode record, PrintWriter console) {
        int tokens = preset != null ? REAL_SHAPES_PEAK_TOKENS : 2040;
        StringBuilder s = new StringBuilder("\nPeak resident set (VmHWM) over an 8-token prompt + " + tokens + " new tokens, fresh JVM "
                + "each; then " + PEAK_BATCH + " rows (prompts of 5 to 8 tokens) + " + tokens + " new tokens; KV bytes the cache "
                + "held per row at the end\n");
        s.append(String.format(Locale.ROOT, "%-14s %5s %10s %10s %16s %10s%n", "strategy", "rows", "MiB before", "MiB peak",
                "KV MiB per row", "gen ms"));
        String jar = repo.resolve("target/benchmarks.jar").toString();
        List<Strategy> order = new ArrayList<>(runnable);
        if (preset == null) {
            runnable.stream().filter(BATCHED::contains).forEach(order::add); // the second pass: batch 16
        }
        for (int k = 0; k < order.size(); k++) {
            Strategy strategy = order.get(k);
            int rows = k < runnable.size() ? 1 : PEAK_BATCH;
            if (rows == 1 && strategy.quadratic() && (tokens > noCacheMaxTokens || preset != null)) {
                skipped.add(strategy + " peak memory: " + (preset != null ? "the preset leaves quadratic work out of the "
                        + "memory run (minutes per generation at this size)" : tokens + " tokens is longer than --no-cache-max-tokens"));
                continue;
            }
            console.println("peak memory: " + strategy + (rows > 1 ? ", " + rows + " rows" : ""));
            console.flush();
            Processes.Outcome o = Processes.run(repo, 1800, List.of("java", "-Xmx2g", "-D" + BenchmarkContract.ROOT_PROPERTY + "=" + repo,
                    "-cp", jar, "dev.kvbench.bench.PeakMemory", folder.toString(), strategy.id(), String.valueOf(tokens),
                    String.valueOf(rows)));
            String line = o.output().lines().filter(l -> l.startsWith("peak-memory")).findFirst().orElse(null);
            if (line == null || !o.ok()) {
                failed.add(strategy + " peak memory" + (rows > 1 ? " at " + rows + " rows" : "") + ": " + o.lastLine());
            } else {
                ObjectNode entry = record.addObject();
                for (String field : line.substring("peak-memory".length()).trim().split(" ")) {
                    String[] kv = field.split("=", 2);
                    if (kv.length == 2) {
                        try {
                            entry.put(kv[0], Double.parseDouble(kv[1]));
                        } catch (NumberFormatException e) {
                            entry.put(kv[0], kv[1]);
                        }
                    }
                }
                s.append(String.format(Locale.ROOT, "%-14s %5d %10.1f %10.1f %16.2f %10.0f%n", strategy, rows,
                        entry.path("vmhwm_before_kib").asDouble() / 1024, entry.path("vmhwm_after_kib").asDouble() / 1024,
                        entry.path("kv_bytes_held_per_row").asDouble() / (1 << 20), entry.path("ms").asDouble()));
            }
        }
        return s.toString();
    }
}
