package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;

/**
 * Measures the two limits of the roofline (results.Roofline) on this machine, single-threaded as the benchmarks run. Read bandwidth:
 * the faster of a vectorized Java sum over a 256 MB array and ONNX Runtime's matrix-vector product over a 256 MB
 * matrix ([1 x 4096] x [4096 x 16384], the kernel that streams a decode step's weights), each far beyond the caches,
 * best of 7. Multiply-add rate: ONNX Runtime's compute-bound MatMul ([512 x 1024] x [1024 x 1024]), best of 10 after
 * 3 warm-ups. One intra-op thread throughout; about three seconds.
 */
public final class MachineProbe {
    private static final int M = 512;
    private static final int K = 1024;
    private static final int N = 1024;

    private MachineProbe() {
    }

    /** The measured machine: bytes read per second by one core streaming memory, multiply-adds per second in a MatMul. */
    public record Limits(double readBytesPerSecond, double macsPerSecond) {
    }

    public static Limits measure() {
        return new Limits(Math.max(readBandwidth(), matmul(1, 4096, 16384, 7, true)), matmul(512, 1024, 1024, 10, false));
    }

    /** Bytes per second one thread reads when it streams a 256 MB int array. */
    static double readBandwidth() {
        int[] a = new int[64 << 20];
        Arrays.fill(a, 1);
        long best = Long.MAX_VALUE;
        long sink = 0;
        for (int pass = 0; pass < 7; pass++) {
            long t0 = System.nanoTime();
            sink += sum(a);
            best = Math.min(best, System.nanoTime() - t0);
        }
        if (sink != 7L * a.length) {
            throw new IllegalStateException("bandwidth probe: wrong sum " + sink);
        }
        return a.length * 4.0 / (best / 1e9);
    }

    private static int sum(int[] a) {
        int s = 0;
        for (int x : a) {
            s += x;
        }
        return s;
    }

    /**
     * ONNX Runtime's MatMul [m x k] x [k x n] on one thread, best of {@code runs} after 3 warm-ups: bytes of the
     * [k x n] operand read per second ({@code bytes}), else multiply-adds per second.
     */
    static double matmul(int m, int k, int n, int runs, boolean bytes) {
        OrtEnvironment env = OrtRuntime.environment();
        byte[] model;
        try (InputStream in = MachineProbe.class.getResourceAsStream("/dev/kvbench/runtime/matmul-probe.onnx")) {
            model = in.readAllBytes();
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("matmul-probe.onnx is missing from the jar", e);
        }
        FloatBuffer a = Tensors.directFloats((long) m * k);
        FloatBuffer b = Tensors.directFloats((long) k * n);
        for (int i = 0; i < m * k; i++) {
            a.put(i, (i % 7) * 0.1f);
        }
        for (int i = 0; i < k * n; i++) {
            b.put(i, (i % 5) * 0.1f);
        }
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(model, options);
                 OnnxTensor ta = OnnxTensor.createTensor(env, a, new long[] {m, k});
                 OnnxTensor tb = OnnxTensor.createTensor(env, b, new long[] {k, n})) {
                long best = Long.MAX_VALUE;
                for (int i = 0; i < runs + 3; i++) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result r = session.run(Map.of("a", ta, "b", tb))) {
                        long t = System.nanoTime() - t0;
                        if (i >= 3) {
                            best = Math.min(best, t);
                        }
                    }
                }
                double seconds = best / 1e9;
                return bytes ? (double) k * n * Float.BYTES / seconds : (double) m * k * n / seconds;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("matmul probe failed: " + e.getMessage(), e);
        }
    }
}
