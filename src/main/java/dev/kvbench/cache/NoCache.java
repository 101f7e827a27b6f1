package dev.kvbench.cache;

import ai.onnxruntime.OrtEnvironment;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.cache.EmptyPast;
import dev.kvbench.runtime.StepBinding;
import ai.onnxruntime.OrtException;

/**
 * The workaround: keep nothing. Every step feeds the whole history with a zero-length past (where the model
 * requires past inputs at all) and throws the presents away: stable, but O(n^2) work over a generation.
 */
public final class NoCache implements KvCache {
    private final KvLayout layout;
    private final EmptyPast empty;

    public NoCache(OrtEnvironment env, KvLayout layout) {
        this.layout = layout;
        this.empty = new EmptyPast(env, layout);
    }

    @Override
    public void begin(int rows, int capacity) {
    }

    @Override
    public void rewind(BatchRows rows, int columns) {
        // Nothing kept: every step feeds the whole history, which the caller has cut.
    }

    @Override
    public void repeat(int copies) {
        // Nothing kept: the history's rows are all there is.
    }

    @Override
    public int columns() {
        return 0;
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        for (KvLayout.Slot slot : layout.slots()) {
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), empty.forRows(rows.count()));
                step.borrow(slot.pastValue(), empty.forRows(rows.count()));
            }
        }
        if (step.accepts(IoNames.ATTENTION_MASK)) {
            step.own(IoNames.ATTENTION_MASK, rows.mask(step.env(), newTokens));
        }
    }

    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) {
    }

    @Override
    public void reset() {
    }

    @Override
    public long kvBytesCopiedLastStep() {
        return 0;
    }

    @Override
    public long bytesHeld() {
        return 0;
    }

    @Override
    public void close() {
        empty.close();
    }
}
