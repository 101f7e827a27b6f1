package dev.kvbench.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.JsonFiles;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every command shares: the exit codes, the checks of options that several commands take, output folders, and
 * JSON output helpers. Commands use this rather than each other.
 */
final class Cli {
    /** Exit codes: 0 success, then these. */
    static final int CHECK_FAILED = 1;
    static final int BAD_INPUT = 2;
    static final int INTERNAL_ERROR = 3;

    private Cli() {
    }

    /** An {@code on|off} option's value: {@code fallback} when not given, else on or off, else one line of bad input. */
    static boolean onOff(String value, String option, boolean fallback) {
        if (value == null) {
            return fallback;
        }
        return switch (value) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new KvbenchException(option + " takes on or off, got '" + value + "'");
        };
    }

    /** {@code --threshold} (a percentage) and {@code --alpha} (a significance level) as compare, ab, gate and history take them. */
    static void checkThresholds(double threshold, double alpha) {
        if (!(threshold >= 0 && threshold < 1e6)) {
            throw new KvbenchException("--threshold must be a percentage >= 0, got " + threshold);
        }
        if (!(alpha > 0 && alpha < 1)) {
            throw new KvbenchException("--alpha must be in (0, 1), got " + alpha);
        }
    }

    /** {@code --steps} and {@code --tolerance} of the commands that check strategies against each other, and the model folder. */
    static void checkStepsAndTolerance(Path model, int steps, double tolerance) {
        if (steps < 1 || steps > 4096) {
            throw new KvbenchException("--steps must be in 1..4096, got " + steps);
        }
        if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
            throw new KvbenchException("--tolerance must be a finite number >= 0, got " + tolerance);
        }
        if (!Files.isDirectory(model)) {
            throw new KvbenchException("model folder " + model + " does not exist");
        }
    }

    /** Creates {@code dir} (and its parents) or fails with one line: a read-only place is bad input, not an internal error. */
    static Path createFolder(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new KvbenchException("cannot create folder " + dir + ": " + reason(e));
        }
    }

    /** Why a file operation failed, in words (the JDK's exceptions often carry only the path). */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileAlreadyExistsException) {
            return "a file of that name exists";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "the place above it does not exist or cannot hold folders";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage();
    }

    /** Creates {@code dir} if needed and proves a file can be written into it, before long work starts. */
    static void checkWritable(Path dir) {
        createFolder(dir);
        try {
            Path probe = Files.createTempFile(dir, ".kvbench-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException | UnsupportedOperationException e) {
            throw new KvbenchException("folder " + dir + " is not writable: "
                    + (e instanceof IOException io ? reason(io) : e.getMessage()));
        }
    }

    /**
     * Checks, before long work starts, that folder {@code dir} can be written or made, without making it (a run that
     * fails or is interrupted leaves no empty folder behind): an existing folder is probed as {@link #checkWritable}
     * does; otherwise its nearest existing ancestor must be a folder this process may write in.
     */
    static void checkCanWrite(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            checkWritable(abs);
            return;
        }
        Path ancestor = abs.getParent();
        while (ancestor != null && !Files.exists(ancestor)) {
            ancestor = ancestor.getParent();
        }
        if (ancestor == null || !Files.isDirectory(ancestor)) {
            throw new KvbenchException("cannot create folder " + dir + ": " + (ancestor == null ? "no place above it exists"
                    : ancestor + " is not a folder"));
        }
        if (!Files.isWritable(ancestor)) {
            throw new KvbenchException("cannot create folder " + dir + ": " + ancestor + " is not writable");
        }
    }

    /** JSON has no NaN: an undefined figure is null. */
    static void putFinite(ObjectNode o, String field, double v) {
        JsonFiles.putFinite(o, field, v);
    }
}
