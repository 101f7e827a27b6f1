package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.EmptyPast;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

/**
 * The dynamic cache of strategies {@code kv} and {@code hybrid}: its {@code present.*} outputs are pinned to buffers
 * this cache owns, so ONNX Runtime allocates nothing per step (onnxruntime-genai's loop binds presents it allocated
 * itself, a new one per step; these two buffer sets are allocated once per capacity). Two direct buffers per layer
 * for K and for V, sized by {@link #begin} for the sequence, take turns: a step reads the past from one, bound as a
 * tensor of exactly {@code [rows, kvHeads, length, headDim]}, and the graph writes the present, {@code [rows, kvHeads,
 * length + new, headDim]}, into the other; the present tensors then become the next step's past (ownership moves, no
 * copy). The graph still concatenates past and new into the present, as for {@code kv}. Every output is pinned, so
 * the step runs without an {@code OrtSession.Result} (the direct call where available).
 */
public final class PinnedKvCache extends CountingKvCache {
    private final OrtEnvironment env;
    private final KvLayout layout;
    private final EmptyPast empty;
    /** The two buffer sets that take turns, each of the same capacity; null until the first {@link #begin}. */
    private final PreallocatedKv[] sets = new PreallocatedKv[2];
    /** The buffer set that holds the past. */
    private int turn;
    private final OnnxTensor[] pastKeys;
    private final OnnxTensor[] pastValues;
    private final OnnxTensor[] presentKeys;
    private final OnnxTensor[] presentValues;

    public PinnedKvCache(OrtEnvironment env, KvLayout layout) {
        this.env = env;
        this.layout = layout;
        this.empty = new EmptyPast(env, layout.kvHeads(), layout.headDim());
        int n = layout.layers();
        pastKeys = new OnnxTensor[n];
        pastValues = new OnnxTensor[n];
        presentKeys = new OnnxTensor[n];
        presentValues = new OnnxTensor[n];
    }

    /**
     * Allocates both buffer sets when the rows change or need more positions than they hold; forgets the last sequence.
     * A present is a view of the first {@code rows * kvHeads * total * headDim} floats of its buffer.
     */
    @Override
    public boolean reservesCapacity() {
        return true;
    }

    @Override
    public void begin(int rows, int positions) throws OrtException {
        reset();
        if (sets[0] == null || rows != sets[0].rows || positions > sets[0].capacity) {
            releaseBuffers();
            for (int t = 0; t < 2; t++) {
                sets[t] = new PreallocatedKv(env, layout, rows, positions);
            }
        }
    }

    @Override
    public long bytesHeld() {
        return sets[0] == null ? 0 : 2 * sets[0].bytes();
    }

    private void releaseBuffers() {
        for (int t = 0; t < 2; t++) {
            if (sets[t] != null) {
                sets[t].close();
                sets[t] = null;
            }
        }
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        int total = columns() + newTokens;
        PreallocatedKv next = sets[1 - turn];
        next.checkRoom(columns(), newTokens);
        closeAll(presentKeys, presentValues); // left over from a step that failed
        long[] shape = {rows.count(), layout.kvHeads(), total, layout.headDim()};
        int size = Math.toIntExact(Tensors.elements(shape));
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), columns() == 0 ? empty.forRows(rows.count()) : pastKeys[i]);
                step.borrow(slot.pastValue(), columns() == 0 ? empty.forRows(rows.count()) : pastValues[i]);
            }
            presentKeys[i] = Tensors.floats(env, next.keyBuffers[i], 0, size, shape);
            presentValues[i] = Tensors.floats(env, next.valueBuffers[i], 0, size, shape);
            step.pin(slot.presentKey(), presentKeys[i]);
            step.pin(slot.presentValue(), presentValues[i]);
        }
        if (step.accepts(IoNames.ATTENTION_MASK)) {
            step.own(IoNames.ATTENTION_MASK, rows.mask(step.env(), total));
        }
    }

    /** The presents become the past: the old past views are closed, the buffer sets swap turns. */
    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) {
        closeAll(pastKeys, pastValues);
        System.arraycopy(presentKeys, 0, pastKeys, 0, presentKeys.length);
        System.arraycopy(presentValues, 0, pastValues, 0, presentValues.length);
        java.util.Arrays.fill(presentKeys, null);
        java.util.Arrays.fill(presentValues, null);
        turn = 1 - turn;
        // The graph's concatenation writes the whole present.
        advance(newTokens, (long) rows.count() * (columns() + newTokens) * layout.floatsPerPosition() * Float.BYTES);
    }

    private static void closeAll(OnnxTensor[] keys, OnnxTensor[] values) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
                keys[i] = null;
                values[i] = null;
            }
        }
    }

    @Override
    public void reset() {
        closeAll(pastKeys, pastValues);
        closeAll(presentKeys, presentValues);
        turn = 0;
        super.reset();
    }

    @Override
    public void close() {
        reset();
        releaseBuffers();
        empty.close();
    }
}
