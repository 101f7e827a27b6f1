package dev.kvbench.decode;

/**
 * What a generation produced and what it cost: the generated ids (without prompt or decoder start token), why it
 * stopped, and per step the nanoseconds inside {@code OrtSession.run} and in the whole step, and the KV bytes the
 * cache copied.
 */
public record GenerationResult(int[] tokens, StopReason stopReason, long[] runNanos, long[] stepNanos, long kvBytesCopied) {

    public long totalRunNanos() {
        long s = 0;
        for (long n : runNanos) {
            s += n;
        }
        return s;
    }

    public long totalStepNanos() {
        long s = 0;
        for (long n : stepNanos) {
            s += n;
        }
        return s;
    }

    /** Share of step time spent outside {@code OrtSession.run}: the engine's own overhead. */
    public double overheadShare() {
        long total = totalStepNanos();
        return total == 0 ? 0 : (double) (total - totalRunNanos()) / total;
    }
}
