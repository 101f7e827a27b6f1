package dev.kvbench.results;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Serving runs as a result file in JMH's format, so {@code compare}, {@code gate} and {@code history} read them as they
 * read benchmarks: one entry per load and figure, benchmark {@code dev.kvbench.serve.Serving.<figure>}, the load,
 * policy, rows, prompt chunk (when set), strategy, dtype, model and targets as parameters, one sample per run ({@code --repeat}). Figures: output tokens per
 * second ({@code ops/s}: an op is an output token; higher is better), requests per second ({@code ops/s}), and the
 * p50 / p95 of time to first token and time per output token and the p95 of end-to-end latency ({@code ms}).
 */
public final class ServingResults {
    /** The benchmark name's prefix of serving figures. */
    public static final String BENCHMARK = "dev.kvbench.serve.Serving";
    /** The secondary metric of {@code tokensPerSecond} that holds the goodput under the run's {@code slo}. */
    public static final String GOODPUT = "goodput";

    /**
     * One load's runs under one configuration; {@code slo} the latency targets as given ({@code ttft=200,tpot=50}),
     * null without.
     */
    public record Entry(String model, String strategy, String dtype, String policy, int maxBatch, int prefillChunk,
                        boolean promptCache, String loadKind, double load, String slo, List<ServingSummary> runs) {
    }

    private record Figure(String name, String unit, ToDoubleFunction<ServingSummary> value) {
    }

    private static final List<Figure> FIGURES = List.of(
            new Figure("tokensPerSecond", "ops/s", ServingSummary::tokensPerSecond),
            new Figure("requestsPerSecond", "ops/s", ServingSummary::requestsPerSecond),
            new Figure("ttftP50", "ms", s -> s.ttftMs().p50()),
            new Figure("ttftP95", "ms", s -> s.ttftMs().p95()),
            new Figure("tpotP50", "ms", s -> s.tpotMs().p50()),
            new Figure("tpotP95", "ms", s -> s.tpotMs().p95()),
            new Figure("e2eP95", "ms", s -> s.e2eMs().p95()));

    private ServingResults() {
    }

    /** Whether a result is a serving figure. */
    public static boolean isServing(JmhResult r) {
        return r.benchmark().startsWith(BENCHMARK + ".");
    }

    /** Refuses an output name that exists, or whose .meta.json does (results are never overwritten), or whose folder does not. */
    public static void requireNew(Path out, String option) {
        for (Path f : List.of(out, RunMeta.sidecar(out, ".meta.json"))) {
            if (Files.exists(f)) {
                throw new KvbenchException(option + " " + f + " exists: results are never overwritten");
            }
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new KvbenchException(option + " " + out + ": its folder " + parent + " does not exist");
        }
    }

    /** The JMH-format array of {@code entries}. */
    public static ArrayNode toJson(List<Entry> entries) {
        ArrayNode array = JsonFiles.MAPPER.createArrayNode();
        for (Entry e : entries) {
            for (Figure f : FIGURES) {
                double[] x = e.runs().stream().mapToDouble(f.value()).toArray();
                if (java.util.Arrays.stream(x).anyMatch(v -> !Double.isFinite(v) || v < 0)) {
                    continue; // a figure a run could not give (no second token: no time per output token)
                }
                ObjectNode r = array.addObject().put("benchmark", BENCHMARK + "." + f.name()).put("mode", "sample")
                        .put("forks", 1);
                ObjectNode params = r.putObject("params");
                params.put("model", e.model()).put("strategy", e.strategy()).put("dtype", e.dtype())
                        .put("policy", e.policy()).put("maxBatch", String.valueOf(e.maxBatch()))
                        .put(e.loadKind(), e.loadKind().equals("trace") ? "trace" : trim(e.load()));
                if (e.prefillChunk() > 0) {
                    params.put("prefillChunk", String.valueOf(e.prefillChunk()));
                }
                if (e.promptCache()) {
                    params.put("promptCache", "on");
                }
                if (e.slo() != null) {
                    params.put("slo", e.slo());
                }
                ObjectNode m = r.putObject("primaryMetric").put("score", Statistics.mean(x))
                        .put("scoreUnit", f.unit());
                double half = Statistics.confidenceHalfWidth(x, 0.95);
                if (Double.isFinite(half)) {
                    m.put("scoreError", half);
                } else {
                    m.put("scoreError", "NaN");
                }
                ArrayNode fork = m.putArray("rawData").addArray();
                for (double v : x) {
                    fork.add(v);
                }
                if (f.name().equals("tokensPerSecond") && e.slo() != null) { // the share of requests meeting the targets
                    double[] good = e.runs().stream().mapToDouble(ServingSummary::goodput).toArray();
                    ObjectNode g = r.putObject("secondaryMetrics").putObject(GOODPUT).put("score", Statistics.mean(good))
                            .put("scoreUnit", "share");
                    ArrayNode gf = g.putArray("rawData").addArray();
                    for (double v : good) {
                        gf.add(v);
                    }
                }
            }
        }
        return array;
    }

