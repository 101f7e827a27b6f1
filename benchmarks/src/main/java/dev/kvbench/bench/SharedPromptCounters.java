package dev.kvbench.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Beside the time of a shared-prompt operation: the KV bytes the cache holds when it ends (the N rows' copies of the
 * prefix for a batch of candidates; what a preallocated cache keeps allocated), summed per operation.
 * {@code kvBytesHeld / operations} is the resident KV memory of one operation; JMH sums both per iteration.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class SharedPromptCounters {
    public long kvBytesHeld;
    public long operations;

    @Setup(Level.Iteration)
    public void clear() {
        kvBytesHeld = 0;
        operations = 0;
    }

    void add(long bytesHeld) {
        kvBytesHeld += bytesHeld;
        operations++;
    }
}
