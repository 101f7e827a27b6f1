package dev.kvbench.runtime;

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

    /** A zero-length past, [rows, kvHeads, 0, headDim]: what the first step of a cached model takes. */
    public static OnnxTensor emptyPast(OrtEnvironment env, long rows, long kvHeads, long headDim) throws OrtException {
        return OnnxTensor.createTensor(env, directFloats(0), new long[] {rows, kvHeads, 0, headDim});
    }

    private static LongBuffer ones = directLongs(0);

    /** An attention mask of ones, [rows, columns], over a shared read-only buffer. */
    public static OnnxTensor ones(OrtEnvironment env, int rows, int columns) throws OrtException {
        int n = Math.multiplyExact(rows, columns);
        return longs(env, ones(n), 0, n, rows, columns);
    }

    private static synchronized LongBuffer ones(int length) {
        if (ones.capacity() < length) {
            LongBuffer grown = directLongs(Math.max(length, 2L * ones.capacity()));
            for (int i = 0; i < grown.capacity(); i++) {
                grown.put(i, 1L);
            }
            ones = grown;
        }
        return ones;
    }

    public static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
