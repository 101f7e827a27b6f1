package dev.kvbench.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A pinned {@code logits} output, [rows, columns, vocab], over one reusable direct buffer. Reading an output with
 * {@code getFloatBuffer()} copies the whole tensor to the heap; with this sink ONNX Runtime writes into our buffer and
 * only the rows needed are read. The buffer grows (doubling) when a larger step comes; the tensor for a given shape is
 * reused. The decoding loop {@link #select}s a row's position before a {@code NextToken} reads it with {@link #get}.
 * Logits are float32, or float16 (fp16 and q4f16 graphs), which {@link #get} widens to float32 value by value.
 */
public final class LogitsSink implements AutoCloseable {
    private final OrtEnvironment env;
    private final int vocab;
    private final OnnxJavaType element;
    private final boolean half;
    private ByteBuffer bytes;
    private FloatBuffer floats;
    private ShortBuffer halves;
    private OnnxTensor tensor;
    private int tensorRows = -1;
    private int tensorColumns = -1;
    private int selected;

    /** A float32 sink. */
    public LogitsSink(OrtEnvironment env, int vocab, int initialRows) {
        this(env, vocab, initialRows, OnnxJavaType.FLOAT);
    }

    /** A sink for logits of {@code element} type: {@code FLOAT} or {@code FLOAT16}. */
    public LogitsSink(OrtEnvironment env, int vocab, int initialRows, OnnxJavaType element) {
        if (element != OnnxJavaType.FLOAT && element != OnnxJavaType.FLOAT16) {
            throw new IllegalArgumentException("logits of type " + element);
        }
        this.env = env;
        this.vocab = vocab;
        this.element = element;
        this.half = element == OnnxJavaType.FLOAT16;
        allocate((long) Math.max(1, initialRows) * vocab);
    }

    private void allocate(long values) {
        bytes = Tensors.directBytes(values * element.size);
        floats = half ? null : bytes.asFloatBuffer();
        halves = half ? bytes.asShortBuffer() : null;
    }

    private long capacity() {
        return bytes.capacity() / element.size;
    }

    /** The output tensor to pin for a step that feeds {@code columns} tokens to each of {@code rows} rows. */
    public OnnxTensor forStep(int rows, int columns) throws OrtException {
        if (rows == tensorRows && columns == tensorColumns) {
            return tensor;
        }
        long values = (long) rows * columns * vocab;
        if (values > capacity()) {
            allocate(Math.max(values, 2L * capacity()));
        }
        tensor = Closeables.close(tensor);
        tensor = Tensors.view(env, bytes, element, rows, columns, vocab);
        tensorRows = rows;
        tensorColumns = columns;
        return tensor;
    }

    /** Points {@link #get} at column {@code column} of row {@code row} of the last step. */
    public LogitsSink select(int row, int column) {
        selected = (row * tensorColumns + column) * vocab;
        return this;
    }

    /**
     * Whether a token can be chosen at the selected position: no logit NaN or +infinity, and not every one -infinity
     * (one token's -infinity, a masked token, is allowed). A graph whose weights hold NaNs, or a float16 graph that
     * overflowed, fails this at its first step. One pass over the row, no allocation.
     */
    public boolean selectedUsable() {
        boolean any = false;
        for (int t = 0; t < vocab; t++) {
            float x = value(selected + t);
            if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
                return false;
            }
            any |= x != Float.NEGATIVE_INFINITY;
        }
        return any;
    }

    /** Logit of {@code token} at the selected position. */
    public float get(int token) {
        return value(selected + token);
    }

    /** Logit of {@code token} at column {@code column} of row {@code row} of the last step. */
    public float at(int row, int column, int token) {
        return value((row * tensorColumns + column) * vocab + token);
    }

    private float value(int index) {
        return half ? Fp16Conversions.fp16ToFloat(halves.get(index)) : floats.get(index);
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
