package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtEnvironment;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.cache.EmptyPast;
import dev.kvbench.runtime.StepBinding;

import dev.kvbench.runtime.Tensors;

/**
 * The same dynamic cache, kept in Java arrays: every step copies each {@code present.*} tensor out to a
 * {@code byte[]} (the values at the cache's element size) and builds new input tensors from those arrays (a second
 * copy, into native memory).
 * This is the approach that was slow and fragile in practice; it is kept so its cost can be measured.
 */
public final class CopyingKvCache extends CountingKvCache {
    private final KvLayout layout;
    private final EmptyPast empty;
    private final byte[][] keys;
    private final byte[][] values;

    public CopyingKvCache(OrtEnvironment env, KvLayout layout) {
        this.layout = layout;
        this.empty = new EmptyPast(env, layout);
        this.keys = new byte[layout.layers()][];
        this.values = new byte[layout.layers()][];
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        long[] shape = {rows.count(), layout.kvHeads(), columns(), layout.headDim()};
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            if (step.accepts(slot.pastKey())) {
                if (columns() == 0) {
                    step.borrow(slot.pastKey(), empty.forRows(rows.count()));
                    step.borrow(slot.pastValue(), empty.forRows(rows.count()));
                } else {
                    step.own(slot.pastKey(), Tensors.fromBytes(step.env(), keys[i], layout.element(), shape));
                    step.own(slot.pastValue(), Tensors.fromBytes(step.env(), values[i], layout.element(), shape));
                }
            }
            step.request(slot.presentKey());
            step.request(slot.presentValue());
        }
        if (step.accepts(IoNames.ATTENTION_MASK)) {
            step.own(IoNames.ATTENTION_MASK, rows.mask(step.env(), columns() + newTokens));
        }
    }

    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        // Copies out of the step's outputs, which the step closes when it ends.
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            keys[i] = step.output(slot.presentKey()).getByteBuffer().array();
            values[i] = step.output(slot.presentValue()).getByteBuffer().array();
        }
        // ONNX Runtime's concatenation, the copy out to the heap, and the copy back into a new native tensor.
        advance(newTokens, 3L * rows.count() * (columns() + newTokens) * layout.bytesPerPosition());
    }

    /** The kept columns of every row and head, copied out of the arrays into new ones. */
    @Override
    public void rewind(BatchRows rows, int columns) {
        int held = columns();
        int block = layout.headDim() * layout.elementBytes();
        int heads = rows.count() * layout.kvHeads();
        for (int i = 0; i < keys.length && columns < held; i++) {
            keys[i] = crop(keys[i], heads, held, columns, block);
            values[i] = crop(values[i], heads, held, columns, block);
        }
        keepColumns(columns);
    }

    /** Every layer's arrays hold the one row {@code copies} times. */
    @Override
    public void repeat(int copies) {
        for (int i = 0; i < keys.length && columns() > 0; i++) {
            keys[i] = repeated(keys[i], copies);
            values[i] = repeated(values[i], copies);
        }
    }

    private static byte[] repeated(byte[] row, int copies) {
        byte[] to = new byte[row.length * copies];
        for (int r = 0; r < copies; r++) {
            System.arraycopy(row, 0, to, r * row.length, row.length);
        }
        return to;
    }

    /** {@code [heads, held, block]} bytes to {@code [heads, columns, block]}. */
    static byte[] crop(byte[] from, int heads, int held, int columns, int block) {
        byte[] to = new byte[heads * columns * block];
        for (int h = 0; h < heads; h++) {
            System.arraycopy(from, h * held * block, to, h * columns * block, columns * block);
        }
        return to;
    }

    @Override
    public long bytesHeld() {
        long bytes = 0;
        for (int i = 0; i < keys.length; i++) {
            bytes += keys[i] == null ? 0 : (long) keys[i].length + values[i].length;
        }
        return bytes;
    }

    @Override
    public void reset() {
        super.reset();
        java.util.Arrays.fill(keys, null);
        java.util.Arrays.fill(values, null);
    }

    @Override
    public void close() {
        empty.close();
    }
}
