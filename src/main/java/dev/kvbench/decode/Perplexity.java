package dev.kvbench.decode;

import dev.kvbench.KvbenchException;
import dev.kvbench.runtime.LogitsSink;

/**
 * Perplexity of a token sequence under a decoder-only model (the re-ranking use case), computed two ways through
 * the same decoding loop: one forward pass over the whole text with an empty past (the no-cache strategy, every
 * row of the logits read), and incrementally, one token per step through a cache, each next token forced.
 */
public final class Perplexity {
    private Perplexity() {
    }

    /** Perplexity from one pass over {@code ids}; {@code generator} must use the no-cache strategy. */
    public static double fullPass(Generator generator, long[] ids) {
        check(generator, ids, Strategy.NO_CACHE);
        double[] nll = {0};
        generator.generate(ids, 1, true, (logits, step) -> {
            for (int row = 0; row < ids.length - 1; row++) {
                nll[0] -= logProb(logits, row, (int) ids[row + 1]);
            }
            return 0;
        }, null);
        return Math.exp(nll[0] / (ids.length - 1));
    }

    /** Perplexity from feeding {@code ids} one token at a time through {@code generator}'s cache. */
    public static double incremental(Generator generator, long[] ids) {
        check(generator, ids, null);
        double[] nll = {0};
        generator.generate(new long[] {ids[0]}, ids.length - 1, true, (logits, step) -> {
            int target = (int) ids[step + 1];
            nll[0] -= logProb(logits, logits.rows() - 1, target);
            return target;
        }, null);
        return Math.exp(nll[0] / (ids.length - 1));
    }

    private static void check(Generator generator, long[] ids, Strategy required) {
        if (generator.model().encoderDecoder()) {
            throw new KvbenchException("score supports decoder-only models");
        }
        if (ids.length < 2) {
            throw new KvbenchException("score needs at least 2 tokens, got " + ids.length);
        }
        if (required != null && generator.strategy() != required) {
            throw new IllegalArgumentException("full-pass perplexity needs the " + required + " strategy");
        }
    }

    /** log softmax(row)[token], in double precision. */
    static double logProb(LogitsSink logits, int row, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < logits.vocab(); t++) {
            max = Math.max(max, logits.at(row, t));
        }
        double sum = 0;
        for (int t = 0; t < logits.vocab(); t++) {
            sum += Math.exp(logits.at(row, t) - max);
        }
        return logits.at(row, token) - max - Math.log(sum);
    }
}
