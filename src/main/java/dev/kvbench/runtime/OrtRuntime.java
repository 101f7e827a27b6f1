package dev.kvbench.runtime;


import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.InvalidSettingException;
import dev.kvbench.KvbenchException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens ONNX Runtime sessions with fixed, stated thread counts (intra-op as given, inter-op 1, sequential), and says
 * how sessions are called.
 */
public final class OrtRuntime {
    private static volatile boolean ownLogWarnings;
    private final OrtEnvironment env = environment();
    private final int intraOpThreads;
    private final RunCall runCall;

    /** How a step whose outputs are all pinned calls its session. */
    public enum RunCall {
        /** {@code OrtSession.run}: builds its arrays and a {@code Result} every call. */
        PUBLIC,
        /** {@link DirectRun}: the session's JNI entry point with reused arrays, no {@code Result}. */
        DIRECT;

        /** DIRECT where this ONNX Runtime version allows it, else PUBLIC. */
        public static RunCall preferred() {
            return DirectRun.available() ? DIRECT : PUBLIC;
        }

        /**
         * {@code direct}, {@code public}, or {@code auto} ({@link #preferred()}); asking for direct where it is
         * unavailable is a one-line error.
         */
        public static RunCall parse(String name) {
            RunCall call = switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "direct" -> DIRECT;
                case "public" -> PUBLIC;
                case "auto" -> preferred();
                default -> throw new KvbenchException("unknown ONNX Runtime call '" + name + "' (one of: auto, direct, public)");
            };
            if (call == DIRECT && !DirectRun.available()) {
                throw new KvbenchException("direct run unavailable: " + DirectRun.unavailableReason());
            }
            return call;
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public OrtRuntime(int intraOpThreads) {
        this(intraOpThreads, RunCall.preferred());
    }

    public OrtRuntime(int intraOpThreads, RunCall runCall) {
        if (intraOpThreads < 1) {
            throw InvalidSettingException.of(InvalidSettingException.Setting.THREADS, " must be at least 1, got " + intraOpThreads);
        }
        this.intraOpThreads = intraOpThreads;
        this.runCall = runCall;
    }

    public RunCall runCall() {
        return runCall;
    }

    public OrtEnvironment env() {
        return env;
    }

    public int intraOpThreads() {
        return intraOpThreads;
    }

    public static String version() {
        return environment().getVersion();
    }

    /**
     * Whether ONNX Runtime's own log reaches stderr at warning level (the CLI's {@code --debug}); otherwise only fatal
     * lines do, and its errors reach the user once, as the exception's message. Call before the first session.
     */
    public static void logWarnings(boolean on) {
        ownLogWarnings = on;
    }

    private static ai.onnxruntime.OrtLoggingLevel logLevel() {
        return ownLogWarnings ? ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING
                : ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
    }

    /** ONNX Runtime's one environment of the process, its log at the level {@link #logWarnings} chose. */
    public static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment(logLevel(), "kvbench");
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
            options.setSessionLogLevel(logLevel());
            return env.createSession(file.toString(), options);
        } catch (OrtException e) {
            String message = KvbenchException.firstLine(e.getMessage());
            int external = message.indexOf("External initializer:");
            if (external >= 0 && message.contains("out of bounds")) {
                throw new KvbenchException("cannot load ONNX model " + file + ": its external weights file is shorter than "
                        + "the graph says (a truncated copy or download?): " + message.substring(external), e);
            }
            java.util.regex.Matcher missing = java.util.regex.Pattern.compile("External data path does not exist: \"([^\"]+)\"")
                    .matcher(message);
            if (missing.find()) {
                throw new KvbenchException("cannot load ONNX model " + file + ": its weights file " + missing.group(1)
                        + " is missing", e);
            }
            throw new KvbenchException("cannot load ONNX model " + file + ": " + message, e);
        }
    }

}
