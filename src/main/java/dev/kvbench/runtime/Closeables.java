package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;

import java.util.List;

/** The one way native resources are let go of: closed in reverse order of creation, failures kept with the first error. */
public final class Closeables {
    private Closeables() {
    }

    /** Closes {@code parts} last first; a failure while closing is added to {@code cause} (which is being thrown). */
    public static void closeAll(List<? extends AutoCloseable> parts, Throwable cause) {
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception suppressed) {
                cause.addSuppressed(suppressed);
            }
        }
    }

    /**
     * Closes every one of {@code parts} in the order given (nulls skipped), even when one fails: the first failure is
     * thrown after all were tried, later ones suppressed in it, so one failing part never leaks the rest.
     */
    public static void closeEach(List<? extends AutoCloseable> parts) {
        RuntimeException first = null;
        for (AutoCloseable part : parts) {
            if (part == null) {
                continue;
            }
            try {
                part.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new IllegalStateException("closing " + part + " failed", e);
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Closes {@code t} if there is one; returns null, for {@code field = Closeables.close(field)}. */
    public static <T extends AutoCloseable> T close(T t) {
        if (t != null) {
            try {
                t.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + t + " failed", e);
            }
        }
        return null;
    }

    /** {@link #close} for a tensor, whose close throws nothing checked. */
    public static OnnxTensor close(OnnxTensor t) {
        if (t != null) {
            t.close();
        }
        return null;
    }
}
