package dev.kvbench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs another program (git, Maven, a benchmark JVM) and collects its output: the one process runner of the project.
 * Output goes to a temporary file (no pipe to drain, so a chatty child cannot block), which is read and deleted.
 */
public final class Processes {
    private Processes() {
    }

    /** How a program ended: its exit code (-1 when it could not start or ran out of time) and its combined output. */
    public record Outcome(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The last non-blank line of the output, for one-line error messages. */
        public String lastLine() {
            List<String> lines = output.strip().lines().toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        }
    }

    /** Runs {@code command} in {@code dir}; stdout and stderr together; killed after {@code timeoutSeconds}. */
    public static Outcome run(Path dir, long timeoutSeconds, List<String> command) {
        File log = null;
        try {
            log = File.createTempFile("kvbench-process", ".log");
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new Outcome(-1, Files.readString(log.toPath()) + "\n(timed out after " + timeoutSeconds + " s)");
            }
            return new Outcome(p.exitValue(), Files.readString(log.toPath()));
        } catch (IOException e) {
            return new Outcome(-1, "cannot run " + command.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome(-1, "interrupted");
        } finally {
            if (log != null) {
                log.delete();
            }
        }
    }

    /** Runs {@code command} and returns its output; a non-zero exit is a one-line {@link KvbenchException}. */
    public static String check(Path dir, long timeoutSeconds, List<String> command) {
        Outcome o = run(dir, timeoutSeconds, command);
        if (!o.ok()) {
            throw new KvbenchException(String.join(" ", command).replaceAll("\\s+", " ") + " failed (exit " + o.exitCode()
                    + "): " + o.lastLine());
        }
        return o.output();
    }
}
