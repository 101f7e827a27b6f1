package dev.kvbench.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;

/**
 * Tensors over direct buffers. ONNX Runtime Java wraps a direct, native-order buffer without copying it, so
 * a tensor made here is a view: writing the buffer changes what the next {@code run} sees.
 */
public final class Tensors {
    private Tensors() {
    }

    public static FloatBuffer directFloats(long count) {
        return directBytes(count * Float.BYTES).asFloatBuffer();
    }

    /** A direct buffer of {@code count} bytes in native order (its {@code asFloatBuffer()} views are native too). */
    public static ByteBuffer directBytes(long count) {
        return ByteBuffer.allocateDirect(Math.toIntExact(count)).order(ByteOrder.nativeOrder());
    }

    public static LongBuffer directLongs(long count) {
        return ByteBuffer.allocateDirect(Math.toIntExact(count * Long.BYTES)).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    public static IntBuffer directInts(long count) {
        return ByteBuffer.allocateDirect(Math.toIntExact(count * Integer.BYTES)).order(ByteOrder.nativeOrder()).asIntBuffer();
    }

    /** A view of {@code [from, to)} of a direct buffer, as a tensor of the given shape. */
    public static OnnxTensor longs(OrtEnvironment env, LongBuffer buffer, int from, int to, long... shape) throws OrtException {
        return OnnxTensor.createTensor(env, buffer.duplicate().position(from).limit(to).slice(), shape);
    }

    public static OnnxTensor floats(OrtEnvironment env, FloatBuffer buffer, int from, int to, long... shape) throws OrtException {
        return OnnxTensor.createTensor(env, buffer.duplicate().position(from).limit(to).slice(), shape);
    }

    /** A zero-length float32 past, [rows, kvHeads, 0, headDim]: what the first step of a cached model takes. */
    public static OnnxTensor emptyPast(OrtEnvironment env, long rows, long kvHeads, long headDim) throws OrtException {
        return emptyPast(env, rows, kvHeads, headDim, OnnxJavaType.FLOAT);
    }

    /** A zero-length past of {@code element}s (float32, float16, int8, ...), [rows, kvHeads, 0, headDim]. */
    public static OnnxTensor emptyPast(OrtEnvironment env, long rows, long kvHeads, long headDim, OnnxJavaType element)
            throws OrtException {
        return OnnxTensor.createTensor(env, directBytes(0), new long[] {rows, kvHeads, 0, headDim}, element);
    }

    /**
     * A new tensor holding a copy of {@code t}'s values, of its element type and shape, whoever owns {@code t}; the
     * caller closes the copy.
     */
    public static OnnxTensor copy(OrtEnvironment env, OnnxTensor t) throws OrtException {
        ByteBuffer bytes = t.getByteBuffer(); // a heap copy
        return fromBytes(env, bytes.array(), t.getInfo().type, t.getInfo().getShape());
    }

    /**
     * A new tensor of {@code copies} rows, each a copy of {@code t}'s one row (its first dimension 1): what every row of a
     * batch starting from one prefix reads. The caller closes it; {@code t} is unchanged.
     */
    public static OnnxTensor repeatRows(OrtEnvironment env, OnnxTensor t, int copies) throws OrtException {
        long[] shape = t.getInfo().getShape();
        if (shape.length == 0 || shape[0] != 1) {
            throw new IllegalArgumentException("repeat a tensor of one row, not " + java.util.Arrays.toString(shape));
        }
        byte[] row = t.getByteBuffer().array(); // a heap copy
        ByteBuffer direct = directBytes((long) row.length * copies);
        for (int r = 0; r < copies; r++) {
            direct.put(row);
        }
        direct.rewind();
        long[] repeated = shape.clone();
        repeated[0] = copies;
        return OnnxTensor.createTensor(env, direct, repeated, t.getInfo().type);
    }

    /**
     * A tensor of {@code element}s over a new direct copy of {@code bytes} (values in native order, as ONNX Runtime
     * wrote them). ORT Java 1.29 cannot take a heap buffer for float16, hence the copy made here.
     */
    public static OnnxTensor fromBytes(OrtEnvironment env, byte[] bytes, OnnxJavaType element, long... shape)
            throws OrtException {
        ByteBuffer direct = directBytes(bytes.length);
        direct.put(bytes).rewind();
        return OnnxTensor.createTensor(env, direct, shape, element);
    }

    /**
     * A view of the first {@code shape}-many {@code element}s of a direct, native-order buffer, as a tensor of that
     * shape: writing the buffer changes what the tensor holds.
     */
    public static OnnxTensor view(OrtEnvironment env, ByteBuffer bytes, OnnxJavaType element, long... shape)
            throws OrtException {
        return view(env, bytes, 0, element, shape);
    }

    /** A tensor over the elements of a direct byte buffer from byte {@code offset} on: a view, the caller closes it. */
    public static OnnxTensor view(OrtEnvironment env, ByteBuffer bytes, int offset, OnnxJavaType element, long... shape)
            throws OrtException {
        int size = Math.toIntExact(elements(shape) * element.size);
        return OnnxTensor.createTensor(env, bytes.duplicate().position(offset).limit(offset + size).slice()
                .order(bytes.order()), shape, element);
    }

    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
