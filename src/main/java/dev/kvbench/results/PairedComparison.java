package dev.kvbench.results;

import dev.kvbench.KvbenchException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The verdict of an interleaved A/B ({@code kvbench ab}, the CI gate): for each configuration, one value per round
 * and side (the mean of that round's iterations, from one fresh JVM), compared round by round. The paired test on
 * log ratios ({@link Statistics#paired}) treats each round's JVM as the independent unit (iterations inside one JVM
 * are not independent) and cancels drift that both sides of a round share. A regression is a significant ratio
 * beyond the threshold in the worse direction.
 */
public final class PairedComparison {

    /** One configuration: both sides' per-round values, the paired ratio head/base, and the verdict. */
    public record Row(String key, String unit, double[] base, double[] head, Statistics.Paired paired,
                      double changePercent, boolean significant, boolean regression) {
        public double baseMean() {
            return Statistics.mean(base);
        }

        public double headMean() {
            return Statistics.mean(head);
        }
    }

    public record Result(String metric, double thresholdPercent, double alpha, List<Row> rows, List<String> missing) {
        public List<Row> regressions() {
            return rows.stream().filter(Row::regression).toList();
        }
    }

    private PairedComparison() {
    }

    /**
     * @param baseRounds each round's results of the base side, in round order
     * @param headRounds the same for the head side; round i of both sides is a pair
     */
    public static Result compare(List<List<JmhResult>> baseRounds, List<List<JmhResult>> headRounds, String metric,
                                 double thresholdPercent, double alpha) {
        return compare(baseRounds, headRounds, metric, Statistics::mean, thresholdPercent, alpha);
    }

    /**
     * @param perRound how a round's samples of one side become its value: the mean of JMH iterations, or the lower
     *                 quartile of single-generation times
     */
    public static Result compare(List<List<JmhResult>> baseRounds, List<List<JmhResult>> headRounds, String metric,
                                 java.util.function.ToDoubleFunction<double[]> perRound, double thresholdPercent, double alpha) {
        if (baseRounds.size() != headRounds.size() || baseRounds.isEmpty()) {
            throw new IllegalArgumentException("rounds must pair up");
        }
        Map<String, List<double[]>> values = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        int rounds = baseRounds.size();
        for (int side = 0; side < 2; side++) {
            List<List<JmhResult>> sideRounds = side == 0 ? baseRounds : headRounds;
            for (int r = 0; r < rounds; r++) {
                for (JmhResult res : sideRounds.get(r)) {
                    JmhResult.Metric m = res.metric(metric);
                    if (m == null || m.samples().length == 0) {
                        continue;
                    }
                    List<double[]> v = values.computeIfAbsent(res.key(), k -> List.of(unset(rounds), unset(rounds)));
                    v.get(side)[r] = perRound.applyAsDouble(m.samples());
                    units.putIfAbsent(res.key(), m.unit());
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (var e : values.entrySet()) {
            double[] base = e.getValue().get(0);
            double[] head = e.getValue().get(1);
            if (!complete(base) || !complete(head)) {
                missing.add(e.getKey());
                continue;
            }
            Statistics.Paired p = allZero(base) && allZero(head) ? new Statistics.Paired(1, 1, 1, 1, rounds)
                    : Statistics.paired(base, head, 0.95);
            double change = (p.ratio() - 1) * 100;
            boolean lowerIsBetter = !units.get(e.getKey()).startsWith("ops/");
            boolean significant = p.p() < alpha;
            double worse = lowerIsBetter ? change : -change;
            rows.add(new Row(e.getKey(), units.get(e.getKey()), base, head, p, change, significant,
                    significant && worse > thresholdPercent));
        }
        if (rows.isEmpty()) {
            throw new KvbenchException("no configuration with '" + metric + "' in every round of both sides");
        }
        return new Result(metric, thresholdPercent, alpha, rows, missing);
    }

    private static double[] unset(int n) {
        double[] v = new double[n];
        java.util.Arrays.fill(v, Double.NaN);
        return v;
    }

    /** A side has a value in every round. */
    private static boolean complete(double[] v) {
        return java.util.Arrays.stream(v).noneMatch(Double::isNaN);
    }

    private static boolean allZero(double[] v) {
        return java.util.Arrays.stream(v).allMatch(x -> x == 0);
    }
}
