package dev.kvbench.serve;

/**
 * What one request saw, in nanoseconds from the run's start: when it arrived, when its decoding started (its prompt's
 * step), when each of its tokens came out, and the tokens; the rows its steps had on average (itself included); for
 * each gap between two of its tokens, whether another request's prompt was computed in it (a join's prefill); and
 * whether its client cancelled it (then it has fewer tokens than it asked for); the prompt tokens a prompt cache
 * reused from what another request left in a slot (0 without one).
 */
public record Served(Workload.Request request, long startNanos, long[] tokenNanos, int[] tokens, double rows,
                     boolean[] gapHadPrefill, boolean cancelled, int reusedTokens) {

    public long queueNanos() {
        return startNanos - request.arrivalNanos();
    }

    /** Time to first token: from arrival to the first token. */
    public long ttftNanos() {
        return tokenNanos[0] - request.arrivalNanos();
    }

    /** End to end: from arrival to the last token. */
    public long e2eNanos() {
        return tokenNanos[tokenNanos.length - 1] - request.arrivalNanos();
    }

    /** Time per output token after the first: (last - first) / (tokens - 1); 0 for one token. */
    public double tpotNanos() {
        return tokenNanos.length < 2 ? 0 : (double) (tokenNanos[tokenNanos.length - 1] - tokenNanos[0]) / (tokenNanos.length - 1);
    }

    /** The gaps between consecutive tokens (inter-token latencies). */
    public long[] interTokenNanos() {
        long[] gaps = new long[Math.max(0, tokenNanos.length - 1)];
        for (int i = 0; i < gaps.length; i++) {
            gaps[i] = tokenNanos[i + 1] - tokenNanos[i];
        }
        return gaps;
    }
}
