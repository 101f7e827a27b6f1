package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.FloatBuffer;

/**
 * A pinned {@code logits} output over one reusable direct buffer. Reading an output with {@code getFloatBuffer()}
 * copies the whole [1, seq, vocab] tensor to the heap; with this sink ONNX Runtime writes into our buffer and only
 * the last row is read. The buffer grows (doubling) when a longer step comes; the tensor for a given length is reused.
 */
public final class LogitsSink implements AutoCloseable {
    private final OrtEnvironment env;
    private final int vocab;
    private FloatBuffer buffer;
    private OnnxTensor tensor;
    private int tensorRows = -1;

    public LogitsSink(OrtEnvironment env, int vocab, int initialRows) {
        this.env = env;
        this.vocab = vocab;
        this.buffer = Tensors.directFloats((long) Math.max(1, initialRows) * vocab);
    }

    /** The output tensor to pin for a step that feeds {@code rows} tokens. */
    public OnnxTensor forRows(int rows) throws OrtException {
        if (rows == tensorRows) {
            return tensor;
        }
        if ((long) rows * vocab > buffer.capacity()) {
            long need = Math.max((long) rows * vocab, 2L * buffer.capacity());
            buffer = Tensors.directFloats(need);
        }
        closeTensor();
        tensor = Tensors.floats(env, buffer, 0, rows * vocab, 1, rows, vocab);
        tensorRows = rows;
        return tensor;
    }

    /** Logit of {@code token} in the last row written. */
    public float last(int token) {
        return buffer.get((tensorRows - 1) * vocab + token);
    }

    /** Logit of {@code token} in row {@code row} of the last step. */
    public float at(int row, int token) {
        return buffer.get(row * vocab + token);
    }

    public int vocab() {
        return vocab;
    }

    public int rows() {
        return tensorRows;
    }

    private void closeTensor() {
        if (tensor != null) {
            tensor.close();
            tensor = null;
        }
    }

    @Override
    public void close() {
        closeTensor();
        tensorRows = -1;
    }
}
