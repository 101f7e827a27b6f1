package dev.kvbench.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.lang.management.ManagementFactory;

/**
 * Heap bytes this thread allocated inside measured steps only. A single-shot operation of a few steps is too short for
 * {@code -prof gc} to be read per step: its {@code gc.alloc.rate.norm} also counts the iteration's setup (the
 * prefill) and JMH's own bookkeeping. A separate state, so that benchmarks that do not measure it report no zero.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class StepHeapCounter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    public long heapBytes;
    private long start;

    @Setup(Level.Iteration)
    public void clear() {
        heapBytes = 0;
    }

    /** Marks the start of a measured region. */
    void start() {
        start = THREADS.getCurrentThreadAllocatedBytes();
    }

    /** Adds what was allocated since {@link #start()}. */
    void stop() {
        heapBytes += THREADS.getCurrentThreadAllocatedBytes() - start;
    }
}
