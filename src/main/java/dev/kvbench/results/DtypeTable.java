package dev.kvbench.results;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --dtypes fp32,q8,q4}: one row per benchmark, strategy and length, one column per dtype, the time per
 * token of each dtype's run with its 99.9% half-width (single rows; batches and the other figures are in each run's
 * own summary). Each column comes from its own run, one after another: the verdict rounds inside a run compare
 * strategies interleaved, this table compares dtypes only as sequential runs do. Below it, the verdicts of each run
 * (in its {@code .meta.json}) side by side: each is a within-run ratio, so those columns compare across dtypes as
 * ratios to the reference strategy, free of the machine's drift between runs.
 */
public final class DtypeTable {
    private DtypeTable() {
    }

    /** The table of {@code files} (result files, one per dtype, in the order of {@code dtypes}). */
    public static String render(List<String> dtypes, List<Path> files) {
        Map<String, String[]> cells = new LinkedHashMap<>();
        for (int d = 0; d < files.size(); d++) {
            if (!Files.isRegularFile(files.get(d))) {
                continue; // that run produced no result
            }
            for (Summary.Row r : Summary.rows(JmhResults.read(files.get(d)))) {
                if (r.batch() != 1 || !(r.benchmark().equals(BenchmarkContract.GENERATION)
                        || r.benchmark().equals(BenchmarkContract.STEP))) {
                    continue;
                }
                String strategy = r.strategy().replace(Summary.dtypeSuffix(dtypes.get(d)), "");
                String key = String.format(Locale.ROOT, "%-20s %-16s %6d", r.benchmark(), strategy, r.length());
                String cell = Double.isNaN(r.errorMs()) ? String.format(Locale.ROOT, "%.3f", r.msPerToken())
                        : String.format(Locale.ROOT, "%.3f ± %.3f", r.msPerToken(), r.errorMs() * r.msPerToken() / r.msPerOp());
                cells.computeIfAbsent(key, k -> new String[dtypes.size()])[d] = cell;
            }
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%nBy dtype: ms per token (generation: per generated "
                + "token; step: per decode step at that context), single row, score ± 99.9%% half-width; each dtype its own "
                + "sequential run%n"));
        s.append(String.format(Locale.ROOT, "%-20s %-16s %6s", "benchmark", "strategy", "length"));
        for (String d : dtypes) {
            s.append(String.format(Locale.ROOT, " %18s", d));
        }
        s.append('\n');
        List<String> keys = new ArrayList<>(cells.keySet());
        keys.sort(null);
        for (String k : keys) {
            s.append(k);
            for (String c : cells.get(k)) {
                s.append(String.format(Locale.ROOT, " %18s", c == null ? "-" : c));
            }
            s.append('\n');
        }
        s.append(verdicts(dtypes, files));
        return s.toString();
    }

    /** Each run's verdict rows (ratio to the reference with its 95% interval, and the word), one column per dtype. */
    static String verdicts(List<String> dtypes, List<Path> files) {
        Map<String, String[]> cells = new LinkedHashMap<>();
        String reference = null;
        for (int d = 0; d < files.size(); d++) {
            Path meta = RunMeta.sidecar(files.get(d), ".meta.json");
            if (!Files.isRegularFile(meta)) {
                continue;
            }
            com.fasterxml.jackson.databind.JsonNode v = RunRecord.read(meta).strategyVerdicts;
            if (v == null) {
                continue;
            }
            reference = v.path("reference").asText();
            for (String group : List.of("verdicts", "controls")) {
                for (com.fasterxml.jackson.databind.JsonNode row : v.path(group)) {
                    // dtype= up to the next ", ": a dtype per graph holds a comma of its own.
                    String config = row.path("configuration").asText().replaceAll("(^|, )model=[^,]*(, )?", "$1")
                            .replaceAll("(^|, )dtype=.*?(?=, |$)", "").replaceAll("^, |, $", "");
                    String who = group.equals("controls") ? "A/A " + reference : row.path("candidate").asText();
                    String key = String.format(Locale.ROOT, "%-28s %-16s", config, who);
                    String word = row.path("verdict").asText();
                    String cell = row.has("ratio_ci95_low") ? String.format(Locale.ROOT, "%.3f [%.3f, %.3f] %s",
                            row.path("ratio").asDouble(), row.path("ratio_ci95_low").asDouble(),
                            row.path("ratio_ci95_high").asDouble(), word.startsWith("indistinguishable") ? "~" : word)
                            : String.format(Locale.ROOT, "%.3f undecided", row.path("ratio").asDouble());
                    cells.computeIfAbsent(key, k -> new String[dtypes.size()])[d] = cell;
                }
            }
        }
        if (cells.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%nVerdict by dtype: ratio to %s in that dtype's "
                + "interleaved rounds, 95%% interval (~: indistinguishable within the run's threshold)%n", reference));
        s.append(String.format(Locale.ROOT, "%-28s %-16s", "configuration", "strategy"));
        for (String d : dtypes) {
            s.append(String.format(Locale.ROOT, " %-30s", d));
        }
        s.append('\n');
        cells.forEach((k, row) -> {
            s.append(k);
            for (String c : row) {
                s.append(String.format(Locale.ROOT, " %-30s", c == null ? "-" : c));
            }
            s.append('\n');
        });
        return s.toString();
    }
}
