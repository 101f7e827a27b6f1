package dev.kvbench.support;

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

    /**
     * Writes folder {@code dir} (new, or empty) holding {@code files} (name to content, in order), whole or not at all:
     * they go into a hidden work folder beside it, which then takes its place in one move. On a failure (a full disk)
     * or an interrupt the work folder is removed and {@code dir} is as it was, so a rerun is not blocked by a half one.
     */
    public static void writeFolder(Path dir, java.util.Map<String, byte[]> files) {
        checkNewOrEmptyFolder(dir);
        Path target = dir.toAbsolutePath().normalize();
        Path work;
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new KvbenchException("cannot create folder " + target.getParent() + ": " + e.getMessage(), e);
        }
        try {
            work = workFolder(target.getParent(), "." + target.getFileName() + "-");
        } catch (IOException e) {
            throw new KvbenchException("cannot write " + dir + ": " + e.getMessage(), e);
        }
        Thread hook = deleteOnInterrupt(work);
        try {
            for (var f : files.entrySet()) {
                Files.write(work.resolve(f.getKey()), f.getValue());
            }
            if (Files.exists(target)) {
                Files.delete(target); // empty (checked above): the work folder takes its place
            }
            Files.move(work, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new KvbenchException("cannot write " + dir + ": " + e.getMessage() + " (nothing written)", e);
        } finally {
            dropHook(hook);
            deleteTree(work);
        }
    }

    /**
     * Deletes {@code dir} should the process be interrupted (Ctrl-C, SIGTERM) before {@link #dropHook} is called with
     * the returned hook; the caller deletes it itself on every other path (a finally block).
     */
    public static Thread deleteOnInterrupt(Path dir) {
        Thread hook = new Thread(() -> {
            Processes.stopAll(); // a child still writing into the folder would keep it from going
            // The main thread runs on during shutdown and may still write a file into the folder (an ONNX Runtime
            // session's output, a script copy): delete until it stays gone, for up to 5 s.
            long deadline = System.nanoTime() + 5_000_000_000L;
            deleteTree(dir);
            while (Files.exists(dir) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
                deleteTree(dir);
            }
        }, "kvbench-cleanup");
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

    /** Deletes a folder and everything in it, best effort (a temporary or hidden work folder of a run). */
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
