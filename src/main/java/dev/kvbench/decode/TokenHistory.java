package dev.kvbench.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.runtime.Tensors;

import java.nio.LongBuffer;

/**
 * The token ids of the sequence being decoded, and their positions, in direct buffers: a step's
 * {@code input_ids} and {@code position_ids} are views of a range of them, not copies.
 */
final class TokenHistory {
    private LongBuffer ids = Tensors.directLongs(0);
    private LongBuffer positions = Tensors.directLongs(0);
    private int length;

    void start(long[] initial, int capacity) {
        if (ids.capacity() < capacity) {
            ids = Tensors.directLongs(capacity);
            positions = Tensors.directLongs(capacity);
            for (int i = 0; i < capacity; i++) {
                positions.put(i, i);
            }
        }
        length = 0;
        for (long id : initial) {
            append(id);
        }
    }

    void append(long id) {
        ids.put(length++, id);
    }

    int length() {
        return length;
    }

    long get(int i) {
        return ids.get(i);
    }

    OnnxTensor ids(OrtEnvironment env, int from, int to) throws OrtException {
        return Tensors.longs(env, ids, from, to, 1, to - from);
    }

    OnnxTensor positions(OrtEnvironment env, int from, int to) throws OrtException {
        return Tensors.longs(env, positions, from, to, 1, to - from);
    }
}
