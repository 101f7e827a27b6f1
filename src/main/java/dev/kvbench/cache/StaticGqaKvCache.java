package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

import java.nio.IntBuffer;
import java.util.Optional;

/**
 * The {@code static-gqa} strategy's cache, onnxruntime-genai's in-place cache for
 * {@code com.microsoft.GroupQueryAttention} ({@code model_gqa.onnx}): the same preallocated tensor is bound as
 * {@code past_key_values.i.*} and pinned as {@code present.i.*}, so the op writes the new entries in place;
 * {@code seqlens_k} (length - 1) and {@code total_sequence_length} tell it how many positions are valid, and attention
 * covers only those. Rows of a batch each have their own valid length ({@link BatchRows#length}): the prompt step feeds
 * right-padded prompts (ONNX Runtime's first-prompt case, {@code total_sequence_length} = the fed columns), and each
 * later step writes every row's new entry at that row's own position, so holes never enter the cache. No KV memory is
 * allocated or copied per step; buffers are allocated by {@link #begin} when the
 * capacity changes.
 */
public final class StaticGqaKvCache extends CountingKvCache {
    private final OrtEnvironment env;
    private final KvLayout layout;
    private final IntBuffer total = Tensors.directInts(1);
    private final OnnxTensor totalTensor;
    private final IntBuffer rowSeqlens = Tensors.directInts(1);
    private final OnnxTensor rowSeqlensTensor;
    private IntBuffer seqlens;
    private OnnxTensor seqlensTensor;
    private PreallocatedKv kv;

    public StaticGqaKvCache(OrtEnvironment env, KvLayout layout) throws OrtException {
        this.env = env;
        this.layout = layout;
        this.totalTensor = OnnxTensor.createTensor(env, total, new long[0]);
        OnnxTensor one = null;
        try {
            one = OnnxTensor.createTensor(env, rowSeqlens, new long[] {1});
        } finally {
            if (one == null) {
                totalTensor.close();
            }
        }
        this.rowSeqlensTensor = one;
    }

    @Override
    public boolean reservesCapacity() {
        return true;
    }

    @Override
    public void begin(int rows, int capacity) throws OrtException {
        if (kv == null || !kv.fits(rows, capacity)) {
            closeBuffers();
            use(new PreallocatedKv(env, layout, rows, capacity));
        }
        reset();
    }

    /** Takes {@code buffers} as the cache's, with sequence lengths for its rows. */
    private void use(PreallocatedKv buffers) throws OrtException {
        kv = buffers;
        seqlens = Tensors.directInts(buffers.rows);
        seqlensTensor = OnnxTensor.createTensor(env, seqlens, new long[] {buffers.rows});
    }

    /** Several new columns over a past: ONNX Runtime's GroupQueryAttention takes them for one row only. */
    @Override
    public boolean extendsSeveralRows() {
        return false;
    }

    /** Buffers of {@code copies} rows, the held positions copied into each; the lengths come from the history. */
    @Override
    public void repeat(int copies) throws OrtException {
        PreallocatedKv to = kv.repeated(env, copies, columns(), false);
        closeBuffers();
        use(to);
    }

    @Override
    public long bytesHeld() {
        return kv == null ? 0 : kv.bytes();
    }

    private void closeBuffers() {
        if (kv != null) {
            kv.close();
            seqlensTensor.close();
            kv = null;
        }
    }

