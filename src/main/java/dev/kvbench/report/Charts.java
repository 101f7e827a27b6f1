package dev.kvbench.report;


import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.PairedComparison;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.Statistics;
import dev.kvbench.results.ServingTable;
import dev.kvbench.results.Summary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The report's charts, built from result files. Each chart says what its interval is; a chart that would have no
 * point is not built ({@link #build} is empty, {@link #require} throws the one-line error).
 */
public final class Charts {
    /** Every chart {@code report} can draw, in page order. */
    public static final List<String> IDS = List.of("verdict", "ms-per-token", "step-latency", "heap-per-token",
            "kv-bytes-per-step", "peak-rss", "hybrid-threshold", "serving");
    private static final String JMH_CI = "bars: JMH 99.9% confidence interval";

    private Charts() {
    }

    /** The charts among {@link #IDS} that have data, in order; an error when none has. */
    public static List<Chart> available(List<ResultFile> files) {
        List<Chart> charts = IDS.stream().map(id -> build(id, files)).flatMap(Optional::stream).toList();
        if (charts.isEmpty()) {
            throw new KvbenchException("nothing to chart: " + names(files) + " hold no kvbench benchmark results");
        }
        return charts;
    }

    /** The chart {@code id}, or the one-line error that says it has no data. */
    public static Chart require(String id, List<ResultFile> files) {
        if (!IDS.contains(id)) {
            throw new KvbenchException("unknown chart '" + id + "' (one of: " + String.join(", ", IDS) + ")");
        }
        return build(id, files).orElseThrow(() -> new KvbenchException("chart " + id + " has no data in " + names(files)
                + " (it needs " + needs(id) + ")"));
    }

    public static Optional<Chart> build(String id, List<ResultFile> files) {
        Chart chart = switch (id) {
            case "ms-per-token" -> xy(id, "Generation: time per generated token vs new tokens", "new tokens",
                    "ms per token", "ms", files, BenchmarkContract.GENERATION,
                    r -> interval(r.msPerToken(), r.errorMs() / r.tokensPerOp()), JMH_CI);
            case "step-latency" -> xy(id, "One decode step vs context", "context (tokens)", "ms per step", "ms", files,
                    BenchmarkContract.STEP, r -> interval(r.msPerToken(), r.errorMs() / r.tokensPerOp()), JMH_CI);
            case "heap-per-token" -> xy(id, "Java heap allocated per generated token", "new tokens", "bytes per token",
                    "B", files, BenchmarkContract.GENERATION, r -> perToken(r.heapBytesPerToken(), r.result().metric("gc.alloc.rate.norm")),
                    JMH_CI + " (gc.alloc.rate.norm, -prof gc)");
            case "kv-bytes-per-step" -> xy(id, "KV bytes written into cache memory per decode step", "context (tokens)",
                    "bytes per step", "B", files, BenchmarkContract.STEP, r -> perToken(r.kvBytesPerToken(), r.result().metric("kvBytes")),
                    JMH_CI + " (zero width: the bytes are the same every step); no-cache writes none and is left off the log axis");
            case "peak-rss" -> peakRss(files);
            case "hybrid-threshold" -> hybrid(files);
            case "verdict" -> verdict(files);
            case "serving" -> serving(files);
            default -> throw new KvbenchException("unknown chart '" + id + "'");
        };
        return chart.pointCount() == 0 ? Optional.empty() : Optional.of(chart);
    }

    private static String needs(String id) {
        return switch (id) {
            case "ms-per-token", "heap-per-token" -> "GenerationBenchmark results";
            case "step-latency", "kv-bytes-per-step" -> "StepBenchmark results";
            case "peak-rss" -> "peak memory in the result's .meta.json, which `kvbench bench` writes";
            case "verdict" -> "strategy verdicts in the result's .meta.json, which `kvbench bench` writes";
            case "serving" -> "serving figures, which `kvbench serve --out` and `kvbench bench` write";
            default -> "HybridThresholdBenchmark results";
        };
    }

    private static String names(List<ResultFile> files) {
        return String.join(", ", files.stream().map(f -> f.path().getFileName().toString()).toList());
    }

    /** y with its interval; a NaN error (one sample) is no interval. Null when y is not a positive number. */
    private static double[] interval(double y, double error) {
        if (!(y > 0) || Double.isInfinite(y)) {
            return null;
        }
        double e = Double.isNaN(error) ? 0 : error;
        return new double[] {y, Math.max(y - e, y * 1e-3), y + e};
    }

    /**
     * A per-token figure of the summary ({@link Summary.Row}, the one place that divides op figures into token
     * figures) with the relative JMH error of the metric it came from.
     */
    private static double[] perToken(double y, JmhResult.Metric from) {
        return from == null ? null : interval(y, from.score() > 0 ? y * from.error() / from.score() : Double.NaN);
    }

    /** Series key: strategy, the model when a file holds several, the file when several are drawn. */
    private static String label(Summary.Row r, ResultFile f, List<ResultFile> files) {
        boolean models = f.rows().stream().map(Summary.Row::model).distinct().count() > 1;
        return r.strategy() + (models ? " " + r.model() : "") + (files.size() > 1 ? " (" + f.label() + ")" : "");
    }

    private static Chart xy(String id, String title, String x, String y, String unit, List<ResultFile> files,
                            String benchmark, Function<Summary.Row, double[]> value, String note) {
        Map<String, Chart.Series> series = new LinkedHashMap<>();
        Map<String, List<Chart.Point>> points = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            ResultFile f = files.get(i);
            List<Summary.Row> rows = new ArrayList<>(f.rows());
            rows.sort(Comparator.comparing(Summary.Row::strategy).thenComparingInt(Summary.Row::length));
            for (Summary.Row r : rows) {
                // Single sequences only: a batch shares its strategy's colour, and the summary's "Batches" table has it.
                double[] v = r.benchmark().equals(benchmark) && r.batch() == 1 ? value.apply(r) : null;
                if (v == null) {
                    continue;
                }
                String key = label(r, f, files);
                List<Chart.Point> list = points.computeIfAbsent(key, k -> new ArrayList<>());
                series.computeIfAbsent(key, k -> new Chart.Series(k, r.strategy(), files.indexOf(f), list));
                list.add(new Chart.Point(r.length(), null, v[0], v[1], v[2]));
            }
        }
        return new Chart(id, title, Chart.Kind.XY, x, y, unit, true, true, List.copyOf(series.values()), note, null);
    }

    /** Peak resident set per strategy, from the {@code peak_memory} entries {@code bench} writes into the metadata. */
    private static Chart peakRss(List<ResultFile> files) {
        List<Chart.Series> series = new ArrayList<>();
        String tokens = "";
        for (int i = 0; i < files.size(); i++) {
            List<Chart.Point> points = new ArrayList<>();
            RunRecord meta = files.get(i).meta();
            for (JsonNode m : meta.peakMemory == null ? List.<JsonNode>of() : meta.peakMemory) {
                double mb = m.path("vmhwm_after_kib").asDouble(Double.NaN) * 1024 / 1e6;
                if (mb > 0) {
                    int rows = m.path("rows").asInt(1);
                    points.add(new Chart.Point(points.size(), m.path("strategy").asText("?") + (rows > 1 ? " [" + rows + "]" : ""),
                            mb, mb, mb));
                    tokens = String.valueOf(m.path("tokens").asInt());
                }
            }
            if (!points.isEmpty()) {
                series.add(new Chart.Series(files.size() > 1 ? files.get(i).label() : "peak resident set", "", i, points));
            }
        }
        return new Chart("peak-rss", "Peak resident set of a fresh JVM generating " + (tokens.isEmpty() ? "" : tokens + " ")
                + "tokens", Chart.Kind.CATEGORY, "strategy", "MB (VmHWM)", "MB", false, false, series,
                "one measurement per strategy and file (no interval): the process's VmHWM after the generation", null);
    }

    /**
     * The verdict as a forest plot: per strategy (x) its time as a multiple of the reference's, with the 95% interval of
     * the paired rounds, one marker series per configuration (new tokens) and file, the A/A control among them, and the
     * reference's 1 as a line.
     */
    private static Chart verdict(List<ResultFile> files) {
        List<String> names = new ArrayList<>();
        List<Chart.Series> series = new ArrayList<>();
        String reference = "";
        for (int i = 0; i < files.size(); i++) {
            JsonNode v = files.get(i).meta().strategyVerdicts;
            if (v == null) {
                continue;
            }
            reference = v.path("reference").asText();
            Map<String, List<Chart.Point>> byConfig = new LinkedHashMap<>();
            for (String part : List.of("verdicts", "controls")) {
                for (JsonNode x : v.path(part)) {
                    String name = part.equals("controls") ? reference + " (A/A)" : x.path("candidate").asText();
                    if (!names.contains(name)) {
                        names.add(name);
                    }
                    double r = x.path("ratio").asDouble(Double.NaN);
                    double lo = x.path("ratio_ci95_low").asDouble(r);
                    double hi = x.path("ratio_ci95_high").asDouble(r);
                    if (Double.isFinite(r)) {
                        byConfig.computeIfAbsent(x.path("configuration").asText(), k -> new ArrayList<>())
                                .add(new Chart.Point(names.indexOf(name), name, r, lo, hi));
                    }
                }
            }
            for (var e : byConfig.entrySet()) {
                String label = e.getKey().replaceAll(".*newTokens=(\\d+).*", "$1 new tokens")
                        + e.getKey().replaceAll("^(?!.*batchSize=).*$", "").replaceAll(".*batchSize=(\\d+).*", ", $1 rows")
                        + (files.size() > 1 ? " (" + files.get(i).label() + ")" : "");
                series.add(new Chart.Series(label, "", i, e.getValue(), false));
            }
        }
        if (!series.isEmpty()) {
            List<Chart.Point> one = new ArrayList<>();
            for (int x = 0; x < names.size(); x++) {
                one.add(new Chart.Point(x, names.get(x), 1, 1, 1));
            }
            series.add(new Chart.Series(reference + " = 1", reference, 0, one, true));
        }
        return new Chart("verdict", "Verdict: time as a multiple of " + reference + "'s, interleaved paired rounds",
                Chart.Kind.XY, "strategy", "x " + reference + "'s time", "x", false, false, series,
                "bars: 95% interval of the paired ratio over rounds; below 1 is faster; the A/A control shows the run's noise",
                names);
    }

    /**
     * Serving: time per output token (p95) against output tokens per second, a line per strategy and policy (points:
     * the loads, in order), so the curve that stays low further right sustains more. The policy sets the line style.
     */
    private static Chart serving(List<ResultFile> files) {
        Map<String, List<Chart.Point>> points = new LinkedHashMap<>();
        Map<String, Chart.Series> series = new LinkedHashMap<>();
        List<String> policies = List.of("sequential", "static-batch", "continuous");
        List<List<ServingTable.Cell>> cells = files.stream().map(f -> ServingTable.cells(f.results())).toList();
        boolean models = cells.stream().flatMap(List::stream).map(ServingTable.Cell::model).distinct().count() > 1;
        for (int i = 0; i < files.size(); i++) {
            for (ServingTable.Cell c : cells.get(i)) {
                JmhResult t = c.figures().get("tokensPerSecond");
                JmhResult lat = c.figures().get("tpotP95");
                if (t == null || lat == null || !(lat.primary().score() > 0) || !(t.primary().score() > 0)) {
                    continue;
                }
                String name = c.configuration() + (models ? " " + c.model() : "");
                String key = name;
                for (int j = 0; j < i && key.equals(name); j++) { // the same configuration in an earlier file: name the file
                    if (cells.get(j).stream().anyMatch(o -> (o.configuration() + (models ? " " + o.model() : "")).equals(name))) {
                        key = name + " (" + files.get(i).label() + ")";
                    }
                }
                List<Chart.Point> list = points.computeIfAbsent(key, k -> new ArrayList<>());
                double[] v = interval(lat.primary().score(), lat.primary().error());
                list.add(new Chart.Point(t.primary().score(), null, v[0], v[1], v[2]));
                int style = Math.max(0, policies.indexOf(c.policy())) + (c.prefillChunk() == null ? 0 : 1);
                series.computeIfAbsent(key, k -> new Chart.Series(k, c.strategy(), style, list));
            }
        }
        return new Chart("serving", "Serving: time per output token (p95) against output tokens per second",
                Chart.Kind.XY, "output tokens per second", "TPOT p95 (ms)", "ms", true, true, List.copyOf(series.values()),
                "points: the loads (closed-loop clients or rates); bars: 95% interval over repeated runs (none with one "
                        + "run); line style: the policy", null);
    }

    /** Hybrid's time per generation against its threshold, with kv and no-cache as reference lines. */
    private static Chart hybrid(List<ResultFile> files) {
        Map<String, Chart.Series> series = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            ResultFile f = files.get(i);
            List<Summary.Row> rows = f.rows().stream().filter(r -> r.benchmark().equals(BenchmarkContract.HYBRID_THRESHOLD)).toList();
            List<Double> ts = rows.stream().filter(r -> r.strategy().startsWith("hybrid-"))
                    .map(r -> threshold(r.strategy())).sorted().toList();
            if (ts.isEmpty()) {
                continue;
            }
            for (Summary.Row r : rows) {
                double[] v = interval(r.msPerOp(), r.errorMs());
                if (v == null) {
                    continue;
                }
                boolean isHybrid = r.strategy().startsWith("hybrid-");
                String name = (isHybrid ? "hybrid" : r.strategy()) + " at " + r.length() + " tokens"
                        + (files.size() > 1 ? " (" + f.label() + ")" : "");
                Chart.Series s = series.computeIfAbsent(name, k -> new Chart.Series(k, isHybrid ? "hybrid" : r.strategy(),
                        files.indexOf(f), new ArrayList<>()));
                if (isHybrid) {
                    s.points().add(new Chart.Point(threshold(r.strategy()), null, v[0], v[1], v[2]));
                } else {
                    s.points().add(new Chart.Point(ts.get(0), null, v[0], v[1], v[2]));
                    s.points().add(new Chart.Point(ts.get(ts.size() - 1), null, v[0], v[1], v[2]));
                }
            }
        }
        series.values().forEach(s -> s.points().sort(Comparator.comparingDouble(Chart.Point::x)));
        return new Chart("hybrid-threshold", "Hybrid: time per generation vs threshold T", Chart.Kind.XY, "threshold T (positions)",
                "ms per generation", "ms", true, true, List.copyOf(series.values()),
                JMH_CI + "; kv and no-cache drawn flat across the thresholds for reference", null);
    }

    /** T of a {@code hybrid-T} variant (a suffix such as {@code " [public]"} ignored). */
    private static double threshold(String variant) {
        return Integer.parseInt(variant.substring("hybrid-".length()).replaceAll("\\D.*", ""));
    }

    /** Base and head per configuration, each the mean of its round values with a 95% interval; the change in the labels. */
    public static Chart ab(PairedComparison.Result r, String baseName, String headName) {
        List<Chart.Point> base = new ArrayList<>();
        List<Chart.Point> head = new ArrayList<>();
        StringBuilder changes = new StringBuilder();
        String unit = "";
        for (PairedComparison.Row row : r.rows()) {
            String category = shortKey(row.key());
            base.add(roundPoint(base.size(), category, row.base()));
            head.add(roundPoint(head.size(), category, row.head()));
            Statistics.Paired p = row.paired();
            changes.append(changes.length() == 0 ? "" : "; ").append(category).append(String.format(java.util.Locale.ROOT,
                    ": head/base %.3f [%.3f, %.3f]%s", p.ratio(), p.low(), p.high(), row.regression() ? " REGRESSION" : ""));
            unit = row.unit();
        }
        if (base.isEmpty()) {
            throw new KvbenchException("the A/B comparison has no rows to chart");
        }
        return new Chart("ab-" + r.metric().replace('.', '-'), "A/B: " + baseName + " vs " + headName + " (" + r.metric() + ")",
                Chart.Kind.CATEGORY, "configuration", unit, unit, false, false,
                List.of(new Chart.Series("base " + baseName, "base", 0, base), new Chart.Series("head " + headName, "head", 1, head)),
                "bars: 95% confidence interval of the mean over rounds; " + changes, null);
    }

    private static Chart.Point roundPoint(int i, String category, double[] rounds) {
        double mean = Statistics.mean(rounds);
        double ci = rounds.length > 1 ? Statistics.confidenceHalfWidth(rounds, 0.95) : 0;
        return new Chart.Point(i, category, mean, mean - ci, mean + ci);
    }

    /** {@code GenerationBenchmark.generate{model=tiny-llama, newTokens=64, strategy=kv}} → {@code kv newTokens=64}. */
    public static String shortKey(String key) {
        int open = key.indexOf('{');
        if (open < 0 || !key.endsWith("}")) {
            return key;
        }
        StringBuilder s = new StringBuilder();
        String strategy = null;
        for (String part : key.substring(open + 1, key.length() - 1).split(", ")) {
            if (part.startsWith("strategy=")) {
                strategy = part.substring("strategy=".length());
            } else if (!part.startsWith("model=") && !part.startsWith("threads=") && !part.startsWith("ortCall=")) {
                s.append(' ').append(part);
            }
        }
        return (strategy != null ? strategy : key.substring(0, open)) + s;
    }
}
