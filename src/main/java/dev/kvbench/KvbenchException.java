package dev.kvbench;

/** A problem with the user's input (files, options, result JSON): reported as one line, never as a stack trace. */
public class KvbenchException extends RuntimeException {
    public KvbenchException(String message) {
        super(message);
    }

    public KvbenchException(String message, Throwable cause) {
        super(message, cause);
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
