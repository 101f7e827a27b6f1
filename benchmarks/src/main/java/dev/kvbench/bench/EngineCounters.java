package dev.kvbench.bench;

import dev.kvbench.decode.BatchResult;
import dev.kvbench.decode.GenerationResult;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary results beside the time: the nanoseconds spent inside {@code OrtSession.run} and in whole steps, the
 * tokens generated (all rows of a batch), the KV bytes the cache copied, and the positions computed, of which padding
 * (holes of shorter prompts, rows that had stopped). Engine overhead = 1 - runNanos / stepNanos, padding share =
 * paddingPositions / computedPositions; JMH sums these per iteration, so ratios of them are exact.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class EngineCounters {
    public long runNanos;
    public long stepNanos;
    public long tokens;
    public long kvBytes;
    public long computedPositions;
    public long paddingPositions;

    @Setup(Level.Iteration)
    public void clear() {
        runNanos = 0;
        stepNanos = 0;
        tokens = 0;
        kvBytes = 0;
        computedPositions = 0;
        paddingPositions = 0;
    }

    void add(GenerationResult r) {
        runNanos += r.totalRunNanos();
        stepNanos += r.totalStepNanos();
        tokens += r.tokens().length;
        kvBytes += r.kvBytesCopied();
    }

    void add(BatchResult r) {
        add(r.row(0));
        tokens += r.generatedTokens() - r.tokens()[0].length;
        computedPositions += r.computedPositions();
        paddingPositions += r.paddingPositions();
    }
}
