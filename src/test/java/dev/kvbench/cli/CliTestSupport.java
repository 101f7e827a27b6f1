package dev.kvbench.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the command line in-process with captured output. */
public final class CliTestSupport {
    private CliTestSupport() {
    }

    public record Run(int code, String out, String err) {
    }

    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Exit code 2 and exactly one line on stderr, naming the problem. */
    public static void assertBadInput(String expected, String... args) {
        Run r = run(args);
        String err = r.err().strip();
        assertEquals(2, r.code(), () -> Arrays.toString(args) + " -> " + r);
        assertEquals(1, err.lines().count(), () -> "one line expected: " + err);
        assertTrue(err.startsWith("kvbench: error: ") && err.contains(expected), () -> "expected '" + expected + "' in: " + err);
    }
}
