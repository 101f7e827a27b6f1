package dev.kvbench.results;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.inference.MannWhitneyUTest;

import java.util.Arrays;

/** Sample statistics for comparing benchmark runs: mean with a t confidence interval, and the Mann-Whitney U test. */
public final class Statistics {
    private Statistics() {
    }

    public static double mean(double[] x) {
        return Arrays.stream(x).average().orElse(Double.NaN);
    }

    /** Half-width of the two-sided confidence interval of the mean (Student's t, n - 1 degrees of freedom). */
    public static double confidenceHalfWidth(double[] x, double level) {
        int n = x.length;
        if (n < 2) {
            return Double.NaN;
        }
        double m = mean(x);
        double ss = 0;
        for (double v : x) {
            ss += (v - m) * (v - m);
        }
        double sd = Math.sqrt(ss / (n - 1));
        double t = new TDistribution(n - 1).inverseCumulativeProbability(0.5 + level / 2);
        return t * sd / Math.sqrt(n);
    }

    /**
     * Two-sided p-value of the Mann-Whitney U test. Exact (the permutation distribution of U) for small samples
     * without ties, as benchstat does; otherwise the normal approximation with tie correction (commons-math3).
     */
    public static double mannWhitneyP(double[] a, double[] b) {
        if (a.length == 0 || b.length == 0) {
            return 1;
        }
        if (a.length + b.length <= 40 && !hasTies(a, b)) {
            return exactP(a, b);
        }
        return new MannWhitneyUTest().mannWhitneyUTest(a, b);
    }

    private static boolean hasTies(double[] a, double[] b) {
        double[] all = new double[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        Arrays.sort(all);
        for (int i = 1; i < all.length; i++) {
            if (all[i] == all[i - 1]) {
                return true;
            }
        }
        return false;
    }

    private static double exactP(double[] a, double[] b) {
        int m = a.length;
        int n = b.length;
        int u = 0;
        for (double x : a) {
            for (double y : b) {
                if (x > y) {
                    u++;
                }
            }
        }
        // counts[i][j][k]: arrangements of i a's and j b's with U = k, built up one element at a time.
        double[][] prev = new double[n + 1][];
        for (int j = 0; j <= n; j++) {
            prev[j] = new double[]{1};
        }
        for (int i = 1; i <= m; i++) {
            double[][] cur = new double[n + 1][];
            cur[0] = new double[]{1};
            for (int j = 1; j <= n; j++) {
                double[] c = new double[i * j + 1];
                double[] withoutA = cur[j - 1];   // last element is a b: U unchanged
                double[] withoutB = prev[j];      // last element is an a, above all j b's: U + j
                for (int k = 0; k < withoutA.length; k++) {
                    c[k] += withoutA[k];
                }
                for (int k = 0; k < withoutB.length; k++) {
                    c[k + j] += withoutB[k];
                }
                cur[j] = c;
            }
            prev = cur;
        }
        double[] dist = prev[n];
        double total = Arrays.stream(dist).sum();
        double lower = 0;
        double upper = 0;
        for (int k = 0; k < dist.length; k++) {
            if (k <= u) {
                lower += dist[k];
            }
            if (k >= u) {
                upper += dist[k];
            }
        }
        return Math.min(1, 2 * Math.min(lower, upper) / total);
    }
}
