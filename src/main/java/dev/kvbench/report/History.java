package dev.kvbench.report;


import dev.kvbench.KvbenchException;
import dev.kvbench.results.Comparison;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.Statistics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Results across commits, like airspeed velocity's published history: the files ordered by the commit date in their
 * metadata, each configuration's primary score over the commits with its interval, and the change points, where a
 * configuration differs significantly from the previous commit that measured it (the statistics of {@code compare}:
 * Mann-Whitney U on the raw samples, a change beyond the threshold at p below alpha, undecidable rows never marked).
 */
public final class History {

    /** One configuration at one commit: mean and 95% interval of its samples. */
    public record Entry(int file, double mean, double low, double high) {
    }

    /** A significant change of {@code key} between files {@code from} and {@code to} (indices in {@link #files()}). */
    public record ChangePoint(String key, int from, int to, double changePercent, double p, boolean regression) {
    }

    private final List<ResultFile> files;
    private final Map<String, List<Entry>> series;
    private final Map<String, String> units;
    private final List<ChangePoint> changes;

    private History(List<ResultFile> files, Map<String, List<Entry>> series, Map<String, String> units, List<ChangePoint> changes) {
        this.files = files;
        this.series = series;
        this.units = units;
        this.changes = changes;
    }

    public static History of(List<ResultFile> unordered, double thresholdPercent, double alpha) {
        if (unordered.size() < 2) {
            throw new KvbenchException("history needs at least two result files, got " + unordered.size());
        }
        for (ResultFile f : unordered) {
            if (f.meta().gitCommitDate == null || f.meta().gitCommitDate.isEmpty()) {
                throw new KvbenchException(f.path() + " has no .meta.json with git_commit_date: history orders results by "
                        + "commit (results written by `kvbench bench` have one)");
            }
        }
        List<ResultFile> files = new ArrayList<>(unordered);
        files.sort(Comparator.comparing((ResultFile f) -> java.time.OffsetDateTime.parse(f.meta().gitCommitDate))
                .thenComparing(f -> Objects.toString(f.meta().runDate, ""))
                .thenComparing(f -> f.path().getFileName().toString()));
        Map<String, List<Entry>> series = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        // Each file's results by key, built once: the comparisons below look keys up instead of scanning files.
        List<Map<String, List<JmhResult>>> byKey = new ArrayList<>();
        for (ResultFile f : files) {
            Map<String, List<JmhResult>> index = new java.util.HashMap<>();
            for (JmhResult r : f.results()) {
                index.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
            }
            byKey.add(index);
        }
        for (int i = 0; i < files.size(); i++) {
            for (JmhResult r : files.get(i).results()) {
                double[] x = r.primary().samples();
                if (x.length == 0) {
                    continue;
                }
                double mean = Statistics.mean(x);
                double ci = x.length > 1 ? Statistics.confidenceHalfWidth(x, 0.95) : 0;
                series.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(new Entry(i, mean, mean - ci, mean + ci));
                units.put(r.key(), r.primary().unit());
            }
        }
        List<ChangePoint> changes = new ArrayList<>();
        for (var e : series.entrySet()) {
            String key = e.getKey();
            List<Entry> entries = e.getValue();
            for (int j = 1; j < entries.size(); j++) {
                int from = entries.get(j - 1).file();
                int to = entries.get(j).file();
                Comparison.Row row = Comparison.compare(byKey.get(from).get(key), byKey.get(to).get(key), "primary",
                        thresholdPercent, alpha).rows().stream().findFirst().orElse(null);
                if (row != null && row.decidable() && row.significant() && Math.abs(row.changePercent()) > thresholdPercent) {
                    changes.add(new ChangePoint(key, from, to, row.changePercent(), row.p(), row.regression()));
                }
            }
        }
        return new History(files, series, units, changes);
    }

    /** The files, oldest commit first. */
    public List<ResultFile> files() {
        return files;
    }

    public Map<String, List<Entry>> series() {
        return series;
    }

    public String unit(String key) {
        return units.get(key);
    }

    public List<ChangePoint> changes() {
        return changes;
    }

    /** A commit's name on the x axis: short sha (+dirty), else the file's name. */
    public String commitName(int file) {
        String c = files.get(file).commit();
        return c.isEmpty() ? files.get(file).label() : c;
    }

    /**
     * One chart per benchmark (and unit): each configuration's mean over the commits with its 95% interval, and the
     * change points as a marker series. The x axis is the commit order, labelled with the short shas.
     */
    public List<Chart> charts() {
        Map<String, List<String>> byBenchmark = new LinkedHashMap<>();
        for (String key : series.keySet()) {
            String bench = key.contains("{") ? key.substring(0, key.indexOf('{')) : key;
            byBenchmark.computeIfAbsent(bench + " (" + units.get(key) + ")", k -> new ArrayList<>()).add(key);
        }
        List<String> commits = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            commits.add(commitName(i));
        }
        List<Chart> charts = new ArrayList<>();
        for (var e : byBenchmark.entrySet()) {
            List<Chart.Series> list = new ArrayList<>();
            List<Chart.Point> marks = new ArrayList<>();
            for (String key : e.getValue()) {
                List<Chart.Point> points = new ArrayList<>();
                for (Entry en : series.get(key)) {
                    points.add(new Chart.Point(en.file(), commits.get(en.file()), en.mean(), en.low(), en.high()));
                }
                String label = Charts.shortKey(key);
                list.add(new Chart.Series(label, StrategyStyle.strategyOf(label.split(" ")[0]), 0, points));
                for (ChangePoint c : changes) {
                    if (c.key().equals(key)) {
                        Entry to = series.get(key).stream().filter(en -> en.file() == c.to()).findFirst().orElseThrow();
                        marks.add(new Chart.Point(to.file(), commits.get(to.file()), to.mean(), to.mean(), to.mean()));
                    }
                }
            }
            if (!marks.isEmpty()) {
                list.add(new Chart.Series("significant change vs previous commit", "change", 0, marks, false));
            }
            String id = "history-" + e.getKey().replaceAll("[^A-Za-z0-9]+", "-").replaceAll("-+$", "").toLowerCase(java.util.Locale.ROOT);
            String unit = units.get(e.getValue().get(0));
            charts.add(new Chart(id, e.getKey().replaceAll(" \\(.*", "") + " over commits", Chart.Kind.XY, "commit (oldest first)",
                    unit, unit, false, true, list, "bars: 95% interval of the samples' mean; marked: a change beyond the "
                    + "threshold with Mann-Whitney p below alpha against the previous commit", commits));
        }
        return charts;
    }
}
