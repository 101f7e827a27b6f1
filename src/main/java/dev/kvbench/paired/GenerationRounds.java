package dev.kvbench.paired;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.RoundMerge;
import dev.kvbench.results.Statistics;
import dev.kvbench.support.JsonFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The paired-generations method of {@code ab}: per round, one fresh worker JVM per side ({@code AbWorker}, first on
 * each commit's class path); per configuration, warm-up generations on both, then generations alternating between the
 * two sides one at a time (base, head, then head, base), so both commits are measured at the same moments of a machine
 * whose speed changes from second to second. Each round yields, per side, one JMH-format entry whose samples are the
 * single generation times (ms).
 */
final class GenerationRounds {
    /**
     * One configuration: the model folder name, the strategy each side runs, new tokens, rows, dtype, and the context
     * (0: the benchmarks' 8-token prompt, computed; else a prompt of {@code context - newTokens} tokens assumed cached,
     * {@code EngineOptions#assumedPrompt}, so the generation's steps run at that context). Comparing commits, both
     * sides run the same strategy; comparing strategies of one build, each side its own ({@link #label} names the
     * pair, so both sides' entries have the same key).
     */
    record Config(String model, String baseStrategy, String headStrategy, int newTokens, int rows, String dtype, int context) {
        Config(String model, String strategy, int newTokens) {
            this(model, strategy, strategy, newTokens, 1);
        }

        Config(String model, String baseStrategy, String headStrategy, int newTokens, int rows) {
            this(model, baseStrategy, headStrategy, newTokens, rows, "fp32", 0);
        }

        /** The same configuration with other strategies. */
        Config with(String base, String head) {
            return new Config(model, base, head, newTokens, rows, dtype, context);
        }

        boolean sameStrategy() {
            return baseStrategy.equals(headStrategy);
        }

        String strategy(int side) {
            return side == 0 ? baseStrategy : headStrategy;
        }

        /** The entries' strategy parameter: the strategy, or {@code base,head} for a pair of strategies. */
        String label(boolean strategies) {
            return strategies ? baseStrategy + "," + headStrategy : baseStrategy;
        }
    }

    private final List<Config> configs;
    private final int warmupOps;
    private final int pairs;
    /** Strategies of one build compared (entries carry the {@code strategies} parameter), or commits. */
    private final boolean strategies;

    GenerationRounds(List<Config> configs, int warmupOps, int pairs, boolean strategies) {
        this.configs = configs;
        this.warmupOps = warmupOps;
        this.pairs = pairs;
        this.strategies = strategies;
    }

    /** A worker JVM and its line protocol. */
    private static final class Worker implements AutoCloseable {
        private final Process process;
        private final BufferedReader answers;
        private final Writer requests;
        private final Path log;

        Worker(Path workerClasses, String classPath, Path log) throws IOException {
            this.log = log;
            // -Xss8m: ONNX Runtime's environment start-up overflows the default main-thread stack when the command line
            // is a few KB long (cli.Main runs its commands on a larger stack for the same reason): workers given a test
            // JVM's class path died with exit 139 (SEGV_ACCERR on the guard page, no hs_err).
            process = new ProcessBuilder("java", "-Xmx2g", "-Xss8m", "-cp", workerClasses + java.io.File.pathSeparator + classPath,
                    AbWorker.class.getName()).redirectError(log.toFile()).start();
            answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            requests = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            String first = answers.readLine();
            if (!"ready".equals(first)) {
                throw new KvbenchException("the A/B worker on " + classPath + " did not start: " + (first != null ? first
                        : "it ended: " + lastLogLine()));
            }
        }

        /** Each generation's wall time (ms), and the decode-step times (ms) of all of them, where the engine has them. */
        record Answer(double[] ms, double[] stepMs) {
        }

        Answer generate(Path model, String strategy, int newTokens, int ops, String promptIds, int rows, String dtype,
                        boolean assumed) throws IOException {
            // Rows, dtype and the assumed prompt are optional fields (workers of older commits know none of them): sent
            // when not the default.
            boolean fp32 = dtype.equals("fp32");
            requests.write(model + " " + strategy + " " + newTokens + " " + ops + " " + promptIds
                    + (rows > 1 || !fp32 || assumed ? " " + rows : "") + (fp32 && !assumed ? "" : " " + dtype)
                    + (assumed ? " " + AbWorker.ASSUMED : "") + "\n");
            requests.flush();
            String answer = answers.readLine();
            if (answer == null || !answer.startsWith("ok ")) {
                throw new KvbenchException(strategy + " at " + newTokens + " tokens failed in the A/B worker: "
                        + (answer != null ? answer : "it ended: " + lastLogLine()));
            }
            return parse(answer);
        }

        /** The last line the worker wrote to its error log: why it ended, when it ended early. */
        private String lastLogLine() {
            try {
                process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
                List<String> lines = java.nio.file.Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                        .filter(l -> !l.isBlank()).toList();
                return lines.isEmpty() ? "exit " + (process.isAlive() ? "?" : process.exitValue()) + ", nothing on stderr"
                        : lines.get(lines.size() - 1).strip();
            } catch (IOException e) {
                return "its log cannot be read: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }

        /** {@code ok NANOS,... [steps S,...;S,...]} in milliseconds. */
        static Answer parse(String answer) {
            String[] fields = answer.substring(3).split(" steps ", -1);
            double[] ms = millis(fields[0].split(","));
            double[] steps = fields.length < 2 ? new double[0]
                    : millis(java.util.Arrays.stream(fields[1].split("[;,]")).filter(t -> !t.isEmpty()).toArray(String[]::new));
            return new Answer(ms, steps);
        }

        private static double[] millis(String[] nanos) {
            double[] ms = new double[nanos.length];
            for (int i = 0; i < nanos.length; i++) {
                ms[i] = Long.parseLong(nanos[i].strip()) / 1e6;
            }
            return ms;
        }

        @Override
        public void close() {
            try {
                requests.close();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }

    /**
     * Runs one round. {@code models} maps each side's model folders (its own checkout's); returns per side
     * (0 base, 1 head) a JMH-format result array.
     */
    ArrayNode[] round(int round, int rounds, Path workerClasses, String[] classPaths, List<List<Path>> models, String promptIds,
                      Path tmp, PrintWriter console) throws IOException {
        ObjectMapper m = JsonFiles.MAPPER;
        ArrayNode[] out = {m.createArrayNode(), m.createArrayNode()};
        try (Worker base = new Worker(workerClasses, classPaths[0], tmp.resolve("worker-base-" + round + ".log"));
             Worker head = new Worker(workerClasses, classPaths[1], tmp.resolve("worker-head-" + round + ".log"))) {
            Worker[] sides = {base, head};
            for (int c = 0; c < configs.size(); c++) {
                Config config = configs.get(c);
                List<List<Double>> times = List.of(new ArrayList<>(), new ArrayList<>());
                List<List<Double>> steps = List.of(new ArrayList<>(), new ArrayList<>());
                boolean assumed = config.context() > 0;
                String ids = assumed ? promptIds(models.get(1).get(c), config.context() - config.newTokens()) : promptIds;
                for (int s = 0; s < 2; s++) {
                    sides[s].generate(models.get(s).get(c), config.strategy(s), config.newTokens(), warmupOps, ids,
                            config.rows(), config.dtype(), assumed);
                }
                for (int i = 0; i < pairs; i++) {
                    int first = (i + round) % 2;
                    for (int s : new int[] {first, 1 - first}) {
                        Worker.Answer a = sides[s].generate(models.get(s).get(c), config.strategy(s), config.newTokens(), 1,
                                ids, config.rows(), config.dtype(), assumed);
                        times.get(s).add(a.ms()[0]);
                        for (double v : a.stepMs()) {
                            steps.get(s).add(v);
                        }
                    }
                }
                StringBuilder line = new StringBuilder();
                for (int s = 0; s < 2; s++) {
                    double[] v = times.get(s).stream().mapToDouble(Double::doubleValue).toArray();
                    out[s].add(entry(m, config, v, steps.get(s).stream().mapToDouble(Double::doubleValue).toArray(), strategies));
                    line.append(String.format(Locale.ROOT, " %s %.4g", s == 0 ? "base" : "head", Statistics.lowerQuartile(v)));
                }
                console.printf(Locale.ROOT, "[round %d/%d] %s newTokens=%s: lower quartile ms/op%s%n", round + 1, rounds,
                        strategies ? config.headStrategy() + " vs " + config.baseStrategy() : config.baseStrategy(),
                        config.newTokens() + (config.rows() > 1 ? " batchSize=" + config.rows() : "")
                                + (assumed ? " context=" + config.context() : ""), strategies ? line.toString().replace(" base ", " " + config.baseStrategy() + " ")
                                .replace(" head ", " " + config.headStrategy() + " ") : line);
                console.flush();
            }
        }
        return out;
    }

    /** The secondary metric holding the paired generations' decode-step times (ms), prompt steps left out. */
    static final String DECODE_STEP = "decodeStep";

    /**
     * A JMH-format entry: benchmark {@link BenchmarkContract#PAIRED_GENERATE}, the configuration as parameters, one fork of op times, and the
     * decode-step times of the same generations as the {@link #DECODE_STEP} metric (absent where the engine has none).
     */
    private static ObjectNode entry(ObjectMapper m, Config c, double[] ms, double[] stepMs, boolean strategies) {
        ObjectNode e = m.createObjectNode();
        e.put("jmhVersion", "kvbench-ab");
        e.put("benchmark", BenchmarkContract.PAIRED_GENERATE);
        e.put("mode", "sample");
        e.put("threads", 1);
        e.put("forks", 1);
        ObjectNode p = e.putObject("params");
        p.put("model", c.model());
        p.put(strategies ? "strategies" : "strategy", c.label(strategies));
        p.put("newTokens", String.valueOf(c.newTokens()));
        if (c.rows() > 1) {
            p.put("batchSize", String.valueOf(c.rows()));
        }
        if (!c.dtype().equals("fp32")) {
            p.put("dtype", c.dtype());
        }
        if (c.context() > 0) {
            p.put("context", String.valueOf(c.context()));
        }
        ObjectNode pm = e.putObject("primaryMetric");
        RoundMerge.putScore(pm, ms);
        pm.put("scoreUnit", "ms/op");
        ArrayNode fork = pm.putArray("rawData").addArray();
        for (double v : ms) {
            fork.add(v);
        }
        ObjectNode secondary = e.putObject("secondaryMetrics");
        if (stepMs.length > 0) {
            ObjectNode sm = secondary.putObject(DECODE_STEP);
            RoundMerge.putScore(sm, stepMs);
            sm.put("scoreUnit", "ms/step");
            ArrayNode stepFork = sm.putArray("rawData").addArray();
            for (double v : stepMs) {
                stepFork.add(v);
            }
        }
        return e;
    }

    /** The benchmarks' fixed prompt of {@code length} tokens for a model folder, as the worker protocol's comma-separated ids. */
    static String promptIds(Path folder, int length) {
        long[] ids = FixedPrompts.prompt(folder, length);
        return java.util.Arrays.stream(ids).mapToObj(Long::toString).collect(java.util.stream.Collectors.joining(","));
    }

    /** Copies the worker class out of this jar into {@code dir}, for the other commits' class paths. */
    static Path extractWorker(Path dir) throws IOException {
        String resource = AbWorker.class.getName().replace('.', '/') + ".class";
        try (InputStream in = GenerationRounds.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new KvbenchException("the A/B worker class is missing from this build");
            }
            Path target = dir.resolve(resource);
            Files.createDirectories(target.getParent());
            Files.copy(in, target);
        }
        return dir;
    }
}
