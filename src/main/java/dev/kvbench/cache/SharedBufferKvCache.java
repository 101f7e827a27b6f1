package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

import java.nio.IntBuffer;

/**
 * onnxruntime-genai's in-place cache for {@code com.microsoft.GroupQueryAttention} ({@code model_gqa.onnx}): the
 * same preallocated tensor is bound as {@code past_key_values.i.*} and pinned as {@code present.i.*}, so the op
 * writes the new entries in place; {@code seqlens_k} (length - 1) and {@code total_sequence_length} tell it how
 * many positions are valid, and attention covers only those. No KV memory is allocated or copied per step.
 */
public final class SharedBufferKvCache extends CountingKvCache {
    static final String SEQLENS_K = "seqlens_k";
    static final String TOTAL_SEQUENCE_LENGTH = "total_sequence_length";
    private final PreallocatedKv kv;
    private final IntBuffer seqlens = Tensors.directInts(1);
    private final IntBuffer total = Tensors.directInts(1);
    private final OnnxTensor seqlensTensor;
    private final OnnxTensor totalTensor;

    public SharedBufferKvCache(StepBinding step, KvLayout layout, int capacity) throws OrtException {
        this.kv = new PreallocatedKv(step.env(), layout, capacity);
        this.seqlensTensor = OnnxTensor.createTensor(step.env(), seqlens, new long[] {1});
        this.totalTensor = OnnxTensor.createTensor(step.env(), total, new long[0]);
    }

    @Override
    public void bind(StepBinding step, int newTokens) {
        int length = length();
        kv.checkRoom(length, newTokens);
        for (int i = 0; i < kv.layout.layers(); i++) {
            KvLayout.Slot slot = kv.layout.slots().get(i);
            step.borrow(slot.pastKey(), kv.keys[i]);
            step.borrow(slot.pastValue(), kv.values[i]);
            step.pin(slot.presentKey(), kv.keys[i]);
            step.pin(slot.presentValue(), kv.values[i]);
        }
        seqlens.put(0, length + newTokens - 1);
        total.put(0, length + newTokens);
        step.borrow(SEQLENS_K, seqlensTensor);
        step.borrow(TOTAL_SEQUENCE_LENGTH, totalTensor);
    }

    @Override
    public void update(OrtSession.Result result, int newTokens) {
        KvCache.release(result);
        advance(newTokens, (long) newTokens * kv.layout.floatsPerPosition() * Float.BYTES);
    }

    @Override
    public void close() {
        kv.close();
        seqlensTensor.close();
        totalTensor.close();
    }
}
