package dev.kvbench.results;

import dev.kvbench.KvbenchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes a file completely or not at all: into a temporary file beside it, then an atomic move. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void write(Path target, byte[] content) {
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try {
                Files.write(tmp, content);
                if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    // createTempFile makes the file owner-only; results are ordinary files.
                    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new KvbenchException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    public static void write(Path target, String content) {
        write(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Writes a new file completely or not at all, and never over an existing one, even one another process creates
     * meanwhile: the content goes into a temporary file beside it, which is then hard-linked to {@code target} (the link
     * fails if the name exists: {@link java.nio.file.FileAlreadyExistsException}) and removed. Where the file system has
     * no hard links, an exclusive create of the name claims it first, then the content is moved over the claim.
     */
    public static void writeNew(Path target, byte[] content) throws java.nio.file.FileAlreadyExistsException {
        Path tmp = null;
        try {
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            Files.write(tmp, content);
            if (tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.createLink(target, tmp);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                if (e instanceof java.nio.file.FileAlreadyExistsException exists) {
                    throw exists;
                }
                Files.createFile(target); // throws FileAlreadyExistsException when another process holds the name
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            throw new KvbenchException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // best effort: a hidden .tmp beside the result
                }
            }
        }
    }

    /** {@link #writeNew(Path, byte[])} for text, UTF-8. */
    public static void writeNew(Path target, String content) throws java.nio.file.FileAlreadyExistsException {
        writeNew(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * A hidden work folder in {@code parent} that becomes (or fills) a user's folder when complete: created like
     * {@link Files#createTempDirectory} but readable by others (rwxr-xr-x), as a folder made by mkdir would be.
     */
    public static Path workFolder(Path parent, String prefix) throws IOException {
        Path dir = Files.createTempDirectory(parent, prefix);
        if (dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir;
    }

    /**
     * Checks that {@code --out} folder {@code dir} is new or empty, so that nothing in it is overwritten; one line
     * naming it otherwise.
     */
    public static void checkNewOrEmptyFolder(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        boolean empty = false;
        if (Files.isDirectory(dir)) {
            try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
                empty = entries.findAny().isEmpty();
            } catch (IOException e) {
                throw new KvbenchException("cannot read --out " + dir + ": " + e.getMessage());
            }
        }
        if (!empty) {
            throw new KvbenchException("--out " + dir + " exists and is not an empty folder (results are never overwritten)");
        }
    }

    /** Deletes a folder and everything in it, best effort (a temporary or hidden work folder of a run). */
    /**
     * Deletes {@code dir} should the process be interrupted (Ctrl-C, SIGTERM) before {@link #dropHook} is called with
     * the returned hook; the caller deletes it itself on every other path (a finally block).
     */
    public static Thread deleteOnInterrupt(Path dir) {
        Thread hook = new Thread(() -> deleteTree(dir), "kvbench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    /** Undoes {@link #deleteOnInterrupt}; during shutdown the hook runs anyway. */
    public static void dropHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutting down: the hook runs
        }
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // best effort: what is left is a hidden, uniquely named work folder
        }
    }
}