    /**
     * Writes {@code entries} to a new file {@code out} and {@code meta} beside it ({@code .meta.json}: the commit, machine
     * and models, which {@code history} orders by), each atomically and never over an existing file; the results file
     * is removed again when its metadata cannot be written.
     */
    public static void write(Path out, List<Entry> entries, RunRecord meta) {
        Path sidecar = RunMeta.sidecar(out, ".meta.json");
        try {
            AtomicFiles.writeNew(out, JsonFiles.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(entries)));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new KvbenchException(out + " exists: results are never overwritten");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try {
            AtomicFiles.writeNew(sidecar, meta.bytes());
        } catch (java.nio.file.FileAlreadyExistsException | RuntimeException e) {
            try {
                Files.deleteIfExists(out);
            } catch (java.io.IOException ignored) {
                // the error below says what failed
            }
            throw e instanceof KvbenchException k ? k : new KvbenchException(sidecar + " exists: results are never overwritten");
        }
    }

    /** The summary line's figures: the runs' means (and 95% half-widths with several runs). */
    public static void putFigures(ObjectNode n, List<ServingSummary> runs) {
        n.put("requests", runs.stream().mapToInt(ServingSummary::requests).sum() / runs.size())
                .put("unserved", runs.stream().mapToInt(ServingSummary::unserved).sum())
                .put("max_queue", runs.stream().mapToInt(ServingSummary::maxQueue).max().orElse(0));
        put(n, "requests_per_second", runs, ServingSummary::requestsPerSecond);
        put(n, "tokens_per_second", runs, ServingSummary::tokensPerSecond);
        put(n, "mean_rows", runs, ServingSummary::meanRows);
        for (String q : List.of("p50", "p95", "p99")) {
            put(n, "ttft_ms_" + q, runs, s -> pick(s.ttftMs(), q));
            put(n, "tpot_ms_" + q, runs, s -> pick(s.tpotMs(), q));
            put(n, "e2e_ms_" + q, runs, s -> pick(s.e2eMs(), q));
            put(n, "itl_ms_" + q, runs, s -> pick(s.interTokenMs(), q));
        }
        put(n, "itl_ms_p95_with_prefill", runs, ServingSummary::interTokenP95WithPrefillMs);
        put(n, "prompt_tokens_reused_share", runs, ServingSummary::promptReusedShare);
        put(n, "itl_ms_p95_without_prefill", runs, ServingSummary::interTokenP95WithoutPrefillMs);
        if (!Double.isNaN(runs.get(0).goodput())) {
            put(n, "goodput", runs, ServingSummary::goodput);
        }
    }

    private static double pick(ServingSummary.Quantiles q, String which) {
        return switch (which) {
            case "p50" -> q.p50();
            case "p95" -> q.p95();
            default -> q.p99();
        };
    }

    private static void put(ObjectNode n, String name, List<ServingSummary> runs, ToDoubleFunction<ServingSummary> f) {
        double[] x = runs.stream().mapToDouble(f).toArray();
        double mean = Statistics.mean(x);
        if (Double.isFinite(mean)) {
            n.put(name, mean);
        } else {
            n.putNull(name);
        }
        if (x.length > 1) {
            double half = Statistics.confidenceHalfWidth(x, 0.95);
            if (Double.isFinite(half)) {
                n.put(name + "_ci95", half);
            }
        }
    }

    /** A load as its parameter reads: {@code 4} for 4.0, {@code 0.5} as it is. */
    public static String trim(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
