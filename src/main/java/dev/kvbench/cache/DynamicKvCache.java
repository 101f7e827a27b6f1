package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

/**
 * The dynamic cache, zero-copy: the {@code present.*} outputs of one step are bound as the next step's
 * {@code past_key_values.*} without leaving native memory. The graph concatenates past and new entries into a
 * fresh tensor each step; the previous step's result is closed when the next one arrives.
 */
public final class DynamicKvCache extends CountingKvCache {
    static final String ATTENTION_MASK = "attention_mask";
    private final KvLayout layout;
    private final OnnxTensor empty;
    private final OnnxTensor[] keys;
    private final OnnxTensor[] values;
    private OrtSession.Result held;

    public DynamicKvCache(StepBinding step, KvLayout layout) throws OrtException {
        this.layout = layout;
        this.empty = Tensors.emptyPast(step.env(), layout.kvHeads(), layout.headDim());
        this.keys = new OnnxTensor[layout.layers()];
        this.values = new OnnxTensor[layout.layers()];
    }

    @Override
    public void bind(StepBinding step, int newTokens) throws OrtException {
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), held == null ? empty : keys[i]);
                step.borrow(slot.pastValue(), held == null ? empty : values[i]);
            }
            step.request(slot.presentKey());
            step.request(slot.presentValue());
        }
        if (step.accepts(ATTENTION_MASK)) {
            step.own(ATTENTION_MASK, Tensors.onesMask(step.env(), length() + newTokens));
        }
    }

    @Override
    public void update(OrtSession.Result result, int newTokens) {
        release();
        held = result;
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            keys[i] = (OnnxTensor) result.get(slot.presentKey()).orElseThrow();
            values[i] = (OnnxTensor) result.get(slot.presentValue()).orElseThrow();
        }
        // The graph's concatenation writes the whole new cache.
        advance(newTokens, (long) (length() + newTokens) * layout.floatsPerPosition() * Float.BYTES);
    }

    private void release() {
        if (held != null) {
            held.close();
            held = null;
        }
    }

    @Override
    public void reset() {
        release();
        super.reset();
    }

    @Override
    public void close() {
        release();
        empty.close();
    }
}
