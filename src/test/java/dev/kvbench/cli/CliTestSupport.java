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

    /**
     * Exit code 2 and exactly one error line on stderr, the last, naming the problem (a long command's progress lines,
     * which say what it was doing, may come before it).
     */
    public static void assertBadInput(String expected, String... args) {
        Run r = run(args);
        String all = r.err().strip();
        assertEquals(2, r.code(), () -> Arrays.toString(args) + " -> " + r);
        java.util.List<String> lines = all.lines().toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("kvbench: ")).count(), () -> "one error line expected: " + all);
        assertTrue(lines.stream().filter(l -> !l.startsWith("kvbench: ")).allMatch(CliTestSupport::isProgress),
                () -> "only progress lines may come before the error: " + all);
        String err = lines.get(lines.size() - 1);
        assertTrue(err.startsWith("kvbench: error: ") && err.contains(expected), () -> "expected '" + expected + "' in: " + err);
    }

    /** A long command's progress line: {@code derive: [1/2] ...}, {@code synth: ...}, {@code quantize: ...}, {@code [round 1/8] ...}. */
    static boolean isProgress(String line) {
        return line.startsWith("derive: ") || line.startsWith("synth: ") || line.startsWith("quantize: ")
                || line.startsWith("[round ");
    }
}
