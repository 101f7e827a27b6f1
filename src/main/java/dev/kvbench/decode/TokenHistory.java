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
    private final LongBuffer lastId = Tensors.directLongs(1);
    private final LongBuffer lastPosition = Tensors.directLongs(1);
    private OnnxTensor lastIdTensor;
    private OnnxTensor lastPositionTensor;

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

    /** The last token as a [1, 1] tensor reused by every decode step (owned here: closed by {@link #close()}). */
    OnnxTensor lastId(OrtEnvironment env) throws OrtException {
        if (lastIdTensor == null) {
            lastIdTensor = OnnxTensor.createTensor(env, lastId, new long[] {1, 1});
        }
        lastId.put(0, ids.get(length - 1));
        return lastIdTensor;
    }

    /** The last token's position as a reused [1, 1] tensor. */
    OnnxTensor lastPosition(OrtEnvironment env) throws OrtException {
        if (lastPositionTensor == null) {
            lastPositionTensor = OnnxTensor.createTensor(env, lastPosition, new long[] {1, 1});
        }
        lastPosition.put(0, length - 1);
        return lastPositionTensor;
    }

    void close() {
        if (lastIdTensor != null) {
            lastIdTensor.close();
        }
        if (lastPositionTensor != null) {
            lastPositionTensor.close();
        }
    }
}
