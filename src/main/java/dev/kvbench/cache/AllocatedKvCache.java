package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtEnvironment;
import dev.kvbench.model.IoNames;
import dev.kvbench.runtime.StepOutputs;
import dev.kvbench.model.KvLayout;
import dev.kvbench.cache.EmptyPast;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.StepBinding;

/**
 * The dynamic cache with presents that ONNX Runtime allocates (strategy {@code kv-alloc}, {@code kv} without pinned outputs):
 * the {@code present.*} outputs of one step are bound as the next step's {@code past_key_values.*} without leaving
 * native memory. The graph concatenates past and new entries into a fresh tensor each step; the cache takes the
 * presents from the step ({@code StepBinding.keep()}) and closes the previous ones when the next arrive. Kept to
 * measure what {@link DynamicKvCache} saves.
 */
public final class AllocatedKvCache extends CountingKvCache {
    private final KvLayout layout;
    private final EmptyPast empty;
    /** Per layer, views of the presents in {@code held}, which owns them. */
    private final LayerKv[] past;
    private StepOutputs held;

    public AllocatedKvCache(OrtEnvironment env, KvLayout layout) {
        this.layout = layout;
        this.empty = new EmptyPast(env, layout);
        this.past = LayerKv.forLayers(layout.layers());
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), held == null ? empty.forRows(rows.count()) : past[i].key());
                step.borrow(slot.pastValue(), held == null ? empty.forRows(rows.count()) : past[i].value());
            }
            step.request(slot.presentKey());
            step.request(slot.presentValue());
        }
        if (step.accepts(IoNames.ATTENTION_MASK)) {
            step.own(IoNames.ATTENTION_MASK, rows.mask(step.env(), columns() + newTokens));
        }
    }

    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) {
        closeHeld();
        held = step.keep(); // present -> past: the outputs move here and are closed when the next ones arrive
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            past[i].set(held.tensor(slot.presentKey()), held.tensor(slot.presentValue()));
        }
        // The graph's concatenation writes the whole new cache.
        advance(newTokens, (long) rows.count() * (columns() + newTokens) * layout.bytesPerPosition());
    }

    @Override
    public long bytesHeld() {
        if (held == null) {
            return 0;
        }
        long bytes = 0;
        for (LayerKv l : past) {
            bytes += 2 * l.key().getInfo().getNumElements() * Float.BYTES; // keys, and values of the same shape
        }
        return bytes;
    }

    private void closeHeld() {
        LayerKv.forgetAll(past);
        held = Closeables.close(held);
    }

    @Override
    public void reset() {
        closeHeld();
        super.reset();
    }

    @Override
    public void close() {
        closeHeld();
        empty.close();
    }
}