    /**
     * Binds the buffers as past and present, each row's length and the longest. A batch of fewer rows than the buffers
     * (a batch of slots stepping over its occupied prefix: {@link BatchRows#count()} below the slots) binds views of
     * the first rows, closed with the step.
     */
    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        kv.checkRoom(rows.longest() - newTokens, newTokens); // rows keep their own lengths: the longest must fit
        int n = rows.count();
        boolean prefix = n < kv.rows;
        if (prefix) {
            bindViews(step, 0, n);
        } else {
            for (int i = 0; i < layout.layers(); i++) {
                KvLayout.Slot slot = layout.slots().get(i);
                step.borrow(slot.pastKey(), kv.layers[i].key());
                step.borrow(slot.pastValue(), kv.layers[i].value());
                step.pin(slot.presentKey(), kv.layers[i].key());
                step.pin(slot.presentValue(), kv.layers[i].value());
            }
        }
        for (int r = 0; r < n; r++) {
            seqlens.put(r, rows.length(r) - 1);
        }
        // The longest row; at the prompt step that is the columns fed, by which ONNX Runtime tells the first prompt.
        total.put(0, rows.longest());
        if (prefix) {
            step.own(IoNames.SEQLENS_K, OnnxTensor.createTensor(env, seqlens.duplicate().position(0).limit(n).slice(),
                    new long[] {n}));
        } else {
            step.borrow(IoNames.SEQLENS_K, seqlensTensor);
        }
        step.borrow(IoNames.TOTAL_SEQUENCE_LENGTH, totalTensor);
    }

    /** Each row has its own length ({@code seqlens_k}): a row's slot can take a new prompt while the others decode. */
    @Override
    public boolean admitsRows() {
        return true;
    }

    /**
     * Row {@code row}'s slot as a one-row cache (views of the row's part of every buffer, closed with the step) over its
     * first {@code past} positions: with none, ONNX Runtime's first-prompt case ({@code total_sequence_length} = the
     * columns fed); with some, several new tokens over a past, which GroupQueryAttention takes for one row. The entries
     * land at the slot's positions past..past+newTokens-1.
     */
    @Override
    public void bindRow(StepBinding step, int row, int past, int newTokens) throws OrtException {
        if (row < 0 || row >= kv.rows || past < 0) {
            throw new IllegalArgumentException("row " + row + " of " + kv.rows + ", past " + past);
        }
        kv.checkRoom(past, newTokens);
        bindViews(step, row, 1);
        rowSeqlens.put(0, past + newTokens - 1);
        total.put(0, past + newTokens);
        step.borrow(IoNames.SEQLENS_K, rowSeqlensTensor);
        step.borrow(IoNames.TOTAL_SEQUENCE_LENGTH, totalTensor);
    }

    /** One row's first positions copied into another's, no graph run (a prompt cache across requests). */
    @Override
    public void copyRow(int from, int to, int columns) {
        if (from < 0 || to < 0 || from >= kv.rows || to >= kv.rows || from == to) {
            throw new IllegalArgumentException("copy row " + from + " to " + to + " of " + kv.rows);
        }
        kv.copyRow(from, to, columns);
    }

    /** Views of rows {@code [from, from + rows)} of every buffer as past and present, the same tensor for both (closed with the step). */
    private void bindViews(StepBinding step, int from, int rows) throws OrtException {
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            OnnxTensor key = kv.rowsView(env, i, true, from, rows);
            step.pinOwned(slot.presentKey(), key);
            step.borrow(slot.pastKey(), key);
            OnnxTensor value = kv.rowsView(env, i, false, from, rows);
            step.pinOwned(slot.presentValue(), value);
            step.borrow(slot.pastValue(), value);
        }
    }

    /** The buffers' first {@code columns} positions of every row count as written; bind sets each row's length. */
    @Override
    public void assume(BatchRows rows, int columns) {
        kv.checkRoom(columns, 1);
        advance(columns, 0);
    }

    /** Each row's length comes from the history at the next bind: only the count is kept; the op overwrites the rest. */
    @Override
    public void rewind(BatchRows rows, int columns) {
        keepColumns(columns);
    }

    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) {
        advance(newTokens, (long) rows.count() * newTokens * layout.bytesPerPosition());
    }

    /** A float cache's buffers keep the last generation's entries until the next one writes: readable back. */
    @Override
    public Optional<CacheContents> contents() {
        return layout.floatCache() ? Optional.of(this::channelAbsMax) : Optional.empty();
    }

    /**
     * The largest |value| per channel ({@code kvHeads x headDim}, row-major) of one layer's keys or values over the
     * first {@code positions} positions of row 0, read from the buffers (which keep the last generation's entries until
     * the next one writes): what the calibration of an int8 cache measures. A float cache (float32 or float16) only.
     */
    private float[] channelAbsMax(int layer, boolean keys, int positions) {
        if (kv == null || !layout.floatCache() || positions > kv.capacity) {
            throw new IllegalStateException("no float entries for " + positions + " positions to read");
        }
        java.nio.ByteBuffer bytes = keys ? kv.layers[layer].keyBytes() : kv.layers[layer].valueBytes();
        java.nio.FloatBuffer floats = bytes.asFloatBuffer();
        java.nio.ShortBuffer halves = bytes.asShortBuffer();
        boolean half = layout.element() == ai.onnxruntime.OnnxJavaType.FLOAT16;
        int hd = layout.headDim();
        float[] max = new float[layout.kvHeads() * hd];
        for (int h = 0; h < layout.kvHeads(); h++) {
            for (int p = 0; p < positions; p++) {
                int at = (h * kv.capacity + p) * hd;
                for (int d = 0; d < hd; d++) {
                    float v = half ? ai.onnxruntime.platform.Fp16Conversions.fp16ToFloat(halves.get(at + d))
                            : floats.get(at + d);
                    max[h * hd + d] = Math.max(max[h * hd + d], Math.abs(v));
                }
            }
        }
        return max;
    }

    @Override
    public void close() {
        closeBuffers();
        totalTensor.close();
        rowSeqlensTensor.close();
    }
}
