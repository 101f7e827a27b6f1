package dev.kvbench.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * JMH's console output with deliberate skips told in one line. A benchmark that declines a configuration (no-cache
 * where one operation would take too long) can only fail its setup, which JMH prints as {@code <failure>} and a
 * stack trace; this stream turns a failure whose message starts with {@value #MARK} into {@code # skipped: reason}
 * and remembers the reason for the summary. Everything else passes through unchanged, unfinished lines (progress)
 * as soon as they are flushed.
 */
final class SkipAwareOutput extends OutputStream {
    static final String MARK = "SKIPPED: ";
    private static final String FAILURE = "<failure>";

    private final OutputStream out;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final List<String> held = new ArrayList<>();
    private final List<String> skips = new ArrayList<>();
    private int passed;
    private boolean inSkipTrace;

    SkipAwareOutput(OutputStream out) {
        this.out = out;
    }

    /** The reasons of the configurations skipped so far, in order. */
    List<String> skips() {
        return List.copyOf(skips);
    }

    @Override
    public void write(int b) throws IOException {
        line.write(b);
        if (b == '\n') {
            endLine();
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    /** Passes an unfinished line on, unless it may still turn out to belong to a skip. */
    @Override
    public void flush() throws IOException {
        byte[] bytes = line.toByteArray();
        if (held.isEmpty() && !inSkipTrace && bytes.length > passed && bytes[passed] != '<') {
            out.write(bytes, passed, bytes.length - passed);
            passed = bytes.length;
        }
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
        for (String h : held) {
            out.write(h.getBytes(StandardCharsets.UTF_8));
        }
        held.clear();
        out.flush();
    }

    private void endLine() throws IOException {
        // Only the part not yet passed on is judged: JMH writes the forked JVM's own output elsewhere, so a failure can
        // start on a progress line that was passed on unfinished ("# Warmup Iteration   1: <failure>").
        byte[] bytes = line.toByteArray();
        String text = new String(bytes, passed, bytes.length - passed, StandardCharsets.UTF_8);
        String bare = text.strip();
        line.reset();
        passed = 0;
        if (inSkipTrace && (bare.isEmpty() || bare.startsWith("at ") || bare.startsWith("..."))) {
            return;
        }
        inSkipTrace = false;
        int mark = text.indexOf(MARK);
        if (mark >= 0 && (!held.isEmpty() || bare.contains("Exception"))) {
            String reason = text.substring(mark + MARK.length()).strip();
            skips.add(reason);
            held.clear();
            inSkipTrace = true;
            out.write(("# skipped: " + reason + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (bare.equals(FAILURE) || (!held.isEmpty() && bare.isEmpty())) {
            held.add(text);
            return;
        }
        for (String h : held) {
            out.write(h.getBytes(StandardCharsets.UTF_8));
        }
        held.clear();
        out.write(text.getBytes(StandardCharsets.UTF_8));
    }
}
