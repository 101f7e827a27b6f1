package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.Tensors;

/**
 * A zero-length past, [rows, kvHeads, 0, headDim] of the cache's element type, for the current number of rows: what the first step of a cached
 * model takes (ONNX Runtime Java needs a direct buffer for it). Made again only when the row count changes; the owner
 * closes it.
 */
public final class EmptyPast implements AutoCloseable {
    private final OrtEnvironment env;
    private final long kvHeads;
    private final long headDim;
    private final ai.onnxruntime.OnnxJavaType element;
    private OnnxTensor tensor;
    private int rows;

    /** Empty pasts of the cache's shape and element type (float32, float16, int8, ...). */
    public EmptyPast(OrtEnvironment env, KvLayout layout) {
        this.env = env;
        this.kvHeads = layout.kvHeads();
        this.headDim = layout.headDim();
        this.element = layout.element();
    }

    /** The empty past for {@code rows} rows; a view owned here, valid until the row count changes or {@link #close()}. */
    public OnnxTensor forRows(int rows) throws OrtException {
        if (tensor == null || rows != this.rows) {
            close();
            tensor = Tensors.emptyPast(env, rows, kvHeads, headDim, element);
            this.rows = rows;
        }
        return tensor;
    }

    @Override
    public void close() {
        if (tensor != null) {
            tensor.close();
            tensor = null;
        }
    }
}
