package dev.kvbench.results;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The summary's "Serving" section, from the serving figures in a result file ({@link ServingResults}): per model, a
 * row per strategy, policy and load (output tokens per second, requests per second, time to first token and time per
 * output token at p95, goodput), then which policy and strategy sustain the most requests per second with at least
 * {@link #SUSTAINED} of their requests under the targets. Empty when the file holds no serving figures.
 */
public final class ServingTable {
    /** The share of requests under the targets at which a load counts as sustained. */
    public static final double SUSTAINED = 0.9;

    private ServingTable() {
    }

    /** One configuration at one load, its figures by name. */
    public record Cell(String model, String dtype, String strategy, String policy, String maxBatch, String prefillChunk,
                       String promptCache, String loadKind, String load, String slo, Map<String, JmhResult> figures) {
        double score(String figure) {
            JmhResult r = figures.get(figure);
            return r == null ? Double.NaN : r.primary().score();
        }

        double goodput() {
            JmhResult r = figures.get("tokensPerSecond");
            JmhResult.Metric g = r == null ? null : r.metric(ServingResults.GOODPUT);
            return g == null ? Double.NaN : g.score();
        }

        /** Strategy, policy, rows and prompt chunk: {@code static-gqa continuous (16 rows, chunks of 32)}. */
        public String configuration() {
            return strategy + " " + policy + (policy.equals("sequential") ? "" : " (" + maxBatch + " rows"
                    + (prefillChunk == null ? "" : ", chunks of " + prefillChunk)
                    + (promptCache == null ? "" : ", prompt cache") + ")");
        }
    }

    /** The serving figures of {@code results}, one cell per configuration and load, in file order. */
    public static List<Cell> cells(List<JmhResult> results) {
        Map<String, Cell> cells = new LinkedHashMap<>();
        for (JmhResult r : results) {
            if (!ServingResults.isServing(r)) {
                continue;
            }
            String kind = r.params().containsKey("clients") ? "clients" : r.params().containsKey("rate") ? "rate" : "trace";
            String load = r.params().getOrDefault(kind, "trace");
            String key = JmhResult.modelName(r.param("model")) + "|" + r.param("dtype") + "|" + r.param("strategy") + "|"
                    + r.param("policy") + "|" + r.param("maxBatch") + "|" + r.param("prefillChunk") + "|"
                    + r.param("promptCache") + "|" + kind + "|" + load + "|" + r.param("slo");
            Cell c = cells.computeIfAbsent(key, k -> new Cell(JmhResult.modelName(r.param("model")), r.param("dtype"),
                    r.param("strategy"), r.param("policy"), r.param("maxBatch"), r.param("prefillChunk"),
                    r.param("promptCache"), kind, load, r.param("slo"), new LinkedHashMap<>()));
            c.figures().put(r.benchmark().substring(ServingResults.BENCHMARK.length() + 1), r);
        }
        return List.copyOf(cells.values());
    }

    /** The configuration that sustains the most requests per second under the targets (any, without targets). */
    public static Optional<Cell> best(List<Cell> cells) {
        return cells.stream().filter(c -> Double.isNaN(c.goodput()) || c.goodput() >= SUSTAINED)
                .filter(c -> c.score("requestsPerSecond") > 0)
                .max(Comparator.comparingDouble(c -> c.score("requestsPerSecond")));
    }

    /**
     * The configurations (at any load) whose output tokens per second cannot be told from {@code best}'s: their 95%
     * intervals over the runs overlap, and they too meet the targets. Empty with one run per load (no interval).
     */
    public static List<Cell> tiedWith(Cell best, List<Cell> cells) {
        JmhResult b = best.figures().get("tokensPerSecond");
        if (b == null || !Double.isFinite(b.primary().error())) {
            return List.of();
        }
        double low = b.primary().score() - b.primary().error();
        return cells.stream().filter(c -> c != best && (Double.isNaN(c.goodput()) || c.goodput() >= SUSTAINED))
                .filter(c -> {
                    JmhResult t = c.figures().get("tokensPerSecond");
                    return t != null && Double.isFinite(t.primary().error()) && t.primary().score() + t.primary().error() >= low;
                }).toList();
    }

    public static String render(List<JmhResult> results) {
        List<Cell> all = cells(results);
        if (all.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        Map<String, List<Cell>> byModel = new TreeMap<>();
        for (Cell c : all) {
            byModel.computeIfAbsent(c.model() + (c.dtype() == null || c.dtype().equals("fp32") ? "" : " (" + c.dtype() + ")"),
                    k -> new ArrayList<>()).add(c);
        }
        for (var e : byModel.entrySet()) {
            List<Cell> cells = e.getValue();
            String slo = cells.get(0).slo();
            out.append("\nServing on ").append(e.getKey()).append(": requests replayed in real time (serve); p95 over the "
                    + "requests").append(slo == null ? "" : "; goodput: the share meeting " + slo + " ms").append('\n');
            out.append(String.format(Locale.ROOT, "%-48s %8s %18s %8s %12s %12s %8s%n", "configuration",
                    cells.get(0).loadKind(), "tok/s", "req/s", "TTFT p95 ms", "TPOT p95 ms", "goodput"));
            for (Cell c : cells) {
                JmhResult t = c.figures().get("tokensPerSecond");
                String tokens = t == null ? "-" : Double.isNaN(t.primary().error()) ? String.format(Locale.ROOT, "%.1f",
                        t.primary().score()) : String.format(Locale.ROOT, "%.1f ± %.1f", t.primary().score(), t.primary().error());
                out.append(String.format(Locale.ROOT, "%-48s %8s %18s %8.2f %12.1f %12.2f %8s%n", c.configuration(), c.load(),
                        tokens, c.score("requestsPerSecond"), c.score("ttftP95"), c.score("tpotP95"),
                        Double.isNaN(c.goodput()) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * c.goodput())));
            }
            int runs = cells.get(0).figures().values().iterator().next().primary().samples().length;
            Optional<Cell> top = best(cells);
            if (top.isPresent()) {
                Cell b = top.get();
                String good = Double.isNaN(b.goodput()) ? ""
                        : String.format(Locale.ROOT, " with %.0f%% under the targets", 100 * b.goodput());
                String note = runs < 2 ? ", no interval: one run, compare within this table only" : "";
                out.append(String.format(Locale.ROOT, "Sustains the most: %s, %.2f requests/s (%.1f output tokens/s) at %s "
                        + "%s%s; %d run(s) per load%s.%n", b.configuration(), b.score("requestsPerSecond"),
                        b.score("tokensPerSecond"), b.load(), b.loadKind(), good, runs, note));
                List<Cell> tied = tiedWith(b, cells);
                if (!tied.isEmpty()) {
                    out.append("Not told apart from it (output tokens/s within each other's 95% interval over the runs): ")
                            .append(String.join(", ", tied.stream().map(c -> c.configuration() + " at " + c.load() + " "
                                    + c.loadKind()).toList())).append(".\n");
                }
            }
        }
        return out.toString();
    }
}
