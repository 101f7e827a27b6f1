package dev.kvbench.paired;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;
import dev.kvbench.model.ModelConfig;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.DeriveHint;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.PairedComparison;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.Statistics;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.support.Processes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One same-machine A/B measurement of two commits, as {@code ab} and {@code bisect} run it: builds (or reuses) both
 * commits' benchmark jars, checks both out in temporary git worktrees, and measures them interleaved in rounds, each
 * round in fresh JVMs. Two methods:
 * <ul>
 * <li>{@code generations} (default): per round one worker JVM per side ({@link GenerationRounds}); single greedy
 * generations alternate between the sides, and each side's round value is the lower quartile of its generation times.
 * <li>{@code jmh}: per round one JMH run per side of any benchmark, base and head alternating and swapping order from
 * one round to the next; each side's round value is the mean of its iterations.
 * </ul>
 */
public final class AbMeasurement {
    private static final long RUN_TIMEOUT_SECONDS = 3600;

    /** How a round measures. */
    public enum Method {
        GENERATIONS, JMH;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Both sides' measurements: per side, per round, the parsed results and the raw JMH-format JSON; each side's run
     * metadata (with its model files' checksums, taken while its worktree existed).
     */
    public record Sides(String base, String head, Map<Side, List<List<JmhResult>>> bySide, Map<Side, List<JsonNode>> raw,
                 Map<Side, RunRecord> meta) {
    }

    private final Method method;
    private final String bench;
    private final List<String> params;
    private final int rounds;
    private final int pairs;
    private final int warmupOps;
    private final int warmup;
    private final int iterations;
    private final int seconds;

    public AbMeasurement(Method method, String bench, List<String> params, int rounds, int pairs, int warmupOps, int warmup,
                  int iterations, int seconds) {
        this.method = method;
        this.bench = bench;
        this.params = List.copyOf(params);
        this.rounds = rounds;
        this.pairs = pairs;
        this.warmupOps = warmupOps;
        this.warmup = warmup;
        this.iterations = iterations;
        this.seconds = seconds;
    }

    /** Checks the parameters before any build starts (the generations method's configurations, and their strategies). */
    public void validate() {
        if (method == Method.GENERATIONS) {
            generationConfigs();
        }
    }

    /** Measures commits {@code base} and {@code head} (full shas) of {@code repo}; temporary worktrees are removed after. */
    public Sides measure(Path repo, String base, String head, PrintWriter console) throws IOException {
        if (method == Method.GENERATIONS && generationConfigs().stream().anyMatch(c -> c.context() > 0)) {
            throw new KvbenchException("-p context= is for --strategies (an older commit's engine cannot assume a prompt)");
        }
        try (Worktrees worktrees = new Worktrees(repo)) {
            Path tmp = worktrees.folder();
            Map<Side, Path> trees = new EnumMap<>(Side.class);
            Map<Side, Path> jars = new EnumMap<>(Side.class);
            for (Side side : Side.values()) {
                String sha = side == Side.BASE ? base : head;
                trees.put(side, worktrees.add(side.id(), sha));
                jars.put(side, JarCache.jar(repo, sha, trees.get(side), side.id(), console));
            }
            Map<Side, List<List<JmhResult>>> bySide = new EnumMap<>(Side.class);
            Map<Side, List<JsonNode>> raw = new EnumMap<>(Side.class);
            if (method == Method.GENERATIONS) {
                List<GenerationRounds.Config> configs = generationConfigs();
                List<List<Path>> models = List.of(configModels(trees.get(Side.BASE), configs), configModels(trees.get(Side.HEAD), configs));
                generationRounds(new GenerationRounds(configs, warmupOps, pairs, false), new String[] {
                        jars.get(Side.BASE).toString(), jars.get(Side.HEAD).toString()}, models, tmp, console, bySide, raw);
            } else {
                RoundProgress progress = new RoundProgress(rounds, console);
                for (int round = 0; round < rounds; round++) {
                    for (Side side : Side.order(round)) {
                        Path json = tmp.resolve(side + "-" + round + ".json");
                        runSide(trees.get(side), jars.get(side), json);
                        JsonNode tree = JsonFiles.MAPPER.readTree(json.toFile());
                        List<JmhResult> parsed = JmhResults.parse(tree, side + " round " + (round + 1));
                        raw.computeIfAbsent(side, k -> new ArrayList<>()).add(tree);
                        bySide.computeIfAbsent(side, k -> new ArrayList<>()).add(parsed);
                        console.printf(Locale.ROOT, "[round %d/%d] %s: %s%n", round + 1, rounds, side, brief(parsed));
                        console.flush();
                    }
                    progress.roundDone(round);
                }
            }
            Map<Side, RunRecord> meta = new EnumMap<>(Side.class);
            for (Side side : trees.keySet()) {
                meta.put(side, meta(trees.get(side), modelFolders(trees.get(side), bySide.get(side).get(0))));
            }
            return new Sides(base, head, bySide, raw, meta);
        }
    }

    /**
     * Strategies of this build against each other, paired as commits are: per round two fresh worker JVMs on this JVM's
     * own class path, one running {@code base} (the reference) and one {@code head}, their generations alternating;
     * and an A/A control, {@code base} against itself in the same rounds, whose interval shows how noisy the run was.
     * The entries carry the pair as their {@code strategies} parameter ({@code kv,static-gqa}, control {@code kv,kv}).
     */
    public Sides measureStrategies(Path repo, Strategy base, List<Strategy> heads,
                                   PrintWriter console) throws IOException {
        if (method != Method.GENERATIONS) {
            throw new KvbenchException("--strategies compares with the generations method only");
        }
        List<GenerationRounds.Config> configs = GenerationParams.strategyConfigs(params, base, heads);
        for (GenerationRounds.Config c : configs) {
            Path folder = BenchmarkContract.resolveModel(repo, c.model());
            Layout layout = Layout.detect(folder, GraphDtypes.parse(c.dtype()));
            if (c.context() > 0) {
                if (layout.encoderDecoder()) {
                    throw new KvbenchException("-p context= is for decoder-only models; " + c.model() + " is an "
                            + "encoder-decoder model, whose decoder starts from its start token");
                }
                int positions = ModelConfig.read(folder).maxPositions();
                if (positions > 0 && c.context() > positions) {
                    throw new KvbenchException("-p context=" + c.context() + " is beyond " + c.model() + "'s " + positions
                            + " positions");
                }
            }
            for (Strategy s : List.of(Strategy.parse(c.baseStrategy()),
                    Strategy.parse(c.headStrategy()))) {
                if (!s.availableIn(layout)) {
                    throw new KvbenchException(s + " is not available: " + DeriveHint.unavailable(s.variant(), folder, layout));
                }
                if (c.context() > 0 && !s.startsFromAssumedPrompt()) {
                    throw new KvbenchException("-p context= assumes the prompt cached, which only kv and the static-gqa "
                            + "strategies can; " + s + " computes every position it holds (drop context= or the strategy)");
                }
            }
        }
        Path tmp = Files.createTempDirectory("kvbench-ab-");
        Thread cleanup = AtomicFiles.deleteOnInterrupt(tmp);
        try {
            List<Path> folders = configModels(repo, configs);
            List<List<Path>> models = List.of(folders, folders);
            String classPath = System.getProperty("java.class.path");
            Map<Side, List<List<JmhResult>>> bySide = new EnumMap<>(Side.class);
            Map<Side, List<JsonNode>> raw = new EnumMap<>(Side.class);
            generationRounds(new GenerationRounds(configs, warmupOps, pairs, true), new String[] {classPath, classPath},
                    models, tmp, console, bySide, raw);
            Map<Side, RunRecord> meta = new EnumMap<>(Side.class);
            RunRecord m = meta(repo, folders.stream().distinct().toList());
            m.abStrategies = (base.id() + "," + heads.stream().map(Strategy::id)
                    .collect(java.util.stream.Collectors.joining(",")));
            meta.put(Side.BASE, m);
            meta.put(Side.HEAD, m.copy());
            return new Sides(base.id(), heads.get(0).id(), bySide, raw, meta);
        } finally {
            AtomicFiles.dropHook(cleanup);
            AtomicFiles.deleteTree(tmp);
        }
    }

    /**
     * The generations method's rounds, the one loop for commits and strategies alike: per round one worker JVM per side
     * on its class path ({@code classPaths} base, head), each side's JMH-format entries added to {@code raw} and, parsed,
     * to {@code bySide}; the progress line after each round.
     */
    private void generationRounds(GenerationRounds gen, String[] classPaths, List<List<Path>> models, Path tmp,
                                  PrintWriter console, Map<Side, List<List<JmhResult>>> bySide,
                                  Map<Side, List<JsonNode>> raw) throws IOException {
        Path workerClasses = GenerationRounds.extractWorker(Files.createDirectories(tmp.resolve("worker")));
        String prompt = promptIds(models.get(1).get(0));
        RoundProgress progress = new RoundProgress(rounds, console);
        for (int round = 0; round < rounds; round++) {
            ArrayNode[] sides = gen.round(round, rounds, workerClasses, classPaths, models, prompt, tmp, console);
            for (int s = 0; s < 2; s++) {
                Side side = Side.of(s);
                raw.computeIfAbsent(side, k -> new ArrayList<>()).add(sides[s]);
                bySide.computeIfAbsent(side, k -> new ArrayList<>()).add(JmhResults.parse(sides[s], side + " round " + (round + 1)));
            }
            progress.roundDone(round);
        }
    }

    /** The time comparison: paired test over rounds of each side's round value (lower quartile or mean). */
    public PairedComparison.Result time(Sides sides, double threshold, double alpha) {
        java.util.function.ToDoubleFunction<double[]> perRound = method == Method.GENERATIONS ? Statistics::lowerQuartile : Statistics::mean;
        return PairedComparison.compare(sides.bySide().get(Side.BASE), sides.bySide().get(Side.HEAD), "primary", perRound, threshold, alpha);
    }

    /** How a round measured, one line. */
    public String describe() {
        return method == Method.GENERATIONS
                ? String.format(Locale.ROOT, "%d warm-up + %d alternating generations per side and configuration, "
                + "round value = lower quartile", warmupOps, pairs)
                : String.format(Locale.ROOT, "%d warm-up + %d x %d s iterations per JVM, round value = mean", warmup, iterations, seconds);
    }

    /** The generations method's configurations, from the -p values ({@link GenerationParams}). */
    private List<GenerationRounds.Config> generationConfigs() {
        return GenerationParams.configs(params);
    }

    /** Each configuration's model folder in one side's checkout. */
    private static List<Path> configModels(Path tree, List<GenerationRounds.Config> configs) {
        return configs.stream().map(c -> BenchmarkContract.resolveModel(tree, c.model())).toList();
    }

    /** The benchmarks' fixed prompt for a model folder, as the worker protocol's comma-separated ids. */
    private static String promptIds(Path folder) {
        return GenerationRounds.promptIds(folder, BenchmarkContract.PROMPT_TOKENS);
    }

    private void runSide(Path tree, Path jar, Path json) {
        List<String> cmd = new ArrayList<>(List.of("java", "-D" + BenchmarkContract.ROOT_PROPERTY + "=" + tree, "-jar",
                jar.toString(), bench, "-f", "1", "-wi", String.valueOf(warmup), "-w", seconds + "s",
                "-i", String.valueOf(iterations), "-r", seconds + "s", "-prof", "gc", "-foe", "true",
                "-rf", "json", "-rff", json.toString()));
        for (String p : params) {
            cmd.add("-p");
            cmd.add(p);
        }
        Processes.check(tree, RUN_TIMEOUT_SECONDS, cmd);
        if (!Files.isRegularFile(json)) {
            throw new KvbenchException("the benchmark run in " + tree + " wrote no result");
        }
    }

    /** One round's values, short: each configuration's mean. */
    private static String brief(List<JmhResult> results) {
        StringBuilder s = new StringBuilder();
        for (JmhResult r : results) {
            s.append(s.length() == 0 ? "" : ", ").append(r.params().getOrDefault("strategy", r.params().toString()));
            r.params().entrySet().stream().filter(e -> !e.getKey().equals("strategy") && !e.getKey().equals("model")
                    && !e.getKey().equals("threads") && !e.getKey().equals("ortCall"))
                    .forEach(e -> s.append(' ').append(e.getKey()).append('=').append(e.getValue()));
            s.append(String.format(Locale.ROOT, " %.4g %s", Statistics.mean(r.primary().samples()), r.primary().unit()));
        }
        return s.toString();
    }

    public static List<Path> modelFolders(Path tree, List<JmhResult> results) {
        return results.stream().map(r -> r.param("model")).filter(java.util.Objects::nonNull).distinct()
                .map(name -> BenchmarkContract.resolveModel(tree, name)).toList();
    }

    private RunRecord meta(Path tree, List<Path> models) {
        RunRecord meta = RunMeta.describe(tree, models, 1, "ab");
        meta.abRounds = rounds;
        meta.abBench = bench;
        meta.abParams = String.join(" ", params);
        return meta;
    }

    public static String resolve(Path repo, String ref) {
        if (!Files.isDirectory(repo)) {
            throw new KvbenchException("not a folder: " + repo);
        }
        if (!Processes.run(repo, 60, List.of("git", "rev-parse", "--git-dir")).ok()) {
            throw new KvbenchException(repo + " is not inside a git repository (--root names the kvbench checkout whose "
                    + "commits are compared)");
        }
        Processes.Outcome o = Processes.run(repo, 60, List.of("git", "rev-parse", "--verify", "--quiet", ref + "^{commit}"));
        if (!o.ok()) {
            throw new KvbenchException("unknown git ref '" + ref + "' in " + repo);
        }
        return o.output().trim();
    }


    /** {@code [round 3/8] done in 15 s; about 1 m 15 s left}: rounds take about the same time, so the mean so far. */
    private static final class RoundProgress {
        private final Progress progress;
        private final PrintWriter console;
        private long start = System.nanoTime();

        RoundProgress(int rounds, PrintWriter console) {
            double[] equal = new double[rounds];
            java.util.Arrays.fill(equal, 1);
            this.progress = new Progress(equal);
            this.console = console;
        }

        void roundDone(int round) {
            double seconds = (System.nanoTime() - start) / 1e9;
            start = System.nanoTime();
            progress.finished(seconds);
            console.printf(Locale.ROOT, "[round %d/%d] done in %s%s%n", round + 1, progress.total(),
                    Progress.duration(seconds), round + 1 < progress.total()
                            ? "; about " + Progress.duration(progress.secondsLeft()) + " left" : "");
            console.flush();
        }
    }
}
