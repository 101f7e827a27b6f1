package dev.kvbench.results;

import org.apache.commons.statistics.distribution.TDistribution;
import org.apache.commons.statistics.inference.AlternativeHypothesis;
import org.apache.commons.statistics.inference.MannWhitneyUTest;
import org.apache.commons.statistics.inference.PValueMethod;
import org.apache.commons.statistics.inference.TTest;

import java.util.Arrays;

/**
 * Sample statistics for comparing benchmark results (commons-statistics does the tests): the mean with a Student-t
 * confidence interval, the two-sided Mann-Whitney U test for independent samples (exact p-values for small samples,
 * as benchstat), the smallest p-value that test can reach with given sample counts, and the paired test on log ratios
 * that {@code ab} uses for interleaved rounds.
 */
public final class Statistics {
    private static final MannWhitneyUTest MANN_WHITNEY = MannWhitneyUTest.withDefaults()
            .with(AlternativeHypothesis.TWO_SIDED).with(PValueMethod.AUTO);
    private static final TTest T_TEST = TTest.withDefaults().with(AlternativeHypothesis.TWO_SIDED);

    private Statistics() {
    }

    public static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    public static double standardDeviation(double[] x) {
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        double m = mean(x);
        double ss = 0;
        for (double v : x) {
            ss += (v - m) * (v - m);
        }
        return Math.sqrt(ss / (n - 1));
    }

    /**
     * The lower quartile (25th percentile, linear interpolation). For single-operation times on a shared machine,
     * interference only ever adds time, so a low quantile estimates the undisturbed cost far more steadily than the
     * mean, while still moving with any change that slows every operation.
     */
    public static double lowerQuartile(double[] x) {
        return quantile(x, 0.25);
    }

    /** The {@code q} quantile (0 to 1, linear interpolation between order statistics); NaN for no samples. */
    public static double quantile(double[] x, double q) {
        if (x.length == 0) {
            return Double.NaN;
        }
        double[] s = x.clone();
        Arrays.sort(s);
        double at = q * (s.length - 1);
        int lo = (int) Math.floor(at);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (at - lo) * (s[hi] - s[lo]);
    }

    /** Half-width of the two-sided confidence interval of the mean (Student's t, n - 1 degrees of freedom); NaN below 2 samples. */
    public static double confidenceHalfWidth(double[] x, double level) {
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        return tQuantile(n - 1, level) * standardDeviation(x) / Math.sqrt(n);
    }

    private static double tQuantile(int degreesOfFreedom, double level) {
        return TDistribution.of(degreesOfFreedom).inverseSurvivalProbability((1 - level) / 2);
    }

    /** Two-sided p-value of the Mann-Whitney U test: exact for small samples without ties, else asymptotic with tie correction. */
    public static double mannWhitneyP(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            return 1;
        }
        return MANN_WHITNEY.test(a, b).getPValue();
    }

    /**
     * The smallest two-sided p-value the Mann-Whitney U test can give for samples of {@code n} and {@code m}: both
     * completely separated, 2 / C(n + m, n). With 3 + 3 samples that is 0.10, so no change is significant at 0.05.
     */
    public static double smallestMannWhitneyP(int n, int m) {
        double combinations = 1;
        for (int i = 1; i <= Math.min(n, m); i++) {
            combinations = combinations * (n + m - Math.min(n, m) + i) / i;
        }
        return Math.min(1, 2 / combinations);
    }

    /**
     * Paired comparison of interleaved rounds: {@code head[i] / base[i]} per round, analysed on the log scale (a
     * one-sample t-test of the log ratios against 0), so slow drift of the machine that both sides of a round share
     * cancels. The ratio is the geometric mean of the per-round ratios, with its confidence interval.
     */
    public static Paired paired(double[] base, double[] head, double level) {
        if (base.length != head.length || base.length == 0) {
            throw new IllegalArgumentException("paired samples need equal, non-zero counts");
        }
        int n = base.length;
        double[] logs = new double[n];
        for (int i = 0; i < n; i++) {
            logs[i] = Math.log(head[i] / base[i]);
        }
        double m = mean(logs);
        if (n < 2) {
            return new Paired(Math.exp(m), Double.NaN, Double.NaN, 1, n);
        }
        double sd = standardDeviation(logs);
        if (!(sd > 1e-12 * Math.max(1, Math.abs(m)))) {
            // Identical ratios in every round (allocation counts): a deterministic change, or none.
            double r = Math.exp(m);
            return new Paired(r, r, r, Math.abs(m) < 1e-12 ? 1 : 0, n);
        }
        double half = tQuantile(n - 1, level) * sd / Math.sqrt(n);
        double p = T_TEST.test(logs).getPValue();
        return new Paired(Math.exp(m), Math.exp(m - half), Math.exp(m + half), p, n);
    }

    /** A paired comparison: the ratio head / base, its confidence interval, the p-value, and the number of rounds. */
    public record Paired(double ratio, double low, double high, double p, int rounds) {
    }
}
