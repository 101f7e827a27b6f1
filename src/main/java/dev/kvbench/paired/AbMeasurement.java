package dev.kvbench.paired;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
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
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.support.Processes;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

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
    private static final long BUILD_TIMEOUT_SECONDS = 1800;
    private static final long RUN_TIMEOUT_SECONDS = 3600;
    /** Longest generation a quadratic strategy (no-cache) runs in strategy rounds. */
    static final int QUADRATIC_MAX_TOKENS = 64;

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
    public record Sides(String base, String head, Map<String, List<List<JmhResult>>> bySide, Map<String, List<JsonNode>> raw,
                 Map<String, RunRecord> meta) {
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
        Path tmp = Files.createTempDirectory("kvbench-ab-");
        Thread cleanup = AtomicFiles.deleteOnInterrupt(tmp); // the worktrees are inside it; `git worktree prune` forgets them
        Map<String, Path> trees = new LinkedHashMap<>();
        trees.put("base", tmp.resolve("base"));
        trees.put("head", tmp.resolve("head"));
        Map<String, Path> jars = new LinkedHashMap<>();
        try {
            for (var e : trees.entrySet()) {
                String sha = e.getKey().equals("base") ? base : head;
                Processes.check(repo, 300, List.of("git", "worktree", "add", "--detach", e.getValue().toString(), sha));
                jars.put(e.getKey(), jar(repo, sha, e.getValue(), e.getKey(), console));
            }
            Map<String, List<List<JmhResult>>> bySide = new LinkedHashMap<>();
            Map<String, List<JsonNode>> raw = new LinkedHashMap<>();
            if (method == Method.GENERATIONS) {
                List<GenerationRounds.Config> configs = generationConfigs();
                List<List<Path>> models = List.of(configModels(trees.get("base"), configs), configModels(trees.get("head"), configs));
                GenerationRounds gen = new GenerationRounds(configs, warmupOps, pairs, false);
                Path workerClasses = GenerationRounds.extractWorker(Files.createDirectories(tmp.resolve("worker")));
                String prompt = promptIds(models.get(1).get(0));
                RoundProgress progress = new RoundProgress(rounds, console);
                for (int round = 0; round < rounds; round++) {
                    ArrayNode[] sides = gen.round(round, rounds, workerClasses, new String[] {jars.get("base").toString(),
                            jars.get("head").toString()}, models, prompt, tmp, console);
                    progress.roundDone(round);
                    for (int s = 0; s < 2; s++) {
                        String side = s == 0 ? "base" : "head";
                        raw.computeIfAbsent(side, k -> new ArrayList<>()).add(sides[s]);
                        bySide.computeIfAbsent(side, k -> new ArrayList<>()).add(JmhResults.parse(sides[s], side + " round " + (round + 1)));
                    }
                }
            } else {
                RoundProgress progress = new RoundProgress(rounds, console);
                for (int round = 0; round < rounds; round++) {
                    List<String> order = round % 2 == 0 ? List.of("base", "head") : List.of("head", "base");
                    for (String side : order) {
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
            Map<String, RunRecord> meta = new LinkedHashMap<>();
            for (String side : trees.keySet()) {
                meta.put(side, meta(trees.get(side), modelFolders(trees.get(side), bySide.get(side).get(0))));
            }
            return new Sides(base, head, bySide, raw, meta);
        } finally {
            for (Path t : trees.values()) {
                if (Files.exists(t)) {
                    Processes.run(repo, 300, List.of("git", "worktree", "remove", "--force", t.toString()));
                }
            }
            Processes.run(repo, 300, List.of("git", "worktree", "prune"));
            AtomicFiles.dropHook(cleanup);
            AtomicFiles.deleteTree(tmp);
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
        List<GenerationRounds.Config> configs = new ArrayList<>();
        for (GenerationRounds.Config c : generationConfigs()) {
            if (!c.baseStrategy().equals(StrategyRoles.reference().id()) || params.stream().anyMatch(p -> p.startsWith("strategy="))) {
                throw new KvbenchException("with --strategies, -p takes model=, newTokens=, batchSize=, dtype= and context= only (the strategies "
                        + "are the pair)");
            }
            for (Strategy head : heads) {
                if (head.quadratic() && c.newTokens() > QUADRATIC_MAX_TOKENS) {
                    continue; // minutes per round: the JMH passes measure it
                }
                configs.add(c.with(base.id(), head.id()));
            }
            configs.add(c.with(base.id(), base.id()));
        }
        for (GenerationRounds.Config c : configs) {
            Path folder = BenchmarkContract.resolveModel(repo, c.model());
            Layout layout = Layout.detect(folder, Dtype.parse(c.dtype()));
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
            GenerationRounds gen = new GenerationRounds(configs, warmupOps, pairs, true);
            Path workerClasses = GenerationRounds.extractWorker(Files.createDirectories(tmp.resolve("worker")));
            String classPath = System.getProperty("java.class.path");
            String prompt = promptIds(folders.get(0));
            Map<String, List<List<JmhResult>>> bySide = new LinkedHashMap<>();
            Map<String, List<JsonNode>> raw = new LinkedHashMap<>();
            RoundProgress progress = new RoundProgress(rounds, console);
            for (int round = 0; round < rounds; round++) {
                ArrayNode[] sides = gen.round(round, rounds, workerClasses, new String[] {classPath, classPath}, models, prompt,
                        tmp, console);
                for (int s = 0; s < 2; s++) {
                    String side = s == 0 ? "base" : "head";
                    raw.computeIfAbsent(side, k -> new ArrayList<>()).add(sides[s]);
                    bySide.computeIfAbsent(side, k -> new ArrayList<>()).add(JmhResults.parse(sides[s], side + " round " + (round + 1)));
                }
                progress.roundDone(round);
            }
            Map<String, RunRecord> meta = new LinkedHashMap<>();
            RunRecord m = meta(repo, folders.stream().distinct().toList());
            m.abStrategies = (base.id() + "," + heads.stream().map(Strategy::id)
                    .collect(java.util.stream.Collectors.joining(",")));
            meta.put("base", m);
            meta.put("head", m.copy());
            return new Sides(base.id(), heads.get(0).id(), bySide, raw, meta);
        } finally {
            AtomicFiles.dropHook(cleanup);
            AtomicFiles.deleteTree(tmp);
        }
    }

    /** The time comparison: paired test over rounds of each side's round value (lower quartile or mean). */
    public PairedComparison.Result time(Sides sides, double threshold, double alpha) {
        java.util.function.ToDoubleFunction<double[]> perRound = method == Method.GENERATIONS ? Statistics::lowerQuartile : Statistics::mean;
        return PairedComparison.compare(sides.bySide().get("base"), sides.bySide().get("head"), "primary", perRound, threshold, alpha);
    }

    /** How a round measured, one line. */
    public String describe() {
        return method == Method.GENERATIONS
                ? String.format(Locale.ROOT, "%d warm-up + %d alternating generations per side and configuration, "
                + "round value = lower quartile", warmupOps, pairs)
                : String.format(Locale.ROOT, "%d warm-up + %d x %d s iterations per JVM, round value = mean", warmup, iterations, seconds);
    }

    /** The generations method's configurations: every combination of the model, strategy and newTokens parameters. */
    private List<GenerationRounds.Config> generationConfigs() {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String p : params) {
            int eq = p.indexOf('=');
            List<String> listed = List.of(p.substring(eq + 1).split(","));
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String v : listed) {
                if (!seen.add(v.strip())) {
                    throw new KvbenchException("-p " + p.substring(0, eq) + " lists " + v.strip()
                            + " twice: each value is one configuration");
                }
            }
            values.put(p.substring(0, eq), listed);
        }
        for (String name : values.keySet()) {
            if (!List.of("model", "strategy", "newTokens", "batchSize", "dtype", "context").contains(name)) {
                throw new KvbenchException("the generations method takes -p model=, strategy=, newTokens=, batchSize=, dtype= and context=, not "
                        + name + " (use --method jmh for other benchmark parameters)");
            }
        }
        List<GenerationRounds.Config> configs = new ArrayList<>();
        for (String model : values.getOrDefault("model", List.of("tiny-llama"))) {
            for (String strategy : values.getOrDefault("strategy", List.of(StrategyRoles.reference().id()))) {
                Strategy.parse(strategy);
                for (String tokens : values.getOrDefault("newTokens", List.of("64"))) {
                    int n = parameter("newTokens", tokens, Integer.MAX_VALUE);
                    for (String b : values.getOrDefault("batchSize", List.of("1"))) {
                        for (String d : values.getOrDefault("dtype", List.of("fp32"))) {
                            for (String x : values.getOrDefault("context", List.of("0"))) {
                                int context = x.strip().equals("0") ? 0 : parameter("context", x, Integer.MAX_VALUE);
                                if (context > 0 && context < n + 2) {
                                    throw new KvbenchException("-p context=" + context + " must be at least newTokens + 2 ("
                                            + (n + 2) + "): the assumed prompt is context - newTokens tokens, at least 2");
                                }
                                configs.add(new GenerationRounds.Config(model, strategy, strategy, n, parameter("batchSize", b, 256),
                                        Dtype.parse(d).id(), context));
                            }
                        }
                    }
                }
            }
        }
        return configs;
    }

    /** A whole-number -p value in 1..max, or the one-line error. */
    private static int parameter(String name, String value, int max) {
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new KvbenchException("-p " + name + ": '" + value + "' is not a number");
        }
        if (n < 1 || n > max) {
            throw new KvbenchException("-p " + name + " must be in 1.." + max + ", got " + n);
        }
        return n;
    }

    /** Each configuration's model folder in one side's checkout. */
    private static List<Path> configModels(Path tree, List<GenerationRounds.Config> configs) {
        return configs.stream().map(c -> BenchmarkContract.resolveModel(tree, c.model())).toList();
    }

    /** The benchmarks' fixed prompt for a model folder, as the worker protocol's comma-separated ids. */
    private static String promptIds(Path folder) {
        return GenerationRounds.promptIds(folder, BenchmarkContract.PROMPT_TOKENS);
    }

    /**
     * The commit's benchmark jar: from the cache under build/ab-jars, else built in its worktree and cached. The cache
     * is keyed by the commit's build inputs ({@link #buildKey}), so commits that differ only in documentation, models or
     * results share one jar.
     */
    static Path jar(Path repo, String sha, Path tree, String side, PrintWriter console) {
        String key = buildKey(repo, sha);
        Path cached = repo.resolve("build").resolve("ab-jars").resolve(key + ".jar");
        if (Files.isRegularFile(cached)) {
            console.printf("%s %s: cached jar %s%n", side, sha.substring(0, 8), cached);
            console.flush();
            return cached;
        }
        Path built = checkoutJar(repo, key);
        if (built != null) {
            console.printf("%s %s: this checkout's up-to-date %s%n", side, sha.substring(0, 8), built);
            console.flush();
            return built;
        }
        console.printf("building %s (%s) ...%n", side, sha.substring(0, 8));
        console.flush();
        Processes.check(tree, BUILD_TIMEOUT_SECONDS, List.of("mvn", "-q", "-B", "-DskipTests", "package"));
        try {
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), "." + key, ".tmp");
            Files.copy(tree.resolve("target/benchmarks.jar"), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return cached;
        } catch (IOException e) {
            return tree.resolve("target/benchmarks.jar");
        }
    }

    /**
     * A hash of what the jar is built from at {@code sha}: the git object ids of {@code pom.xml}, {@code src/main} and
     * {@code benchmarks} (those that exist).
     */
    public static String buildKey(Path repo, String sha) {
        StringBuilder ids = new StringBuilder();
        for (String path : List.of("pom.xml", "src/main", "benchmarks")) {
            Processes.Outcome o = Processes.run(repo, 60, List.of("git", "rev-parse", "--verify", "--quiet", sha + ":" + path));
            ids.append(path).append('=').append(o.ok() ? o.output().trim() : "-").append('\n');
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(ids.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "inputs-" + java.util.HexFormat.of().formatHex(digest, 0, 10);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * This checkout's own target/benchmarks.jar when it is built from the same inputs as the commit: HEAD has the same
     * {@link #buildKey}, no tracked file is modified, and the jar is newer than every source (as the {@code kvbench}
     * launcher checks). Saves a build in CI, where {@code mvn verify} has just built it. Null otherwise.
     */
    private static Path checkoutJar(Path repo, String key) {
        Path jar = repo.resolve("target/benchmarks.jar");
        Processes.Outcome head = Processes.run(repo, 60, List.of("git", "rev-parse", "HEAD"));
        Processes.Outcome status = Processes.run(repo, 60, List.of("git", "status", "--porcelain", "--untracked-files=no"));
        if (!Files.isRegularFile(jar) || !head.ok() || !buildKey(repo, head.output().trim()).equals(key) || !status.ok()
                || !status.output().isBlank()) {
            return null;
        }
        try (Stream<Path> sources = Stream.of("src/main", "benchmarks", "pom.xml").map(repo::resolve).filter(Files::exists)
                .flatMap(p -> {
                    try {
                        return Files.walk(p);
                    } catch (IOException e) {
                        return Stream.of(p);
                    }
                })) {
            long jarTime = Files.getLastModifiedTime(jar).toMillis();
            boolean stale = sources.anyMatch(p -> {
                try {
                    return Files.isRegularFile(p) && Files.getLastModifiedTime(p).toMillis() > jarTime;
                } catch (IOException e) {
                    return true;
                }
            });
            return stale ? null : jar;
        } catch (IOException e) {
            return null;
        }
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
