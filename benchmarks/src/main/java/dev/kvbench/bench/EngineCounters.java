package dev.kvbench.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary results beside the time: the nanoseconds spent inside {@code OrtSession.run} and in whole steps, the
 * tokens generated, and the KV bytes the cache copied. Engine overhead = 1 - runNanos / stepNanos; JMH sums these
 * per iteration, so ratios of them are exact.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class EngineCounters {
    public long runNanos;
    public long stepNanos;
    public long tokens;
    public long kvBytes;

    @Setup(Level.Iteration)
    public void clear() {
        runNanos = 0;
        stepNanos = 0;
        tokens = 0;
        kvBytes = 0;
    }

    void add(dev.kvbench.decode.GenerationResult r) {
        runNanos += r.totalRunNanos();
        stepNanos += r.totalStepNanos();
        tokens += r.tokens().length;
        kvBytes += r.kvBytesCopied();
    }
}
