package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.FloatBuffer;

/**
 * A pinned {@code logits} output, [rows, columns, vocab], over one reusable direct buffer. Reading an output with
 * {@code getFloatBuffer()} copies the whole tensor to the heap; with this sink ONNX Runtime writes into our buffer and
 * only the rows needed are read. The buffer grows (doubling) when a larger step comes; the tensor for a given shape is
 * reused. The decoding loop {@link #select}s a row's position before a {@code NextToken} reads it with {@link #get}.
 */
public final class LogitsSink implements AutoCloseable {
    private final OrtEnvironment env;
    private final int vocab;
    private FloatBuffer buffer;
    private OnnxTensor tensor;
    private int tensorRows = -1;
    private int tensorColumns = -1;
    private int selected;

    public LogitsSink(OrtEnvironment env, int vocab, int initialRows) {
        this.env = env;
        this.vocab = vocab;
        this.buffer = Tensors.directFloats((long) Math.max(1, initialRows) * vocab);
    }

    /** The output tensor to pin for a step that feeds {@code columns} tokens to each of {@code rows} rows. */
    public OnnxTensor forStep(int rows, int columns) throws OrtException {
        if (rows == tensorRows && columns == tensorColumns) {
            return tensor;
        }
        long floats = (long) rows * columns * vocab;
        if (floats > buffer.capacity()) {
            buffer = Tensors.directFloats(Math.max(floats, 2L * buffer.capacity()));
        }
        tensor = Closeables.close(tensor);
        tensor = Tensors.floats(env, buffer, 0, Math.toIntExact(floats), rows, columns, vocab);
        tensorRows = rows;
        tensorColumns = columns;
        return tensor;
    }

    /** Points {@link #get} at column {@code column} of row {@code row} of the last step. */
    public LogitsSink select(int row, int column) {
        selected = (row * tensorColumns + column) * vocab;
        return this;
    }

    /** Logit of {@code token} at the selected position. */
    public float get(int token) {
        return buffer.get(selected + token);
    }

    /** Logit of {@code token} at column {@code column} of row {@code row} of the last step. */
    public float at(int row, int column, int token) {
        return buffer.get((row * tensorColumns + column) * vocab + token);
    }

    public int vocab() {
        return vocab;
    }

    /** Columns of the last step. */
    public int columns() {
        return tensorColumns;
    }

    @Override
    public void close() {
        tensor = Closeables.close(tensor);
        tensorRows = -1;
        tensorColumns = -1;
    }
}
