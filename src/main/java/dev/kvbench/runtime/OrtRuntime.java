package dev.kvbench.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.KvbenchException;

import java.nio.file.Files;
import java.nio.file.Path;

/** Opens ONNX Runtime sessions with fixed, stated thread counts (intra-op as given, inter-op 1, sequential). */
public final class OrtRuntime {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final int intraOpThreads;

    public OrtRuntime(int intraOpThreads) {
        if (intraOpThreads < 1) {
            throw new KvbenchException("--threads must be at least 1, got " + intraOpThreads);
        }
        this.intraOpThreads = intraOpThreads;
    }

    public OrtEnvironment env() {
        return env;
    }

    public int intraOpThreads() {
        return intraOpThreads;
    }

    public static String version() {
        return OrtEnvironment.getEnvironment().getVersion();
    }

    /** A session on a model file; a missing or unreadable file is a one-line {@link KvbenchException}. */
    public OrtSession open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new KvbenchException("missing model file: " + file);
        }
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return env.createSession(file.toString(), options);
        } catch (OrtException e) {
            throw new KvbenchException("cannot load ONNX model " + file + ": " + firstLine(e.getMessage()), e);
        }
    }

    public static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
