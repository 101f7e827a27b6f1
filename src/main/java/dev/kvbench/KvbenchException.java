package dev.kvbench;

import java.util.function.Function;

/**
 * A problem with the user's input (files, options, result JSON): reported as one line, never as a stack trace (the
 * command line's exit 2). A failure that is not the input's is another exception (the engine's
 * {@code StepFailedException}, exit 3). Subclasses type what a caller may act on ({@link InvalidSettingException},
 * the cache's capacity, a strategy or variant that is unavailable).
 */
public class KvbenchException extends RuntimeException {
    /**
     * What the user can do about it, named in the engine's words; the command line names its option instead
     * ({@link #worded}).
     */
    public enum Remedy {
        CHOOSE_DTYPE("choose another dtype"),
        SOURCE_AND_TARGET("give a source and a target"),
        TOKEN_IDS("feed token ids instead");

        private final String words;

        Remedy(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    private final String problem;
    private final Remedy remedy;

    public KvbenchException(String message) {
        this(message, (Throwable) null);
    }

    public KvbenchException(String message, Throwable cause) {
        super(message, cause);
        this.problem = message;
        this.remedy = null;
    }

    /** The message {@code problem (remedy)}, the remedy in the engine's words; {@code problem} alone when it is null. */
    public KvbenchException(String problem, Remedy remedy) {
        super(remedy == null ? problem : problem + " (" + remedy.words() + ")");
        this.problem = problem;
        this.remedy = remedy;
    }

    /** What the user can do about it; null when the message says it itself or there is nothing to do. */
    public Remedy remedy() {
        return remedy;
    }

    /** The message with {@code names}' wording of the remedy (the message itself when there is none). */
    public String worded(Function<Remedy, String> names) {
        return remedy == null ? getMessage() : problem + " (" + names.apply(remedy) + ")";
    }

    /** The first line of a (native library's) message: what a one-line error shows of it. */
    public static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
