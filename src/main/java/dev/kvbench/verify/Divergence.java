package dev.kvbench.verify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How far a strategy's (or dtype's) next-token distributions are from the reference's, in the terms users compare
 * accuracy in (llama.cpp's {@code perplexity --kl-divergence}, Hugging Face's quantized-cache benchmark):
 *
 * @param meanKl           mean over steps of KL(reference || this), in nats
 * @param p99Kl            its 99th percentile over steps (nearest rank)
 * @param rmsDeltaP        root mean square of the change in the reference token's probability
 * @param matchingMean     mean over prompts of the free-running matching prefix: greedy tokens that equal the
 *                         reference's before the first difference (teacher forcing along the reference's greedy tokens
 *                         feeds the same context up to then, so it is the free-running prefix)
 * @param matchingMin      its minimum over prompts
 * @param steps            the steps each prompt ran (the matching prefix of a prompt without a difference)
 */
public record Divergence(double meanKl, double p99Kl, double rmsDeltaP, double matchingMean, int matchingMin, int steps) {
    /** For an outcome that did not run. */
    public static final Divergence NONE = new Divergence(Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, 0);

    /** Collects steps and prompts. Not thread-safe. */
    public static final class Accumulator {
        private final List<Double> kl = new ArrayList<>();
        private double squaredDeltaP;
        private final List<Integer> matching = new ArrayList<>();
        private int promptFirst = -1;
        private int steps;

        /**
         * One step: the reference's logits, this side's, and the reference's (greedy) token at this step, {@code step}
         * the index within the prompt.
         */
        public void step(float[] reference, float[] mine, int referenceToken, int step) {
            double[] p = logSoftmax(reference);
            double[] q = logSoftmax(mine);
            double d = 0;
            for (int t = 0; t < p.length; t++) {
                double pt = Math.exp(p[t]);
                if (pt > 0) {
                    d += pt * (p[t] - q[t]);
                }
            }
            kl.add(Math.max(0, d)); // rounding can leave -1e-17 where the two are equal
            double delta = Math.exp(q[referenceToken]) - Math.exp(p[referenceToken]);
            squaredDeltaP += delta * delta;
            if (promptFirst < 0 && StrategyCheck.argmax(mine) != referenceToken) {
                promptFirst = step;
            }
            steps = Math.max(steps, step + 1);
        }

        /** Ends a prompt of {@code steps} steps. */
        public void endPrompt(int steps) {
            matching.add(promptFirst < 0 ? steps : promptFirst);
            promptFirst = -1;
        }

        public Divergence result() {
            if (kl.isEmpty()) {
                return NONE;
            }
            double[] sorted = kl.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double mean = Arrays.stream(sorted).sum() / sorted.length;
            double p99 = sorted[Math.max(0, (int) Math.ceil(0.99 * sorted.length) - 1)];
            return new Divergence(mean, p99, Math.sqrt(squaredDeltaP / sorted.length),
                    matching.stream().mapToInt(Integer::intValue).average().orElse(Double.NaN),
                    matching.stream().mapToInt(Integer::intValue).min().orElse(-1), steps);
        }
    }

    /** log of the sum of exp(row), computed stably (the largest value taken out first). */
    static double logSumExp(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : row) {
            sum += Math.exp(v - max);
        }
        return max + Math.log(sum);
    }

    /** log softmax of a row, computed stably. */
    static double[] logSoftmax(float[] row) {
        double log = logSumExp(row);
        double[] out = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            out[i] = row[i] - log;
        }
        return out;
    }
}
