package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

import java.nio.IntBuffer;

/**
 * The {@code static-gqa} strategy's cache, onnxruntime-genai's in-place cache for
 * {@code com.microsoft.GroupQueryAttention} ({@code model_gqa.onnx}): the same preallocated tensor is bound as
 * {@code past_key_values.i.*} and pinned as {@code present.i.*}, so the op writes the new entries in place;
 * {@code seqlens_k} (length - 1) and {@code total_sequence_length} tell it how many positions are valid, and attention
 * covers only those. No KV memory is allocated or copied per step; buffers are allocated by {@link #begin} when the
 * capacity changes.
 */
public final class StaticGqaKvCache extends CountingKvCache {
    private final OrtEnvironment env;
    private final KvLayout layout;
    private final IntBuffer seqlens = Tensors.directInts(1);
    private final IntBuffer total = Tensors.directInts(1);
    private final OnnxTensor seqlensTensor;
    private final OnnxTensor totalTensor;
    private PreallocatedKv kv;

    public StaticGqaKvCache(OrtEnvironment env, KvLayout layout) throws OrtException {
        this.env = env;
        this.layout = layout;
        this.seqlensTensor = OnnxTensor.createTensor(env, seqlens, new long[] {1});
        this.totalTensor = OnnxTensor.createTensor(env, total, new long[0]);
    }

    @Override
    public void begin(int capacity) throws OrtException {
        if (kv == null || kv.capacity != capacity) {
            if (kv != null) {
                kv.close();
                kv = null;
            }
            kv = new PreallocatedKv(env, layout, capacity);
        }
        reset();
    }

    @Override
    public void bind(StepBinding step, int newTokens) {
        int length = length();
        kv.checkRoom(length, newTokens);
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            step.borrow(slot.pastKey(), kv.keys[i]);
            step.borrow(slot.pastValue(), kv.values[i]);
            step.pin(slot.presentKey(), kv.keys[i]);
            step.pin(slot.presentValue(), kv.values[i]);
        }
        seqlens.put(0, length + newTokens - 1);
        total.put(0, length + newTokens);
        step.borrow(IoNames.SEQLENS_K, seqlensTensor);
        step.borrow(IoNames.TOTAL_SEQUENCE_LENGTH, totalTensor);
    }

    @Override
    public void update(StepBinding step, int newTokens) {
        advance(newTokens, (long) newTokens * layout.floatsPerPosition() * Float.BYTES);
    }

    @Override
    public void close() {
        if (kv != null) {
            kv.close();
        }
        seqlensTensor.close();
        totalTensor.close();
    }
}
