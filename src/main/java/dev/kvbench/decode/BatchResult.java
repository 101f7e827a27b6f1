package dev.kvbench.decode;

/**
 * What a batched generation produced and what it cost: per row the generated ids (without prompt or decoder start
 * token) and why the row stopped; per step the nanoseconds inside {@code OrtSession.run} and in the whole step; the KV
 * bytes the cache copied; and the positions computed, of which padding: holes of shorter prompts and the columns of
 * rows that had already stopped.
 */
public record BatchResult(int[][] tokens, StopReason[] stopReasons, long[] runNanos, long[] stepNanos, long kvBytesCopied,
                          long computedPositions, long paddingPositions) {

    public int rows() {
        return tokens.length;
    }

    /** One row's result, with the batch's step times (each step served every row). */
    public GenerationResult row(int row) {
        return new GenerationResult(tokens[row], stopReasons[row], runNanos, stepNanos, kvBytesCopied);
    }

    /** Tokens generated over all rows. */
    public long generatedTokens() {
        long n = 0;
        for (int[] t : tokens) {
            n += t.length;
        }
        return n;
    }

    /** Share of the computed positions that were padding. */
    public double paddingShare() {
        return computedPositions == 0 ? 0 : (double) paddingPositions / computedPositions;
    }
}
