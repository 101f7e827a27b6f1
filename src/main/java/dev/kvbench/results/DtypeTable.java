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
 * strategies interleaved, this table compares dtypes only as sequential runs do.
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
        return s.toString();
    }
}
