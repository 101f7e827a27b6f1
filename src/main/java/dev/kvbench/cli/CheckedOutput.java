package dev.kvbench.cli;

import dev.kvbench.KvbenchException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * A UTF-8 {@link PrintWriter} that does not swallow write errors: the first failed write (a closed pipe, a full disk)
 * throws a {@link KvbenchException} naming the stream, so a command stops instead of running on with its output lost.
 * Lines are flushed as they are printed.
 */
final class CheckedOutput extends PrintWriter {
    private final String name;
    private volatile String failure;

    CheckedOutput(OutputStream stream, String name) {
        this(new RecordingWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8)), name);
    }

    private CheckedOutput(RecordingWriter writer, String name) {
        super(writer, true);
        this.name = name;
        writer.owner = this;
    }

    /** What went wrong, as one line: {@code cannot write standard output: Broken pipe}. */
    String failure() {
        return failure == null ? "cannot write " + name : failure;
    }

    /** Whether a write failed: flushes what is buffered without throwing, for the end of a command. */
    boolean broken() {
        super.flush();
        return failure != null || super.checkError();
    }

    @Override
    public void flush() {
        super.flush();
        failIfBroken();
    }

    @Override
    public void write(String s, int off, int len) {
        super.write(s, off, len);
        failIfBroken();
    }

    @Override
    public void write(char[] buf, int off, int len) {
        super.write(buf, off, len);
        failIfBroken();
    }

    @Override
    public void write(int c) {
        super.write(c);
        failIfBroken();
    }

    private void failIfBroken() {
        if (failure != null) {
            throw new KvbenchException(failure);
        }
    }

    /** Passes writes through and keeps the first IOException's message for {@link #failure()}. */
    private static final class RecordingWriter extends Writer {
        private final Writer target;
        private CheckedOutput owner;

        RecordingWriter(Writer target) {
            this.target = target;
        }

        private IOException record(IOException e) {
            if (owner.failure == null) {
                owner.failure = "cannot write " + owner.name + ": " + e.getMessage();
            }
            return e;
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            try {
                target.write(cbuf, off, len);
            } catch (IOException e) {
                throw record(e);
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                target.flush();
            } catch (IOException e) {
                throw record(e);
            }
        }

        @Override
        public void close() throws IOException {
            target.close();
        }
    }
}
