package dev.kvbench.results;

import dev.kvbench.KvbenchException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * benchstat for JMH: for each benchmark + parameter set present in both files, the old and new mean with a 95%
 * confidence interval from the raw iteration samples, the change, and a Mann-Whitney U p-value. A change is
 * significant when p < alpha; a regression is a significant change in the worse direction beyond the threshold.
 */
public final class Comparison {

    /** One compared measurement. {@code lowerIsBetter} follows the unit: time or bytes per op, or throughput. */
    public record Row(String key, String unit, double oldMean, double oldCi, int oldN, double newMean, double newCi,
                      int newN, double changePercent, double p, boolean significant, boolean regression,
                      boolean lowerIsBetter) {
    }

    public record Result(String metric, List<Row> rows, List<String> onlyOld, List<String> onlyNew) {
        public List<Row> regressions() {
            return rows.stream().filter(Row::regression).toList();
        }
    }

    private Comparison() {
    }

    public static Result compare(List<JmhResult> oldResults, List<JmhResult> newResults, String metric,
                                 double thresholdPercent, double alpha) {
        Map<String, JmhResult> olds = byKey(oldResults, "OLD");
        Map<String, JmhResult> news = byKey(newResults, "NEW");
        List<String> onlyOld = olds.keySet().stream().filter(k -> !news.containsKey(k)).toList();
        List<String> onlyNew = news.keySet().stream().filter(k -> !olds.containsKey(k)).toList();
        List<Row> rows = new ArrayList<>();
        boolean metricSeen = false;
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
            metricSeen = true;
            if (!om.unit().equals(nm.unit())) {
                throw new KvbenchException("mismatched units for " + e.getKey() + ": " + om.unit() + " vs " + nm.unit());
            }
            double[] a = om.samples();
            double[] b = nm.samples();
            if (a.length < 2 || b.length < 2) {
                throw new KvbenchException("too few raw samples for " + e.getKey() + " (" + a.length + " old, " + b.length
                        + " new; at least 2 each): run with more measurement iterations");
            }
            double oldMean = Statistics.mean(a);
            double newMean = Statistics.mean(b);
            double change = (newMean - oldMean) / oldMean * 100;
            double p = Statistics.mannWhitneyP(a, b);
            boolean lowerIsBetter = !om.unit().startsWith("ops/");
            boolean significant = p < alpha;
            double worse = lowerIsBetter ? change : -change;
            rows.add(new Row(e.getKey(), om.unit(), oldMean, Statistics.confidenceHalfWidth(a, 0.95), a.length, newMean,
                    Statistics.confidenceHalfWidth(b, 0.95), b.length, change, p, significant,
                    significant && worse > thresholdPercent, lowerIsBetter));
        }
        if (olds.keySet().stream().noneMatch(news::containsKey)) {
            throw new KvbenchException("no benchmark in common between the two files");
        }
        if (!metricSeen) {
            throw new KvbenchException("metric '" + metric + "' is in none of the common benchmarks");
        }
        return new Result(metric, rows, onlyOld, onlyNew);
    }

    private static Map<String, JmhResult> byKey(List<JmhResult> results, String which) {
        Map<String, JmhResult> map = new LinkedHashMap<>();
        for (JmhResult r : results) {
            if (map.put(r.key(), r) != null) {
                throw new KvbenchException(which + " holds " + r.key() + " twice");
            }
        }
        return map;
    }
}
