package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.Processes;
import dev.kvbench.results.AtomicFiles;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.PairedComparison;
import dev.kvbench.results.RoundMerge;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.Statistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * Same-machine A/B: builds the benchmark jars of two commits (cached by commit), checks both out in temporary git
 * worktrees, and measures them interleaved in rounds, each round in fresh JVMs. Two methods:
 * <ul>
 * <li>{@code generations} (default): per round one worker JVM per side ({@link GenerationRounds}); single greedy
 * generations alternate between the sides, and each side's round value is the lower quartile of its generation times.
 * <li>{@code jmh}: per round one JMH run per side of any benchmark, base and head alternating and swapping order from
 * one round to the next; each side's round value is the mean of its iterations.
 * </ul>
 * The verdict is the paired test of {@link PairedComparison} over rounds. On a machine whose speed changes from second
 * to second this is the only fair comparison of absolute times.
 */
@Command(name = "ab", mixinStandardHelpOptions = true,
        description = "Build BASE_REF and HEAD_REF, run their benchmarks interleaved in rounds on this machine, and compare "
                + "them round by round (paired t-test on log ratios). Exit 1 on a significant regression beyond the threshold.")
final class AbCommand implements Callable<Integer> {
    static final int MAX_ROUNDS = 100;
    private static final long BUILD_TIMEOUT_SECONDS = 1800;
    private static final long RUN_TIMEOUT_SECONDS = 3600;

    @Parameters(index = "0", paramLabel = "BASE_REF", description = "The reference commit (any git revision).")
    String baseRef;

    @Parameters(index = "1", arity = "0..1", paramLabel = "HEAD_REF", defaultValue = "HEAD",
            description = "The candidate commit (default: ${DEFAULT-VALUE}).")
    String headRef;

    /** How a round measures. */
    enum Method {
        GENERATIONS, JMH;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Option(names = "--method", defaultValue = "generations", description = "generations: single generations alternating "
            + "between two worker JVMs (parameters strategy, newTokens, model); jmh: a JMH run per side and round, any "
            + "benchmark (default: ${DEFAULT-VALUE}).")
    Method method;

    @Option(names = "--bench", defaultValue = BenchmarkContract.PACKAGE + "." + BenchmarkContract.GENERATION,
            description = "jmh method: JMH include pattern (default: ${DEFAULT-VALUE}).")
    String bench;

    @Option(names = "--pairs", defaultValue = "30", description = "generations method: measured generation pairs per "
            + "configuration and round, 5..10000 (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--warmup-ops", defaultValue = "15", description = "generations method: warm-up generations per side, "
            + "configuration and round, 1..10000 (default: ${DEFAULT-VALUE}).")
    int warmupOps;

    @Option(names = "-p", paramLabel = "NAME=V1,V2",
            description = "JMH parameter, repeatable (default: -p strategy=kv -p newTokens=64 -p model=tiny-llama).")
    List<String> params = new ArrayList<>(List.of("strategy=kv", "newTokens=64", "model=tiny-llama"));

