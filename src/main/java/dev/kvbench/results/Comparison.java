package dev.kvbench.results;

import dev.kvbench.KvbenchException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * benchstat for JMH: for each benchmark + parameter set present in both files, the old and new mean with a 95%
 * confidence interval from the raw iteration samples, the change, and a two-sided Mann-Whitney U p-value. A change is
 * significant when p < alpha; a regression is a significant change in the worse direction beyond the threshold.
 * Like benchstat, it says when it cannot decide: a row whose sample counts cannot reach p < alpha even for completely
 * separated samples (3 + 3 samples: p >= 0.10) is marked undecidable, whatever the change.
 */
public final class Comparison {

    /**
     * One compared measurement. {@code lowerIsBetter} follows the unit: time or bytes per op, or throughput.
     * {@code smallestP} is the lowest p-value these sample counts allow; {@code decidable} is {@code smallestP < alpha}.
     */
    public record Row(String key, String unit, double oldMean, double oldCi, int oldN, int oldForks, double newMean,
                      double newCi, int newN, int newForks, double changePercent, double p, double smallestP,
                      boolean decidable, boolean significant, boolean regression, boolean lowerIsBetter) {
    }

    public record Result(String metric, double alpha, List<Row> rows, List<String> onlyOld, List<String> onlyNew) {
        public List<Row> regressions() {
            return rows.stream().filter(Row::regression).toList();
        }

        public List<Row> undecidable() {
            return rows.stream().filter(r -> !r.decidable()).toList();
        }
    }

    private Comparison() {
    }

    public static Result compare(List<JmhResult> oldResults, List<JmhResult> newResults, String metric,
                                 double thresholdPercent, double alpha) {
        Map<String, JmhResult> olds = byKey(oldResults);
        Map<String, JmhResult> news = byKey(newResults);
        List<String> onlyOld = olds.keySet().stream().filter(k -> !news.containsKey(k)).toList();
        List<String> onlyNew = news.keySet().stream().filter(k -> !olds.containsKey(k)).toList();
        if (olds.keySet().stream().noneMatch(news::containsKey)) {
            throw new KvbenchException("no benchmark in common between the two files");
        }
        List<Row> rows = new ArrayList<>();
        for (var e : olds.entrySet()) {
            JmhResult n = news.get(e.getKey());
            if (n == null) {
                continue;
            }
            JmhResult.Metric om = e.getValue().metric(metric);
            JmhResult.Metric nm = n.metric(metric);
            if (om == null || nm == null) {
                continue;
            }
            if (!om.unit().equals(nm.unit())) {
                throw new KvbenchException("mismatched units for " + e.getKey() + ": " + om.unit() + " vs " + nm.unit());
            }
            double[] a = om.samples();
            double[] b = nm.samples();
            if (a.length == 0 || b.length == 0) {
                throw new KvbenchException(e.getKey() + " has no raw samples of " + metric);
            }
            rows.add(row(e.getKey(), om, nm, a, b, thresholdPercent, alpha));
        }
        if (rows.isEmpty()) {
            throw new KvbenchException("metric '" + metric + "' is in none of the common benchmarks");
        }
        return new Result(metric, alpha, rows, onlyOld, onlyNew);
    }

    private static Row row(String key, JmhResult.Metric om, JmhResult.Metric nm, double[] a, double[] b,
                           double thresholdPercent, double alpha) {
        double oldMean = Statistics.mean(a);
        double newMean = Statistics.mean(b);
        double change = oldMean == 0 ? (newMean == 0 ? 0 : Double.POSITIVE_INFINITY) : (newMean - oldMean) / oldMean * 100;
        double p = Statistics.mannWhitneyP(a, b);
        double smallest = Statistics.smallestMannWhitneyP(a.length, b.length);
        boolean lowerIsBetter = !om.unit().startsWith("ops/");
        boolean significant = p < alpha;
        double worse = lowerIsBetter ? change : -change;
        return new Row(key, om.unit(), oldMean, Statistics.confidenceHalfWidth(a, 0.95), a.length, om.raw().size(),
                newMean, Statistics.confidenceHalfWidth(b, 0.95), b.length, nm.raw().size(), change, p, smallest,
                smallest < alpha, significant, significant && worse > thresholdPercent, lowerIsBetter);
    }

    private static Map<String, JmhResult> byKey(List<JmhResult> results) {
        Map<String, JmhResult> map = new LinkedHashMap<>();
        for (JmhResult r : results) {
            map.put(r.key(), r);
        }
        return map;
    }
}
