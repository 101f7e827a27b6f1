package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtEnvironment;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

/**
 * The workaround: keep nothing. Every step feeds the whole history with a zero-length past (where the model
 * requires past inputs at all) and throws the presents away: stable, but O(n^2) work over a generation.
 */
public final class NoCache implements KvCache {
    private final KvLayout layout;
    private final OnnxTensor empty;

    public NoCache(OrtEnvironment env, KvLayout layout) throws OrtException {
        this.layout = layout;
        this.empty = Tensors.emptyPast(env, layout.kvHeads(), layout.headDim());
    }

    @Override
    public void begin(int capacity) {
    }

    @Override
    public int length() {
        return 0;
    }

    @Override
    public void bind(StepBinding step, int newTokens) throws OrtException {
        for (KvLayout.Slot slot : layout.slots()) {
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), empty);
                step.borrow(slot.pastValue(), empty);
            }
        }
        if (step.accepts(IoNames.ATTENTION_MASK)) {
            step.own(IoNames.ATTENTION_MASK, Tensors.onesMask(step.env(), newTokens));
        }
    }

    @Override
    public void update(StepBinding step, int newTokens) {
    }

    @Override
    public void reset() {
    }

    @Override
    public long bytesCopiedLastStep() {
        return 0;
    }

    @Override
    public void close() {
        empty.close();
    }
}
