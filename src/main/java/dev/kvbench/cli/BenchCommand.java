package dev.kvbench.cli;


import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import dev.kvbench.derive.ModelSynthesizer;
import dev.kvbench.matrix.BenchPlan;
import dev.kvbench.matrix.BenchRun;
import dev.kvbench.matrix.JmhPartRunner;
import dev.kvbench.matrix.MatrixPlan;
import dev.kvbench.matrix.RunFiles;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;
import dev.kvbench.model.ModelConfig;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.DtypeTable;
import dev.kvbench.results.ErrorWording;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.RunRecord;
import dev.kvbench.runtime.MachineProbe;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.support.AtomicFiles;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The main job on a model folder: by default the verdict rounds first, then time to first token, the roofline's steps
 * and peak memory of the reference and the recommended strategies ({@link MatrixPlan.Kind#DEFAULT}); {@code --full}
 * the whole benchmark matrix (generation, per-step, prefill, batches, scoring and hybrid-threshold benchmarks, with the
 * GC profiler); {@code --quick} a smoke run. Results are written as JMH JSON plus a {@code .meta.json} sidecar and a
 * readable summary. Everything that can be checked is checked before benchmarking (options, model folder, each strategy's engine, the results folder); a
 * configuration that fails later is listed under "Failed" and makes the exit code 1; the result file is rewritten
 * after each benchmark, so what finished survives a failure or an interrupt; nothing is overwritten.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the strategies against kv in interleaved paired rounds for a verdict and a recommendation, then "
                + "time to first token, the roofline's steps and peak memory of the recommended strategies (about ten "
                + "minutes; --full: the whole matrix; --quick: a smoke run); write results/<date>-<sha>-<model>-<time>.json "
                + "with its .meta.json, .summary.txt and .log (JMH's output), printing progress with the time left, then "
                + "the summary, which lists what the run left out.")
final class BenchCommand implements Callable<Integer> {
    private static final GraphDtypes FP32 = GraphDtypes.of(Dtype.FP32);

    @Option(names = "--model", defaultValue = "tiny-llama", description = "Bundled model name or a model folder (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = {"--dtypes", "--dtype"}, paramLabel = "DTYPE[,DTYPE...]",
            description = "Which of the folder's graphs, a matrix dimension: " + DtypeOption.CHOICES_PER_GRAPH + " (for "
                    + "example fp32,q4,encoder=fp32,decoder=q4: the matrix once per dtype, one result file each, then a "
                    + "table by dtype; default: fp32).")
    List<String> dtypes;

    @Option(names = "--quick", description = "A smoke run of 2 to 3 minutes: one length each, 1 fork x 2 iterations (too few samples to compare).")
    boolean quick;

    @Option(names = "--full", description = "The full matrix (every strategy at every length, batch, re-ranking, shared "
            + "prompts, the hybrid sweep, peak memory at 1 and 16 rows, 2 forks per configuration; about 80 to 90 minutes "
            + "on 2 cores) instead of the default run (the verdict and recommendation first, then time to first token, the "
            + "roofline's steps, peak memory and shared prompts of the reference and the recommended strategies; about "
            + "eleven minutes).")
    boolean full;

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

    @Option(names = "--out", description = "Result file; neither it nor its .meta.json, .summary.txt or .log may exist "
            + "(default: a new results/<date>-<sha>-<model>-<time>.json).")
    Path out;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "Repository root (models/, results/).")
    Path root;

    @Option(names = "--preset", description = "real-shapes: per-step latency of no-cache (context 64 only), kv, static and "
            + "static-gqa (contexts 64, 512, 2048) against the roofline, and peak resident set, 1 fork x 3 iterations, "
            + "on the bundled tiny-llama and on random-weight models at the shapes of Qwen2.5-0.5B and opus-mt-en-zh "
            + "(synthesized into build/synth/ when missing, 2.3 GB); one result file and summary per model; about 20 "
            + "minutes on 2 cores.")
    Preset preset;

    @Option(names = "--verbose", description = "Also show JMH's own output here (it always goes to the run's .log file).")
    boolean verbose;

    @Option(names = "--shard", paramLabel = "K/N", description = "Run shard K of N of the matrix (for N machines): kv's "
            + "parts in every shard, the other strategies dealt out; join the results with `kvbench merge`.")
    String shard;

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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Path repo = root.toAbsolutePath().normalize();
        if (full && quick) {
            throw new KvbenchException("--full and --quick contradict each other: --full is the whole matrix (about 70 "
                    + "minutes), --quick the smoke run; the default run is neither");
        }
        List<GraphDtypes> chosenDtypes = dtypes == null ? List.of(FP32) : List.copyOf(new LinkedHashSet<>(dtypes.stream()
                .flatMap(d -> GraphDtypes.splitList(d).stream()).map(GraphDtypes::parse).toList()));
        if (preset == null) {
            Path folder = BenchmarkContract.resolveModel(repo, model);
            if (chosenDtypes.size() > 1 && out != null) {
                throw new KvbenchException("--out names one result file; with several --dtypes each gets a new name under "
                        + "results/ (drop --out)");
            }
            for (GraphDtypes d : chosenDtypes) {
                // A dtype the folder lacks, or one no strategy can open (its weights file missing or truncated): one
                // line, before the first run starts; where some open, those that do not are the run's Failed section.
                requireOneOpens(folder, d, Layout.detect(folder, d));
            }
            int worst = 0;
            List<Path> written = new ArrayList<>();
            for (GraphDtypes d : chosenDtypes) {
                worst = Math.max(worst, runOn(folder, d, repo, out, written));
            }
            if (chosenDtypes.size() > 1) {
                dtypeTable(folder, chosenDtypes, written, repo);
            }
            return worst;
        }
        if (quick || full || out != null || strategies != null || dtypes != null
                || spec.commandLine().getParseResult().hasMatchedOption("--model")) {
            throw new KvbenchException("--preset " + preset + " chooses its models, strategies and lengths: drop --quick, "
                    + "--full, --model, --strategies, --dtypes and --out");
        }
        int worst = 0;
        for (String like : preset.models) {
            if (!ModelSynthesizer.BUILT_IN.contains(like)) {
                worst = Math.max(worst, runOn(BenchmarkContract.resolveModel(repo, like), FP32, repo, null,
                        new ArrayList<>()));
                continue;
            }
            Path folder = repo.resolve("build/synth").resolve(like);
            if (!Files.isRegularFile(folder.resolve("config.json"))) {
                spec.commandLine().getOut().println("preset " + preset + ": synthesizing " + like + " into " + folder);
                spec.commandLine().getOut().flush();
                ModelSynthesizer.Result r = new ModelSynthesizer(like, null, null, 0, null)
                        .write(folder, 8, 1e-3);
                if (r.derived().written().isEmpty()) {
                    throw new KvbenchException("the variants derived for " + like + " disagree with it (see kvbench synth)");
                }
            }
            worst = Math.max(worst, runOn(folder, FP32, repo, null, new ArrayList<>()));
        }
        return worst;
    }

    /**
     * The matrix on one model folder's {@code dtype} graphs; {@code out} null for a new name under results/; the result
     * file is added to {@code written}.
     */
    private Integer runOn(Path folder, GraphDtypes dtype, Path repo, Path out, List<Path> written) throws IOException {
        PrintWriter console = spec.commandLine().getOut();
        Layout layout = Layout.detect(folder, dtype);
        List<OrtRuntime.RunCall> calls = ortCall.resolve();
        EngineOptions options = EngineOptions.defaults().withThreads(threads).withRunCall(calls.get(0)).withDtypes(dtype);
        if (noCacheMaxTokens < 1) {
            throw new KvbenchException("--no-cache-max-tokens must be at least 1, got " + noCacheMaxTokens);
        }
        MatrixPlan.Kind kind = preset != null ? MatrixPlan.Kind.REAL_SHAPES : quick ? MatrixPlan.Kind.QUICK
                : full ? MatrixPlan.Kind.FULL : MatrixPlan.Kind.DEFAULT;
        parseShard();
        int forkCount = forks != null ? forks : kind.defaultForks();
        if (forkCount < 1 || forkCount > 20) {
            throw new KvbenchException("--forks must be in 1..20, got " + forkCount);
        }
        BenchPlan.Offered offered = BenchPlan.offered(kind, strategies, folder, layout);
        List<Strategy> chosen = offered.strategies();
        List<String> notAvailable = new ArrayList<>(offered.notAvailable());
        String sha = RunMeta.gitShortSha(repo);
        Path target = out != null ? out.toAbsolutePath() : repo.resolve("results").resolve(today() + "-" + sha + "-"
                + folder.getFileName() + (dtype.equals(FP32) ? "" : "-" + dtype.fileTag()) + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("HHmmss")) + ".json");
        RunFiles files = RunFiles.forResults(target);
        files.checkNoneExists();
        Cli.checkWritable(files.results().getParent());
        JmhPartRunner.checkNoOtherJmhRun();

        console.printf("kvbench bench: %s on %s%s, %d fork(s) per configuration, ONNX Runtime intra-op threads %d, %s call%n",
                kind == MatrixPlan.Kind.DEFAULT ? "default run (the verdict first; --full runs the whole matrix)" : kind.id + " matrix", folder, dtype.equals(FP32) ? "" : " (" + dtype + ")", forkCount, threads, calls.stream().map(OrtRuntime.RunCall::label).collect(Collectors.joining(" and ")));
        if (quick) {
            console.println("--quick is a smoke run: one iteration set per configuration, too few samples to compare runs "
                    + "(compare will say it cannot decide).");
        }
        console.println("JMH output: " + files.log() + (verbose ? " (and here)" : " (--verbose shows it here)"));
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
        BenchPlan bench = BenchPlan.of(kind, runnable, new BenchPlan.Settings(noCacheMaxTokens,
                ModelConfig.read(folder).maxPositions(), layout.encoderDecoder(), shardK, shardN), strategies != null);
        RunRecord meta = RunMeta.describe(repo, List.of(folder), threads, kind.id);
        console.println("probing this machine's limits for the roofline (memory read bandwidth, MatMul rate) ...");
        console.flush();
        MachineProbe.Limits limits = MachineProbe.measure();
        meta.machineLimits = new RunRecord.MachineLimits(limits.readBytesPerSecond(), limits.macsPerSecond(),
                "one thread: read = max(Java streaming sum over 256 MB, ONNX Runtime MatVec over a 256 MB matrix); "
                        + "MatMul 512x1024x1024 (kvbench probe)");
        meta.dtype = dtype.id();
        meta.ortCall = calls.stream().map(OrtRuntime.RunCall::label).collect(Collectors.joining(","));
        meta.forks = forkCount;
        meta.noCacheMaxTokens = noCacheMaxTokens;
        if (shardN > 1) {
            meta.shard = shardK + "/" + shardN;
        }
        String header = "kvbench " + kind.id + " run on " + folder.getFileName()
                + (dtype.equals(FP32) ? "" : " (" + dtype + " graphs: " + layout.describe() + ")") + ", " + forkCount
                + " fork(s) per configuration, ONNX Runtime intra-op threads " + threads + ", "
                + meta.cpuModel + ", " + Runtime.getRuntime().availableProcessors() + " cores\n"
                + (quick ? "(--quick: a smoke run; too few samples to compare with other runs)\n" : "")
                + (shardN > 1 ? "(shard " + shardK + " of " + shardN + ": join the shards with `kvbench merge`)\n" : "");
        try (PrintStream log = new PrintStream(new FileOutputStream(files.log().toFile()), true, StandardCharsets.UTF_8)) {
            PrintStream jmhStream = verbose ? new PrintStream(new Tee(log, console), true, StandardCharsets.UTF_8) : log;
            JmhPartRunner runner = new JmhPartRunner(folder, dtype, repo, threads, calls, forkCount, kind, jmhStream);
            written.add(files.results());
            BenchRun run = new BenchRun(files, folder, dtype, meta, header, limits, notAvailable, bench.skipped(), failed,
                    console);
            int code = kind.answerFirst()
                    ? run.executeAnswerFirst(bench.verdictPlan(), bench::followUp, bench.shardStrategies(), runner, calls, repo)
                    : run.execute(bench.plan().parts(), runner, calls, bench.verdictPlan(), bench.peaks(), repo);
            return code == 0 ? 0 : Cli.CHECK_FAILED;
        }
    }

    /** {@code --dtypes} with several: the table by dtype, printed and written beside the first run's result file. */
    private void dtypeTable(Path folder, List<GraphDtypes> chosen, List<Path> written, Path repo) {
        String table = DtypeTable.render(chosen.stream().map(GraphDtypes::id).toList(), written);
        PrintWriter console = spec.commandLine().getOut();
        console.println(table);
        if (!written.isEmpty()) {
            Path file = written.get(0).resolveSibling(written.get(0).getFileName().toString().replaceAll("\\.json$", "")
                    + ".by-dtype.txt");
            AtomicFiles.write(file, "kvbench bench --dtypes " + chosen.stream().map(GraphDtypes::id)
                    .collect(Collectors.joining(",")) + " on " + folder.getFileName() + "\n" + table);
            console.println("by dtype: " + file);
        }
        console.flush();
    }

    private int shardK = 1;
    private int shardN = 1;

    /** {@code --shard K/N}: 1 <= K <= N <= 64. */
    private void parseShard() {
        if (shard == null) {
            return;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)/(\\d+)").matcher(shard.strip());
        if (!m.matches()) {
            throw new KvbenchException("--shard takes K/N, e.g. 2/4, got '" + shard + "'");
        }
        shardK = Integer.parseInt(m.group(1));
        shardN = Integer.parseInt(m.group(2));
        if (shardN < 1 || shardN > 64 || shardK < 1 || shardK > shardN) {
            throw new KvbenchException("--shard K/N needs 1 <= K <= N <= 64, got " + shard);
        }
    }

    private static String today() {
        return java.time.LocalDate.now().toString();
    }

    /**
     * Fails with the first strategy's reason when none of those this run would measure can open {@code dtype}'s graphs
     * of {@code folder}: then nothing could be measured, and that is bad input, found before any work.
     */
    private void requireOneOpens(Path folder, GraphDtypes dtype, Layout layout) {
        // Strategies whose variant file is missing are runOn's to refuse or list, with their own words.
        List<Strategy> candidates = Strategy.availableIn(layout, strategies != null ? List.copyOf(new LinkedHashSet<>(strategies))
                : List.of(Strategy.values()));
        KvbenchException first = null;
        for (Strategy s : candidates) {
            try (Engine engine = new Engine(folder, s, EngineOptions.defaults().withDtypes(dtype))) {
                return;
            } catch (KvbenchException e) {
                first = first != null ? first : e;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Opens the strategy's engine and generates two tokens, with each call kind; null when that works, else the reason. */
    private static String preflight(Path folder, Strategy strategy, EngineOptions options, List<OrtRuntime.RunCall> calls) {
        for (OrtRuntime.RunCall call : calls) {
            try (Engine engine = new Engine(folder, strategy, options.withRunCall(call))) {
                long[] prompt = FixedPrompts.prompt(engine.model(), BenchmarkContract.PROMPT_TOKENS);
                engine.generator().generate(prompt, 2, true, Sampler.greedy(), null);
            } catch (RuntimeException e) {
                return ErrorWording.of(e);
            }
        }
        return null;
    }

    /**
     * JMH's output to the log and, with --verbose, to the console too. The console gets whole lines (and, on a flush,
     * whatever ends on a character boundary), so a UTF-8 character split across two writes is decoded whole.
     */
    static final class Tee extends OutputStream {
        private final OutputStream log;
        private final PrintWriter console;
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        Tee(OutputStream log, PrintWriter console) {
            this.log = log;
            this.console = console;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            log.write(b, off, len);
            int from = off;
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    pending.write(b, from, i + 1 - from);
                    from = i + 1;
                    emit(pending.size());
                }
            }
            pending.write(b, from, off + len - from);
        }

        @Override
        public void flush() throws IOException {
            log.flush();
            emit(completeLength(pending.toByteArray()));
            console.flush();
        }

        /** Decodes the first {@code n} pending bytes to the console and keeps the rest. */
        private void emit(int n) {
            byte[] all = pending.toByteArray();
            console.write(new String(all, 0, n, StandardCharsets.UTF_8));
            pending.reset();
            pending.write(all, n, all.length - n);
        }

        /** The length of {@code bytes} without a UTF-8 sequence cut off at its end. */
        static int completeLength(byte[] bytes) {
            int n = bytes.length;
            for (int back = 1; back <= Math.min(3, n); back++) {
                int lead = bytes[n - back] & 0xFF;
                if ((lead & 0xC0) == 0x80) {
                    continue; // a continuation byte: look further back for its lead
                }
                int needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
                return needed > back ? n - back : n;
            }
            return n;
        }
    }
}
