package dev.kvbench.cache;

import ai.onnxruntime.OrtException;
import dev.kvbench.runtime.StepBinding;

/**
 * No cache while the sequence is shorter than a threshold T, then one pass over the whole sequence with an empty
 * past builds the cache, and the dynamic cache of {@code kv} ({@link DynamicKvCache}) takes over. Useful where the first steps of a short
 * sequence are cheaper without the cache's bookkeeping.
 */
public final class HybridKvCache implements KvCache {
    private final int threshold;
    private final NoCache below;
    private final DynamicKvCache above;

    public HybridKvCache(int threshold, NoCache below, DynamicKvCache above) {
        this.threshold = threshold;
        this.below = below;
        this.above = above;
    }

    /** The cache that serves a step feeding {@code newTokens} tokens from the current state. */
    private KvCache active(int newTokens) {
        return above.columns() == 0 && newTokens < threshold ? below : above;
    }

    @Override
    public void begin(int rows, int capacity) throws OrtException {
        below.begin(rows, capacity);
        above.begin(rows, capacity);
    }

    @Override
    public boolean reservesCapacity() {
        return above.reservesCapacity();
    }

    @Override
    public int columns() {
        return above.columns();
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        active(newTokens).bind(step, rows, newTokens);
    }

    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        active(newTokens).update(step, rows, newTokens);
    }

    /** Below the threshold nothing is kept; once kv's cache has started, it rewinds (to nothing: no-cache again). */
    @Override
    public void rewind(BatchRows rows, int columns) throws OrtException {
        if (above.columns() > 0) {
            if (columns == 0) {
                above.reset();
            } else {
                above.rewind(rows, columns);
            }
        }
    }

    /** kv's cache takes the rows, empty below the threshold (its buffers sized for them). */
    @Override
    public void repeat(int copies) throws OrtException {
        above.repeat(copies);
    }

    @Override
    public void reset() {
        above.reset();
    }

    @Override
    public long kvBytesCopiedLastStep() {
        return above.kvBytesCopiedLastStep();
    }

    @Override
    public long bytesHeld() {
        return above.bytesHeld();
    }

    @Override
    public void close() {
        below.close();
        above.close();
    }
}
