package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.KvbenchException;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.Tensors;

import java.nio.FloatBuffer;

/**
 * Fixed-capacity key and value buffers, one direct buffer per layer for K and for V, [rows, kvHeads, capacity, headDim],
 * with the tensors over them created once. Shared by the static strategies; they differ in who writes new entries.
 * The owner closes it (the tensors; the buffers go with the garbage collector).
 */
final class PreallocatedKv implements AutoCloseable {
    final KvLayout layout;
    final int rows;
    final int capacity;
    /** Per layer: the key and value buffers and the tensors over them. */
    final Layer[] layers;

    /** One layer's buffers, [rows, kvHeads, capacity, headDim] each, and the tensors over them (closed by {@link #close}). */
    record Layer(FloatBuffer keyBuffer, FloatBuffer valueBuffer, OnnxTensor key, OnnxTensor value) {
    }

    PreallocatedKv(OrtEnvironment env, KvLayout layout, int rows, int capacity) throws OrtException {
        if (capacity < 1) {
            throw new KvbenchException("cache capacity must be at least 1, got " + capacity);
        }
        this.layout = layout;
        this.rows = rows;
        this.capacity = capacity;
        int n = layout.layers();
        layers = new Layer[n];
        long[] shape = {rows, layout.kvHeads(), capacity, layout.headDim()};
        long size = Tensors.elements(shape);
        if (size * Float.BYTES > Integer.MAX_VALUE) {
            throw new KvbenchException(rows + " rows of cache capacity " + capacity + " need " + size * Float.BYTES
                    + " bytes per layer buffer, more than one direct buffer holds (2 GiB)");
        }
        for (int i = 0; i < n; i++) {
            FloatBuffer k = Tensors.directFloats(size);
            FloatBuffer v = Tensors.directFloats(size);
            layers[i] = new Layer(k, v, OnnxTensor.createTensor(env, k, shape), OnnxTensor.createTensor(env, v, shape));
        }
    }

    /** Bytes of the key and value buffers of every layer. */
    long bytes() {
        return (long) rows * capacity * layout.floatsPerPosition() * Float.BYTES;
    }

    /** Whether these buffers are the ones for {@code rows} rows of {@code capacity} positions. */
    boolean fits(int rows, int capacity) {
        return this.rows == rows && this.capacity == capacity;
    }

    /** Fails with a clear message, before anything runs, when a step would write past the end. */
    void checkRoom(int length, int newTokens) {
        if ((long) length + newTokens > capacity) {
            throw new KvbenchException("KV cache capacity " + capacity + " exceeded: " + length + " cached + "
                    + newTokens + " new positions (raise --cache-capacity)");
        }
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            if (l != null) {
                l.key().close();
                l.value().close();
            }
        }
    }
}
