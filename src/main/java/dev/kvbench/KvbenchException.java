package dev.kvbench;

/** A problem with the user's input (files, options, result JSON): reported as one line, never as a stack trace. */
public class KvbenchException extends RuntimeException {
    public KvbenchException(String message) {
        super(message);
    }

    public KvbenchException(String message, Throwable cause) {
        super(message, cause);
    }
}
