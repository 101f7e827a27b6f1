package dev.kvbench.cache;


import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.InvalidSettingException;
import dev.kvbench.KvbenchException;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.Tensors;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Fixed-capacity key and value buffers, one direct buffer per layer for K and for V, [rows, kvHeads, capacity, headDim],
 * of the layout's element type (float32, or int8 for a quantized GroupQueryAttention cache), with the tensors over them
 * created once. Shared by the static strategies; they differ in who writes new entries. The owner closes it (the
 * tensors; the buffers go with the garbage collector).
 */
final class PreallocatedKv implements AutoCloseable {
    final KvLayout layout;
    final int rows;
    final int capacity;
    /** Per layer: the key and value buffers and the tensors over them. */
    final Layer[] layers;

    /**
     * One layer's buffers, [rows, kvHeads, capacity, headDim] each, and the tensors over them (closed by {@link #close}).
     * The bytes are the memory; the float buffers are views of them, meaningful when the cache holds float32.
     */
    record Layer(ByteBuffer keyBytes, ByteBuffer valueBytes, FloatBuffer keyBuffer, FloatBuffer valueBuffer, OnnxTensor key,
                 OnnxTensor value) {
    }

    PreallocatedKv(OrtEnvironment env, KvLayout layout, int rows, int capacity) throws OrtException {
        if (capacity < 1) {
            throw InvalidSettingException.of(InvalidSettingException.Setting.CACHE_CAPACITY, " must be at least 1, got " + capacity);
        }
        this.layout = layout;
        this.rows = rows;
        this.capacity = capacity;
        int n = layout.layers();
        layers = new Layer[n];
        long[] shape = {rows, layout.kvHeads(), capacity, layout.headDim()};
        long size = Tensors.elements(shape);
        long bytes = size * layout.elementBytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new KvbenchException(rows + " rows of cache capacity " + capacity + " need " + bytes
                    + " bytes per layer buffer, more than one direct buffer holds (2 GiB)");
        }
        for (int i = 0; i < n; i++) {
            ByteBuffer k = Tensors.directBytes(bytes);
            ByteBuffer v = Tensors.directBytes(bytes);
            OnnxTensor kt = null;
            try {
                kt = OnnxTensor.createTensor(env, k, shape, layout.element());
                layers[i] = new Layer(k, v, k.asFloatBuffer(), v.asFloatBuffer(), kt,
                        OnnxTensor.createTensor(env, v, shape, layout.element()));
            } catch (OrtException | RuntimeException e) {
                if (kt != null) {
                    kt.close();
                }
                close();
                throw e;
            }
        }
    }

    /**
     * A tensor over the first {@code shape}-many elements of layer {@code layer}'s key (or value) buffer: a view, the
     * caller closes it. float32 goes through the float view, which allocates less per call than a byte view (one
     * buffer object fewer on ONNX Runtime Java's side): this is made every step by the pinned cache.
     */
    OnnxTensor view(OrtEnvironment env, int layer, boolean key, long[] shape) throws OrtException {
        Layer l = layers[layer];
        if (layout.element() == ai.onnxruntime.OnnxJavaType.FLOAT) {
            return Tensors.floats(env, key ? l.keyBuffer() : l.valueBuffer(), 0, Math.toIntExact(Tensors.elements(shape)),
                    shape);
        }
        return Tensors.view(env, key ? l.keyBytes() : l.valueBytes(), layout.element(), shape);
    }

    /**
     * A tensor over rows {@code [from, from + rows)} of layer {@code layer}'s key (or value) buffer, [rows, kvHeads,
     * capacity, headDim]: a view (writes through it land in those rows), the caller closes it. A batch of slots steps
     * over its occupied first rows; a joining prompt is computed into its own row.
     */
    OnnxTensor rowsView(OrtEnvironment env, int layer, boolean key, int from, int rows) throws OrtException {
        Layer l = layers[layer];
        long rowBytes = (long) layout.kvHeads() * capacity * layout.headDim() * layout.elementBytes();
        return Tensors.view(env, key ? l.keyBytes() : l.valueBytes(), Math.toIntExact(from * rowBytes), layout.element(),
                rows, layout.kvHeads(), capacity, layout.headDim());
    }

    /** Copies the first {@code columns} positions of row {@code from} into row {@code to}, every layer, keys and values. */
    void copyRow(int from, int to, int columns) {
        checkRoom(0, columns);
        int block = layout.headDim() * layout.elementBytes();
        int stride = capacity * block;
        int heads = layout.kvHeads();
        for (Layer l : layers) {
            for (int h = 0; h < heads; h++) {
                l.keyBytes().put((to * heads + h) * stride, l.keyBytes(), (from * heads + h) * stride, columns * block);
                l.valueBytes().put((to * heads + h) * stride, l.valueBytes(), (from * heads + h) * stride, columns * block);
            }
        }
    }

    /**
     * New buffers of {@code copies} rows and this capacity, each row a copy of the first {@code columns} positions of
     * this one's only row. {@code packed}: the positions are kept as {@code [rows, kvHeads, columns, headDim]} at the
     * start of the buffer (the dynamic cache's presents), else at the capacity's stride. The caller closes both.
     */
    PreallocatedKv repeated(OrtEnvironment env, int copies, int columns, boolean packed) throws OrtException {
        if (rows != 1) {
            throw new IllegalStateException("repeats one row, not " + rows);
        }
        PreallocatedKv to = new PreallocatedKv(env, layout, copies, capacity);
        int block = layout.headDim() * layout.elementBytes();
        int stride = (packed ? columns : capacity) * block;
        int heads = layout.kvHeads();
        for (int i = 0; i < layers.length; i++) {
            for (int r = 0; r < copies; r++) {
                for (int h = 0; h < heads; h++) {
                    int at = (r * heads + h) * stride;
                    to.layers[i].keyBytes().put(at, layers[i].keyBytes(), h * stride, columns * block);
                    to.layers[i].valueBytes().put(at, layers[i].valueBytes(), h * stride, columns * block);
                }
            }
        }
        return to;
    }

    /** Bytes of the key and value buffers of every layer. */
    long bytes() {
        return (long) rows * capacity * layout.bytesPerPosition();
    }

    /** Whether these buffers are the ones for {@code rows} rows of {@code capacity} positions. */
    boolean fits(int rows, int capacity) {
        return this.rows == rows && this.capacity == capacity;
    }

    /** Fails with a clear message, before anything runs, when a step would write past the end. */
    void checkRoom(int length, int newTokens) {
        if ((long) length + newTokens > capacity) {
            throw new CapacityExceededException("KV cache capacity " + capacity + " exceeded: " + length + " cached + "
                    + newTokens + " new positions (raise the ", capacity, (long) length + newTokens, ")");
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
