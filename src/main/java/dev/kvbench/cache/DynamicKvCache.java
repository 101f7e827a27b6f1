package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;

/**
 * The dynamic cache (Hugging Face's {@code DynamicCache}: the graph concatenates past and new into the present) of
 * strategy {@code kv}, and of {@code hybrid} above its threshold; {@code kv-alloc} ({@link AllocatedKvCache}) and
 * {@code kv-copy} ({@link CopyingKvCache}) are its ablations, which differ only in where the presents live. Here its
 * {@code present.*} outputs are pinned to buffers this cache owns, so ONNX Runtime allocates nothing per step
 * (onnxruntime-genai's loop binds presents it allocated itself, a new one per step; these two buffer sets are allocated
 * once per capacity). Two direct buffers per layer for K and for V, sized by {@link #begin} for the sequence, take
 * turns: a step reads the past from one, bound as a tensor of exactly {@code [rows, kvHeads, columns, headDim]}, and
 * the graph writes the present, {@code [rows, kvHeads, columns + new, headDim]}, into the other; the present tensors
 * then become the next step's past (ownership moves, no copy). Every output is pinned, so the step runs without an
 * {@code OrtSession.Result} (the direct call where available).
 */
public final class DynamicKvCache extends CountingKvCache {
    private final OrtEnvironment env;
    private final KvLayout layout;
    private final EmptyPast empty;
    /** The two buffer sets that take turns, each of the same capacity; null until the first {@link #begin}. */
    private final PreallocatedKv[] sets = new PreallocatedKv[2];
    /** The buffer set that holds the past. */
    private int turn;
    /** Per layer, views of the buffer set that holds the past, and of the one the step writes; they swap after a step. */
    private LayerKv[] past;
    private LayerKv[] present;

    public DynamicKvCache(OrtEnvironment env, KvLayout layout) {
        this.env = env;
        this.layout = layout;
        this.empty = new EmptyPast(env, layout);
        this.past = LayerKv.forLayers(layout.layers());
        this.present = LayerKv.forLayers(layout.layers());
    }

    /**
     * Allocates both buffer sets when the rows change or need more positions than they hold; forgets the last sequence.
     * A present is a view of the first {@code rows * kvHeads * total * headDim} elements of its buffer.
     */
    @Override
    public boolean reservesCapacity() {
        return true;
    }

    @Override
    public void begin(int rows, int capacity) throws OrtException {
        reset();
        if (sets[0] == null || rows != sets[0].rows || capacity > sets[0].capacity) {
            closeBuffers();
            for (int t = 0; t < 2; t++) {
                sets[t] = new PreallocatedKv(env, layout, rows, capacity);
            }
        }
    }

    @Override
    public long bytesHeld() {
        return sets[0] == null ? 0 : 2 * sets[0].bytes();
    }

    private void closeBuffers() {
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
        LayerKv.closeAll(present); // left over from a step that failed
        long[] shape = {rows.count(), layout.kvHeads(), total, layout.headDim()};
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            if (step.accepts(slot.pastKey())) {
                step.borrow(slot.pastKey(), columns() == 0 ? empty.forRows(rows.count()) : past[i].key());
                step.borrow(slot.pastValue(), columns() == 0 ? empty.forRows(rows.count()) : past[i].value());
            }
            present[i].set(next.view(env, i, true, shape), next.view(env, i, false, shape));
            step.pin(slot.presentKey(), present[i].key());
            step.pin(slot.presentValue(), present[i].value());
        }
        if (step.accepts(IoNames.ATTENTION_MASK)) {
            step.own(IoNames.ATTENTION_MASK, rows.mask(step.env(), total));
        }
    }

    /** The past is a view of the first {@code columns} positions of the buffer set whose turn it is. */
    @Override
    public void assume(BatchRows rows, int columns) throws OrtException {
        PreallocatedKv held = sets[turn];
        held.checkRoom(columns, 1);
        long[] shape = {rows.count(), layout.kvHeads(), columns, layout.headDim()};
        for (int i = 0; i < layout.layers(); i++) {
            past[i].set(held.view(env, i, true, shape), held.view(env, i, false, shape));
        }
        advance(columns, 0);
    }

    /**
     * The past is {@code [rows, kvHeads, columns, headDim]} at the start of the held buffer set: the first
     * {@code columns} positions of every row and head are copied, packed, into the other set, which takes its turn.
     */
    @Override
    public void rewind(BatchRows rows, int columns) throws OrtException {
        int held = columns();
        if (columns == held) {
            return;
        }
        LayerKv.closeAll(past);
        if (columns > 0) {
            PreallocatedKv from = sets[turn];
            PreallocatedKv to = sets[1 - turn];
            int block = layout.headDim() * layout.elementBytes();
            int heads = rows.count() * layout.kvHeads();
            long[] shape = {rows.count(), layout.kvHeads(), columns, layout.headDim()};
            for (int i = 0; i < layout.layers(); i++) {
                for (int h = 0; h < heads; h++) {
                    to.layers[i].keyBytes().put(h * columns * block, from.layers[i].keyBytes(), h * held * block,
                            columns * block);
                    to.layers[i].valueBytes().put(h * columns * block, from.layers[i].valueBytes(), h * held * block,
                            columns * block);
                }
            }
            turn = 1 - turn;
            for (int i = 0; i < layout.layers(); i++) {
                past[i].set(to.view(env, i, true, shape), to.view(env, i, false, shape));
            }
        }
        keepColumns(columns);
    }

    /**
     * Both buffer sets again for {@code copies} rows; the past, packed at the start of the held set, copied into each
     * row of the new held set.
     */
    @Override
    public void repeat(int copies) throws OrtException {
        int columns = columns();
        PreallocatedKv held = sets[turn].repeated(env, copies, columns, true);
        PreallocatedKv other;
        try {
            other = new PreallocatedKv(env, layout, copies, held.capacity);
        } catch (OrtException | RuntimeException e) {
            held.close();
            throw e;
        }
        LayerKv.closeAll(past);
        LayerKv.closeAll(present);
        closeBuffers();
        sets[turn] = held;
        sets[1 - turn] = other;
        if (columns > 0) {
            long[] shape = {copies, layout.kvHeads(), columns, layout.headDim()};
            for (int i = 0; i < layout.layers(); i++) {
                past[i].set(held.view(env, i, true, shape), held.view(env, i, false, shape));
            }
        }
    }

    /** The presents become the past: the old past views are closed, the buffer sets swap turns. */
    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) {
        LayerKv.closeAll(past);
        LayerKv[] emptied = past;
        past = present; // ownership moves: the presents are the past now
        present = emptied;
        turn = 1 - turn;
        // The graph's concatenation writes the whole present.
        advance(newTokens, (long) rows.count() * (columns() + newTokens) * layout.bytesPerPosition());
    }

    @Override
    public void reset() {
        LayerKv.closeAll(past);
        LayerKv.closeAll(present);
        turn = 0;
        super.reset();
    }

    @Override
    public void close() {
        reset();
        closeBuffers();
        empty.close();
    }
}