    @Option(names = "--rounds", defaultValue = "8", description = "Interleaved rounds, 2.." + MAX_ROUNDS + "; each is one "
            + "JVM per side and configuration, the independent unit of the test (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--warmup", defaultValue = "3", description = "jmh method: warm-up iterations per JVM, >= 1 (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", defaultValue = "3", description = "jmh method: measurement iterations per JVM, >= 1 (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--time", defaultValue = "1", paramLabel = "SECONDS",
            description = "jmh method: seconds per warm-up and measurement iteration, 1..60 (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--threshold", defaultValue = "5", description = "Regression threshold in percent (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--format", defaultValue = "text", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    TableFormat format;

    @Option(names = "--out", description = "Folder for the merged result files (default: results/ in the repository).")
    Path outDir;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "The git repository (default: the kvbench checkout).")
    Path root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        validate();
        long started = System.nanoTime();
        Path repo = root.toAbsolutePath().normalize();
        String base = resolve(repo, baseRef);
        String head = resolve(repo, headRef);
        // Progress goes to stdout, or to stderr when stdout carries the JSON answer.
        PrintWriter console = format == TableFormat.JSON ? spec.commandLine().getErr() : spec.commandLine().getOut();
        PrintWriter answer = spec.commandLine().getOut();
        Path results = outDir != null ? outDir.toAbsolutePath() : repo.resolve("results");
        checkWritable(results);
        Path tmp = Files.createTempDirectory("kvbench-ab-");
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
                GenerationRounds gen = new GenerationRounds(configs, warmupOps, pairs);
                Path workerClasses = GenerationRounds.extractWorker(Files.createDirectories(tmp.resolve("worker")));
                String prompt = promptIds(models.get(1).get(0));
                for (int round = 0; round < rounds; round++) {
                    ArrayNode[] sides = gen.round(round, workerClasses, new Path[] {jars.get("base"), jars.get("head")},
                            models, prompt, tmp, console);
                    for (int s = 0; s < 2; s++) {
                        String side = s == 0 ? "base" : "head";
                        raw.computeIfAbsent(side, k -> new ArrayList<>()).add(sides[s]);
                        bySide.computeIfAbsent(side, k -> new ArrayList<>()).add(JmhResults.parse(sides[s], side + " round " + (round + 1)));
                    }
                }
            } else {
                for (int round = 0; round < rounds; round++) {
                    List<String> order = round % 2 == 0 ? List.of("base", "head") : List.of("head", "base");
                    for (String side : order) {
                        Path json = tmp.resolve(side + "-" + round + ".json");
                        runSide(trees.get(side), jars.get(side), json);
                        JsonNode tree = new ObjectMapper().readTree(json.toFile());
                        List<JmhResult> parsed = JmhResults.parse(tree, side + " round " + (round + 1));
                        raw.computeIfAbsent(side, k -> new ArrayList<>()).add(tree);
                        bySide.computeIfAbsent(side, k -> new ArrayList<>()).add(parsed);
                        console.printf(Locale.ROOT, "round %d/%d %s: %s%n", round + 1, rounds, side, brief(parsed));
                        console.flush();
                    }
                }
            }
            String stem = "ab-" + base.substring(0, 8) + "-" + head.substring(0, 8) + "-"
                    + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path baseFile = results.resolve(stem + "-base.json");
            Path headFile = results.resolve(stem + "-head.json");
            AtomicFiles.write(baseFile, RoundMerge.merge(raw.get("base")).toPrettyString());
            AtomicFiles.write(headFile, RoundMerge.merge(raw.get("head")).toPrettyString());
            List<Path> baseModels = modelFolders(trees.get("base"), bySide.get("base").get(0));
            List<Path> headModels = modelFolders(trees.get("head"), bySide.get("head").get(0));
            AtomicFiles.write(RunMeta.sidecar(baseFile, ".meta.json"), meta(trees.get("base"), baseModels).toPrettyString());
            AtomicFiles.write(RunMeta.sidecar(headFile, ".meta.json"), meta(trees.get("head"), headModels).toPrettyString());
            RunMeta.modelWarnings(RunMeta.modelChecksums(baseModels), RunMeta.modelChecksums(headModels), "base", "head")
                    .forEach(w -> spec.commandLine().getErr().println("kvbench: warning: " + w));
            java.util.function.ToDoubleFunction<double[]> perRound = method == Method.GENERATIONS ? Statistics::lowerQuartile : Statistics::mean;
            PairedComparison.Result time = PairedComparison.compare(bySide.get("base"), bySide.get("head"), "primary",
                    perRound, threshold, alpha);
            PairedComparison.Result alloc = bySide.get("base").get(0).stream().anyMatch(r -> r.metric("gc.alloc.rate.norm") != null)
                    ? PairedComparison.compare(bySide.get("base"), bySide.get("head"), "gc.alloc.rate.norm", threshold, alpha)
                    : null;
            double wall = (System.nanoTime() - started) / 1e9;
            switch (format) {
                case JSON -> answer.println(json(base, head, time, alloc, wall));
                default -> {
                    console.print(table(time, format == TableFormat.MARKDOWN));
                    if (alloc != null) {
                        console.print(table(alloc, format == TableFormat.MARKDOWN));
                    }
                    console.printf(Locale.ROOT, "base %s, head %s: %s method, %d rounds, %s, %.0f s%n",
                            base.substring(0, 8), head.substring(0, 8), method, rounds, method == Method.GENERATIONS
                                    ? String.format(Locale.ROOT, "%d warm-up + %d alternating generations per side and configuration, "
                                    + "round value = lower quartile", warmupOps, pairs)
                                    : String.format(Locale.ROOT, "%d warm-up + %d x %d s iterations per JVM, round value = mean",
                                    warmup, iterations, seconds), wall);
                    console.printf("base: %s%nhead: %s%n", baseFile, headFile);
                }
            }
            console.flush();
            answer.flush();
            boolean regressed = !time.regressions().isEmpty() || alloc != null && !alloc.regressions().isEmpty();
            return regressed ? Main.CHECK_FAILED : 0;
        } finally {
            for (Path t : trees.values()) {
                if (Files.exists(t)) {
                    Processes.run(repo, 300, List.of("git", "worktree", "remove", "--force", t.toString()));
                }
            }
            Processes.run(repo, 300, List.of("git", "worktree", "prune"));
            deleteRecursively(tmp);
        }
    }

    private void validate() {
        if (rounds < 2 || rounds > MAX_ROUNDS) {
            throw new KvbenchException("--rounds must be in 2.." + MAX_ROUNDS + ", got " + rounds);
        }
        if (warmup < 1 || warmup > 100) {
            throw new KvbenchException("--warmup must be in 1..100, got " + warmup);
        }
        if (iterations < 1 || iterations > 100) {
            throw new KvbenchException("--iterations must be in 1..100, got " + iterations);
        }
        if (pairs < 5 || pairs > 10000) {
            throw new KvbenchException("--pairs must be in 5..10000, got " + pairs);
        }
        if (warmupOps < 1 || warmupOps > 10000) {
            throw new KvbenchException("--warmup-ops must be in 1..10000, got " + warmupOps);
        }
        if (seconds < 1 || seconds > 60) {
            throw new KvbenchException("--time must be in 1..60 seconds, got " + seconds);
        }
        CompareCommand.checkThresholds(threshold, alpha);
        for (String p : params) {
            int eq = p.indexOf('=');
            if (eq < 1 || eq == p.length() - 1) {
                throw new KvbenchException("-p takes NAME=VALUE[,VALUE...], got '" + p + "'");
            }
        }
    }

    /** The generations method's configurations: every combination of the model, strategy and newTokens parameters. */
    private List<GenerationRounds.Config> generationConfigs() {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String p : params) {
            int eq = p.indexOf('=');
            values.put(p.substring(0, eq), List.of(p.substring(eq + 1).split(",")));
        }
        for (String name : values.keySet()) {
            if (!List.of("model", "strategy", "newTokens").contains(name)) {
                throw new KvbenchException("the generations method takes -p model=, strategy= and newTokens=, not " + name
                        + " (use --method jmh for other benchmark parameters)");
            }
        }
        List<GenerationRounds.Config> configs = new ArrayList<>();
        for (String model : values.getOrDefault("model", List.of("tiny-llama"))) {
            for (String strategy : values.getOrDefault("strategy", List.of("kv"))) {
                dev.kvbench.decode.Strategy.parse(strategy);
                for (String tokens : values.getOrDefault("newTokens", List.of("64"))) {
                    int n;
                    try {
                        n = Integer.parseInt(tokens.strip());
                    } catch (NumberFormatException e) {
                        throw new KvbenchException("-p newTokens: '" + tokens + "' is not a number");
                    }
                    if (n < 1) {
                        throw new KvbenchException("-p newTokens must be at least 1, got " + n);
                    }
                    configs.add(new GenerationRounds.Config(model, strategy, n));
                }
            }
        }
        return configs;
    }

    /** Each configuration's model folder in one side's checkout. */
    private static List<Path> configModels(Path tree, List<GenerationRounds.Config> configs) {
        return configs.stream().map(c -> BenchmarkContract.resolveModel(tree, c.model())).toList();
    }

    /** The benchmarks' fixed prompt for a model folder, as the worker protocol's comma-separated ids. */
    private static String promptIds(Path folder) {
        dev.kvbench.model.ModelConfig config = dev.kvbench.model.ModelConfig.read(folder);
        boolean encoderDecoder = dev.kvbench.model.Layout.detect(folder).encoderDecoder();
        long[] ids = BenchmarkContract.prompt(BenchmarkContract.PROMPT_TOKENS, Integer.MAX_VALUE, config.bosTokenId(),
                config.eosTokenIds().isEmpty() ? 0 : config.eosTokenIds().iterator().next(), encoderDecoder);
        return java.util.Arrays.stream(ids).mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(","));
    }

    /** The commit's benchmark jar: from the cache under build/ab-jars, else built in its worktree and cached. */
    private static Path jar(Path repo, String sha, Path tree, String side, PrintWriter console) {
        Path cached = repo.resolve("build").resolve("ab-jars").resolve(sha + ".jar");
        if (Files.isRegularFile(cached)) {
            console.printf("%s %s: cached jar %s%n", side, sha.substring(0, 8), cached);
            console.flush();
            return cached;
        }
        Path built = checkoutJar(repo, sha);
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
            Path tmp = Files.createTempFile(cached.getParent(), "." + sha, ".tmp");
            Files.copy(tree.resolve("target/benchmarks.jar"), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return cached;
        } catch (IOException e) {
            return tree.resolve("target/benchmarks.jar");
        }
    }

    /**
     * This checkout's own target/benchmarks.jar when it is exactly {@code sha}: HEAD is that commit, no tracked file is
     * modified, and the jar is newer than every source (as the {@code kvbench} launcher checks). Saves a build in CI,
     * where {@code mvn verify} has just built it. Null otherwise.
     */
    private static Path checkoutJar(Path repo, String sha) {
        Path jar = repo.resolve("target/benchmarks.jar");
        Processes.Outcome head = Processes.run(repo, 60, List.of("git", "rev-parse", "HEAD"));
        Processes.Outcome status = Processes.run(repo, 60, List.of("git", "status", "--porcelain", "--untracked-files=no"));
        if (!Files.isRegularFile(jar) || !head.ok() || !head.output().trim().equals(sha) || !status.ok()
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

    static String table(PairedComparison.Result r, boolean markdown) {
        StringBuilder s = new StringBuilder();
        String fmt = markdown ? "| %s | %s | %s | %s | %s |%n" : "%-66s %22s %22s %24s %s%n";
        s.append(String.format(Locale.ROOT, fmt, "benchmark (" + r.metric() + ")", "base ± 95% CI", "head ± 95% CI",
                "head/base [95% CI]", "p (paired, rounds)"));
        if (markdown) {
            s.append("|---|---:|---:|---:|---|\n");
        }
        for (PairedComparison.Row row : r.rows()) {
            Statistics.Paired p = row.paired();
            String ratio = Double.isNaN(p.low()) ? String.format(Locale.ROOT, "%.3f", p.ratio())
                    : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", p.ratio(), p.low(), p.high());
            String verdict = row.regression() ? "  REGRESSION" : row.significant() ? String.format(Locale.ROOT, "  %+.1f%%", row.changePercent()) : "  ~";
            s.append(String.format(Locale.ROOT, fmt, row.key(), num(row.base(), row.unit()), num(row.head(), row.unit()), ratio,
                    String.format(Locale.ROOT, "p=%.4f n=%d%s", p.p(), p.rounds(), verdict)));
        }
        for (String k : r.missing()) {
            s.append("missing in some round: ").append(k).append('\n');
        }
        s.append(String.format(Locale.ROOT, "%s%d regression(s) beyond +%.1f%% at alpha %.3g (%s)%n", markdown ? "\n" : "",
                r.regressions().size(), r.thresholdPercent(), r.alpha(), r.metric()));
        return s.toString();
    }

    private static String num(double[] rounds, String unit) {
        double ci = Statistics.confidenceHalfWidth(rounds, 0.95);
        return String.format(Locale.ROOT, "%.4g ± %.2g %s", Statistics.mean(rounds), ci, unit);
    }

    private static String json(String base, String head, PairedComparison.Result time, PairedComparison.Result alloc, double wall) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("base", base);
        root.put("head", head);
        root.put("wall_seconds", wall);
        ArrayNode results = root.putArray("comparisons");
        for (PairedComparison.Result r : alloc == null ? List.of(time) : List.of(time, alloc)) {
            ObjectNode o = results.addObject();
            o.put("metric", r.metric());
            o.put("threshold_percent", r.thresholdPercent());
            o.put("alpha", r.alpha());
            ArrayNode rows = o.putArray("rows");
            for (PairedComparison.Row row : r.rows()) {
                ObjectNode x = rows.addObject();
                x.put("benchmark", row.key());
                x.put("unit", row.unit());
                ArrayNode b = x.putArray("base_rounds");
                for (double v : row.base()) {
                    b.add(v);
                }
                ArrayNode h = x.putArray("head_rounds");
                for (double v : row.head()) {
                    h.add(v);
                }
                x.put("ratio", row.paired().ratio());
                CompareCommand.putFinite(x, "ratio_ci95_low", row.paired().low());
                CompareCommand.putFinite(x, "ratio_ci95_high", row.paired().high());
                CompareCommand.putFinite(x, "p_value", row.paired().p());
                x.put("significant", row.significant());
                x.put("regression", row.regression());
            }
            r.missing().forEach(o.putArray("missing")::add);
            o.put("regressions", r.regressions().size());
        }
        return root.toString();
    }

    private static List<Path> modelFolders(Path tree, List<JmhResult> results) {
        return results.stream().map(r -> r.param("model")).filter(java.util.Objects::nonNull).distinct()
                .map(name -> BenchmarkContract.resolveModel(tree, name)).toList();
    }

    private ObjectNode meta(Path tree, List<Path> models) {
        ObjectNode meta = RunMeta.describe(tree, models, 1, "ab");
        meta.put("ab_rounds", rounds);
        meta.put("ab_bench", bench);
        meta.put("ab_params", String.join(" ", params));
        return meta;
    }

    static void checkWritable(Path dir) {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".kvbench-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new KvbenchException("results folder " + dir + " is not writable: " + e.getMessage());
        }
    }

    private static String resolve(Path repo, String ref) {
        if (!Files.isDirectory(repo)) {
            throw new KvbenchException("not a folder: " + repo);
        }
        Processes.Outcome o = Processes.run(repo, 60, List.of("git", "rev-parse", "--verify", "--quiet", ref + "^{commit}"));
        if (!o.ok()) {
            throw new KvbenchException("unknown git ref '" + ref + "' in " + repo);
        }
        return o.output().trim();
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: a temporary folder
        }
    }
}
