package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code OrtSession.run} without the Java objects the public method builds on every call. When every output is
 * pinned there is nothing to hand back, yet the public {@code run} still allocates its name, handle and value arrays
 * and a {@code Result} with a {@code LinkedHashMap} and an {@code ArrayList} (about 1 KB per call for a 4-layer
 * model: all that a {@code static-gqa} step allocated). This calls the session's own JNI entry point, the one the
 * public method ends in, with arrays that are filled in place and reused, so a call allocates only the small
 * {@code boolean[]} the native side returns.
 * <p>The entry point is private to ONNX Runtime's Java API; it is found by reflection once, for the signature of
 * the version this project pins. Where it is missing (another version), {@link #available()} is false, the reason
 * is in {@link #unavailableReason()}, and {@link StepBinding} uses the public {@code run}.
 */
final class DirectRun {
    private static final MethodHandle RUN;
    private static final VarHandle SESSION_HANDLE;
    private static final VarHandle SESSION_CLOSED;
    private static final VarHandle SESSION_ALLOCATOR;
    private static final VarHandle ALLOCATOR_HANDLE;
    private static final VarHandle API_HANDLE;
    private static final MethodHandle VALUE_HANDLE;
    private static final String UNAVAILABLE;

    static {
        MethodHandle run = null;
        MethodHandle valueHandle = null;
        VarHandle session = null;
        VarHandle closed = null;
        VarHandle allocator = null;
        VarHandle allocatorHandle = null;
        VarHandle api = null;
        String why = null;
        try {
            MethodHandles.Lookup ort = MethodHandles.privateLookupIn(OrtSession.class, MethodHandles.lookup());
            Class<?> allocatorClass = Class.forName("ai.onnxruntime.OrtAllocator");
            Class<?> runtimeClass = Class.forName("ai.onnxruntime.OnnxRuntime");
            run = ort.findVirtual(OrtSession.class, "run", MethodType.methodType(boolean[].class, long.class, long.class,
                    long.class, String[].class, long[].class, long.class, String[].class, long.class, OnnxValue[].class,
                    long[].class, long.class));
            valueHandle = ort.findStatic(OrtSession.class, "getHandle", MethodType.methodType(long.class, OnnxValue.class));
            session = ort.findVarHandle(OrtSession.class, "nativeHandle", long.class);
            closed = ort.findVarHandle(OrtSession.class, "closed", boolean.class);
            allocator = ort.findVarHandle(OrtSession.class, "allocator", allocatorClass);
            allocatorHandle = MethodHandles.privateLookupIn(allocatorClass, MethodHandles.lookup())
                    .findVarHandle(allocatorClass, "handle", long.class);
            api = MethodHandles.privateLookupIn(runtimeClass, MethodHandles.lookup())
                    .findStaticVarHandle(runtimeClass, "ortApiHandle", long.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            why = "ONNX Runtime " + OrtSession.class.getPackage().getImplementationVersion()
                    + " has no JNI run entry point of the expected signature (" + e + ")";
        }
        RUN = run;
        VALUE_HANDLE = valueHandle;
        SESSION_HANDLE = session;
        SESSION_CLOSED = closed;
        SESSION_ALLOCATOR = allocator;
        ALLOCATOR_HANDLE = allocatorHandle;
        API_HANDLE = api;
        UNAVAILABLE = why;
    }

    private String[] inputNames = new String[16];
    private long[] inputHandles = new long[16];
    private String[] outputNames = new String[16];
    private OnnxValue[] outputValues = new OnnxValue[16];
    private long[] outputHandles = new long[16];

    static boolean available() {
        return UNAVAILABLE == null;
    }

    /** Why the direct call cannot be used, or null when it can. */
    static String unavailableReason() {
        return UNAVAILABLE;
    }

    /**
     * Runs {@code session} on {@code inputs}, writing every output into its pinned value. Outputs ONNX Runtime did
     * not write into a pinned value (none, when the outputs are all pinned) are closed rather than leaked.
     */
    void run(OrtSession session, Map<String, OnnxTensor> inputs, Map<String, OnnxValue> pinned) throws OrtException {
        if (!available()) {
            throw new IllegalStateException(UNAVAILABLE);
        }
        if ((boolean) SESSION_CLOSED.get(session)) {
            throw new IllegalStateException("run on a closed OrtSession");
        }
        if (pinned.isEmpty()) {
            throw new IllegalArgumentException("a direct run needs at least one pinned output");
        }
        grow(Math.max(inputs.size(), pinned.size()));
        int in = 0;
        for (Map.Entry<String, OnnxTensor> e : inputs.entrySet()) {
            OnnxTensor t = e.getValue();
            if (t.isClosed()) {
                throw new IllegalStateException("input " + e.getKey() + " is closed");
            }
            inputNames[in] = e.getKey();
            inputHandles[in] = handle(t);
            in++;
        }
        int out = 0;
        for (Map.Entry<String, OnnxValue> e : pinned.entrySet()) {
            OnnxValue v = e.getValue();
            if (v.isClosed()) {
                throw new IllegalStateException("pinned output " + e.getKey() + " is closed");
            }
            outputNames[out] = e.getKey();
            outputValues[out] = v;
            outputHandles[out] = handle(v);
            out++;
        }
        try {
            boolean[] createdByRuntime = invoke(session, in, out);
            for (int i = 0; i < out; i++) {
                if (createdByRuntime[i]) {
                    outputValues[i].close();
                }
            }
        } finally {
            Arrays.fill(inputNames, 0, in, null);
            Arrays.fill(outputNames, 0, out, null);
            Arrays.fill(outputValues, 0, out, null);
        }
    }

    private boolean[] invoke(OrtSession session, int in, int out) throws OrtException {
        long allocator = (long) ALLOCATOR_HANDLE.get(SESSION_ALLOCATOR.get(session));
        try {
            return (boolean[]) RUN.invokeExact(session, (long) API_HANDLE.get(), (long) SESSION_HANDLE.get(session),
                    allocator, inputNames, inputHandles, (long) in, outputNames, (long) out, outputValues, outputHandles, 0L);
        } catch (OrtException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long handle(OnnxValue value) {
        try {
            return (long) VALUE_HANDLE.invokeExact(value);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void grow(int n) {
        if (n > inputNames.length) {
            int size = Math.max(n, 2 * inputNames.length);
            inputNames = new String[size];
            inputHandles = new long[size];
            outputNames = new String[size];
            outputValues = new OnnxValue[size];
            outputHandles = new long[size];
        }
    }
}
