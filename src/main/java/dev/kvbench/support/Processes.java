package dev.kvbench.support;

import dev.kvbench.KvbenchException;
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
    /** The programs running now: an interrupt (Ctrl-C, SIGTERM) stops them before the run's folders are removed. */
    private static final java.util.Set<Process> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Guards {@link #RUNNING} and {@link #stopping}: a program starts and is registered, or does not start at all. */
    private static final Object LOCK = new Object();
    /** Set by {@link #stopAll}: the process is ending, and no further program starts (it would outlive the clean-up). */
    private static boolean stopping;

    static {
        try {
            Runtime.getRuntime().addShutdownHook(new Thread(Processes::stopAll, "kvbench-stop-children"));
        } catch (IllegalStateException e) {
            // first used by another shutdown hook: the process is ending, and that hook stops the children itself
        }
    }

    private Processes() {
    }

    /**
     * Stops every program {@link #run} started that is still running, with its descendants, and waits (up to 5 s each)
     * for them to end: what a shutdown does first, so that no child writes into a folder being removed.
     */
    public static void stopAll() {
        List<Process> running;
        synchronized (LOCK) {
            stopping = true;
            running = List.copyOf(RUNNING);
        }
        for (Process p : running) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : running) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
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
            log.deleteOnExit(); // an interrupt ends the JVM before the finally below
            Process p;
            synchronized (LOCK) { // a shutdown between the start and the registration would miss this child
                if (stopping) {
                    return new Outcome(-1, "interrupted");
                }
                p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log)
                        .start();
                RUNNING.add(p);
            }
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    return new Outcome(-1, Files.readString(log.toPath()) + "\n(timed out after " + timeoutSeconds + " s)");
                }
                return new Outcome(p.exitValue(), Files.readString(log.toPath()));
            } finally {
                RUNNING.remove(p);
            }
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
