package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.StepOutputs;
import dev.kvbench.runtime.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * The dynamic cache with presents that ONNX Runtime allocates (strategy {@code kv-alloc}, {@code kv} without pinned outputs):
 * the {@code present.*} outputs of one step are bound as the next step's {@code past_key_values.*} without leaving
 * native memory. The graph concatenates past and new entries into a fresh tensor each step; the cache takes the
 * presents from the step ({@code StepBinding.keep()}) and closes the previous ones when the next arrive. Kept to
 * measure what {@link DynamicKvCache} saves.
 */
public final class AllocatedKvCache extends CountingKvCache {
    private final OrtEnvironment env;
    private final KvLayout layout;
    private final EmptyPast empty;
    /** Per layer, views of the presents in {@code held}, which owns them; or, after a rewind, tensors this cache owns. */
    private final LayerKv[] past;
    private StepOutputs held;
    /** Whether {@link #past} holds this cache's own tensors (a rewind's crop) rather than views of {@link #held}. */
    private boolean pastOwned;

    public AllocatedKvCache(OrtEnvironment env, KvLayout layout) {
        this.env = env;
        this.layout = layout;
        this.empty = new EmptyPast(env, layout);
        this.past = LayerKv.forLayers(layout.layers());
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), columns() == 0 ? empty.forRows(rows.count()) : past[i].key());
                step.borrow(slot.pastValue(), columns() == 0 ? empty.forRows(rows.count()) : past[i].value());
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

    /**
     * The kept columns of every row and head, copied out of ONNX Runtime's presents into tensors this cache owns (the
     * presents are released).
     */
    @Override
    public void rewind(BatchRows rows, int columns) throws OrtException {
        int kept = columns();
        if (columns == kept) {
            return;
        }
        if (columns == 0) {
            closeHeld();
            keepColumns(0);
            return;
        }
        int block = layout.headDim() * layout.elementBytes();
        int heads = rows.count() * layout.kvHeads();
        long[] shape = {rows.count(), layout.kvHeads(), columns, layout.headDim()};
        byte[][] k = new byte[past.length][];
        byte[][] v = new byte[past.length][];
        for (int i = 0; i < past.length; i++) {
            k[i] = CopyingKvCache.crop(bytes(past[i].key()), heads, kept, columns, block);
            v[i] = CopyingKvCache.crop(bytes(past[i].value()), heads, kept, columns, block);
        }
        closeHeld();
        for (int i = 0; i < past.length; i++) {
            past[i].set(Tensors.fromBytes(env, k[i], layout.element(), shape),
                    Tensors.fromBytes(env, v[i], layout.element(), shape));
        }
        pastOwned = true;
        keepColumns(columns);
    }

    /** The past of every layer repeated into tensors this cache owns (the presents are released). */
    @Override
    public void repeat(int copies) throws OrtException {
        if (columns() == 0) {
            return;
        }
        List<OnnxTensor> made = new ArrayList<>(); // keys and values, layer by layer
        try {
            for (LayerKv l : past) {
                made.add(Tensors.repeatRows(env, l.key(), copies));
                made.add(Tensors.repeatRows(env, l.value(), copies));
            }
        } catch (OrtException | RuntimeException e) {
            Closeables.closeAll(made, e);
            throw e;
        }
        closeHeld();
        for (int i = 0; i < past.length; i++) {
            past[i].set(made.get(2 * i), made.get(2 * i + 1));
        }
        pastOwned = true;
    }

    private static byte[] bytes(OnnxTensor t) {
        java.nio.ByteBuffer b = t.getByteBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    @Override
    public long bytesHeld() {
        if (columns() == 0) {
            return 0;
        }
        long bytes = 0;
        for (LayerKv l : past) {
            bytes += 2 * l.key().getInfo().getNumElements() * Float.BYTES; // keys, and values of the same shape
        }
        return bytes;
    }

    private void closeHeld() {
        if (pastOwned) {
            LayerKv.closeAll(past);
            pastOwned = false;
        } else {
            LayerKv.forgetAll(past);
        }
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
