package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.AtomicFiles;
import dev.kvbench.results.Comparison;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.Statistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * Same-machine A/B: builds the benchmark jars of two commits in temporary git worktrees, runs them interleaved
 * (A, B, A, B, ...) in one invocation, merges each side's rounds into one JMH result file, and compares them.
 * On a noisy machine this is the only fair comparison of absolute times.
 */
@Command(name = "ab", mixinStandardHelpOptions = true,
        description = "Build BASE_REF and HEAD_REF in worktrees, run their benchmarks interleaved, compare.")
final class AbCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BASE_REF")
    String baseRef;

    @Parameters(index = "1", paramLabel = "HEAD_REF", defaultValue = "HEAD")
    String headRef;

    @Option(names = "--bench", defaultValue = "dev.kvbench.bench.GenerationBenchmark", description = "JMH include pattern (default: ${DEFAULT-VALUE}).")
    String bench;

    @Option(names = "-p", description = "JMH parameter, name=v1,v2 (default: strategy=kv newTokens=64 model=tiny-llama).")
    List<String> params = new ArrayList<>(List.of("strategy=kv", "newTokens=64", "model=tiny-llama"));

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--iterations", defaultValue = "3", description = "Measurement iterations per round (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--threshold", defaultValue = "5")
    double threshold;

    @Option(names = "--alpha", defaultValue = "0.05")
    double alpha;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "The git repository.")
    Path root;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (rounds < 1 || iterations < 2) {
            throw new KvbenchException("--rounds must be >= 1 and --iterations >= 2");
        }
        Path repo = root.toAbsolutePath().normalize();
        String base = resolve(repo, baseRef);
        String head = resolve(repo, headRef);
        var console = spec.commandLine().getOut();
        Path tmp = Files.createTempDirectory("kvbench-ab-");
        Map<String, Path> trees = new LinkedHashMap<>();
        trees.put("base", tmp.resolve("base"));
        trees.put("head", tmp.resolve("head"));
        try {
            for (var e : trees.entrySet()) {
                String sha = e.getKey().equals("base") ? base : head;
                exec(repo, "git", "worktree", "add", "--detach", e.getValue().toString(), sha);
                console.printf("building %s (%s) in %s%n", e.getKey(), sha.substring(0, 8), e.getValue());
                console.flush();
                exec(e.getValue(), "mvn", "-q", "-B", "-DskipTests", "package");
            }
            Map<String, List<JsonNode>> runs = new TreeMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (var e : trees.entrySet()) {
                    console.printf("round %d/%d: %s%n", round, rounds, e.getKey());
                    console.flush();
                    Path json = tmp.resolve(e.getKey() + "-" + round + ".json");
                    List<String> cmd = new ArrayList<>(List.of("java", "-Dkvbench.root=" + e.getValue(), "-jar",
                            e.getValue().resolve("target/benchmarks.jar").toString(), bench, "-f", "1", "-wi", "1",
                            "-i", String.valueOf(iterations), "-prof", "gc", "-rf", "json", "-rff", json.toString()));
                    for (String p : params) {
                        cmd.add("-p");
                        cmd.add(p);
                    }
                    exec(e.getValue(), cmd.toArray(String[]::new));
                    runs.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new ObjectMapper().readTree(json.toFile()));
                }
            }
            Path results = repo.resolve("results");
            String stem = "ab-" + base.substring(0, 8) + "-" + head.substring(0, 8);
            Path baseFile = results.resolve(stem + "-base.json");
            Path headFile = results.resolve(stem + "-head.json");
            AtomicFiles.write(baseFile, merge(runs.get("base")).toPrettyString());
            AtomicFiles.write(headFile, merge(runs.get("head")).toPrettyString());
            Comparison.Result r = Comparison.compare(JmhResults.read(baseFile), JmhResults.read(headFile), "primary", threshold, alpha);
            console.print(CompareCommand.table(r, false));
            Comparison.Result alloc = Comparison.compare(JmhResults.read(baseFile), JmhResults.read(headFile),
                    "gc.alloc.rate.norm", threshold, alpha);
            console.print(CompareCommand.table(alloc, false));
            console.printf("base: %s%nhead: %s%n", baseFile, headFile);
            console.flush();
            return r.regressions().isEmpty() && alloc.regressions().isEmpty() ? 0 : 1;
        } finally {
            for (Path t : trees.values()) {
                if (Files.exists(t)) {
                    try {
                        exec(repo, "git", "worktree", "remove", "--force", t.toString());
                    } catch (KvbenchException ignored) {
                        // best effort; the temporary folder goes below
                    }
                }
            }
            exec(repo, "git", "worktree", "prune");
        }
    }

    /** One JMH result file from several rounds: the raw samples of each round become forks of one entry. */
    static ArrayNode merge(List<JsonNode> rounds) {
        ObjectMapper m = new ObjectMapper();
        Map<String, ObjectNode> byKey = new LinkedHashMap<>();
        for (JsonNode round : rounds) {
            for (JsonNode entry : round) {
                String key = entry.get("benchmark").asText() + entry.path("params");
                ObjectNode target = byKey.get(key);
                if (target == null) {
                    byKey.put(key, entry.deepCopy());
                    continue;
                }
                appendRaw((ObjectNode) target.get("primaryMetric"), entry.get("primaryMetric"));
                entry.path("secondaryMetrics").fields().forEachRemaining(f -> {
                    JsonNode t = target.path("secondaryMetrics").get(f.getKey());
                    if (t instanceof ObjectNode o) {
                        appendRaw(o, f.getValue());
                    }
                });
            }
        }
        ArrayNode out = m.createArrayNode();
        byKey.values().forEach(out::add);
        return out;
    }

    private static void appendRaw(ObjectNode target, JsonNode source) {
        ArrayNode raw = (ArrayNode) target.withArray("rawData");
        source.path("rawData").forEach(raw::add);
        List<Double> values = new ArrayList<>();
        raw.forEach(fork -> fork.forEach(v -> values.add(v.asDouble())));
        double[] all = values.stream().mapToDouble(Double::doubleValue).toArray();
        target.put("score", Statistics.mean(all));
        target.put("scoreError", Statistics.confidenceHalfWidth(all, 0.95));
    }

    private static String resolve(Path repo, String ref) {
        try {
            return exec(repo, "git", "rev-parse", "--verify", "--quiet", ref + "^{commit}").trim();
        } catch (KvbenchException e) {
            throw new KvbenchException("unknown git ref '" + ref + "' in " + repo);
        }
    }

    /** Runs a command; its output goes to a log file that is shown (tail) when it fails. */
    private static String exec(Path dir, String... cmd) {
        try {
            File log = File.createTempFile("kvbench-ab", ".log");
            try {
                Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(log).start();
                int code = p.waitFor();
                String output = Files.readString(log.toPath());
                if (code != 0) {
                    String[] lines = output.strip().split("\n");
                    throw new KvbenchException(String.join(" ", cmd).replaceAll("\\s+", " ") + " failed (exit " + code + "): "
                            + (lines.length == 0 ? "" : lines[lines.length - 1]));
                }
                return output;
            } finally {
                Files.deleteIfExists(log.toPath());
            }
        } catch (IOException | InterruptedException e) {
            throw new KvbenchException("cannot run " + cmd[0] + ": " + e.getMessage(), e);
        }
    }
}
