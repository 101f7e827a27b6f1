package dev.kvbench.derive;

import dev.kvbench.KvbenchException;
import dev.kvbench.model.Layout;
import dev.kvbench.support.AtomicFiles;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where {@code derive} and {@code quantize} write new graphs before anything reaches the user's folder: a hidden folder
 * on the target's file system holding hard links to the model folder's files (and to its onnx/ subfolder's, when the
 * graphs are there), so the new graphs can reference the export's external weights and be opened and checked as a
 * model folder. {@link #commit} then moves the new files beside the export (each new, never over an existing file,
 * all or nothing) or moves the whole folder to a new {@code --out}; {@link #close} deletes whatever is left.
 */
final class WorkFolder implements AutoCloseable {
    private final Path source;
    private final Path out;
    private final Path path;
    private final Path graphs;
    private final boolean beside;
    private final long linkedBytes;
    private final long copiedBytes;
    private final Thread onInterrupt;

    private WorkFolder(Path source, Path out, Path path, Path graphs, boolean beside, long linkedBytes, long copiedBytes) {
        this.source = source;
        this.out = out;
        this.path = path;
        this.graphs = graphs;
        this.beside = beside;
        this.linkedBytes = linkedBytes;
        this.copiedBytes = copiedBytes;
        this.onInterrupt = AtomicFiles.deleteOnInterrupt(path); // Ctrl-C or SIGTERM: no hidden folder left in the user's
    }

    /**
     * A work folder for writing {@code outputs} (names in the layout's graph folder) from {@code source} into {@code out}
     * ({@code out} equal to {@code source}: beside the export, where none of the outputs may exist; otherwise a new or
     * empty folder). {@code command} names the command in the refusal.
     */
    static WorkFolder open(Path source, Path out, Layout layout, List<String> outputs, String command) {
        boolean beside = out.equals(source);
        if (beside) {
            for (String f : outputs) {
                if (Files.exists(layout.graphs().resolve(f))) {
                    throw new KvbenchException(layout.graphs().resolve(f) + " exists: " + command + " never overwrites "
                            + "(remove the old files, or write elsewhere with --out)");
                }
            }
        } else {
            AtomicFiles.checkNewOrEmptyFolder(out);
        }
        Path parent = beside ? source : out.getParent();
        Path work;
        try {
            Files.createDirectories(parent);
            work = AtomicFiles.workFolder(parent, ".kvbench-" + command + "-");
        } catch (IOException e) {
            throw new KvbenchException("cannot write in " + parent + ": " + e.getMessage());
        }
        try {
            Path graphs = source.relativize(layout.graphs()); // "" or "onnx"
            long[] bytes = link(source, work, outputs);
            if (!graphs.toString().isEmpty()) {
                long[] inGraphs = link(layout.graphs(), Files.createDirectories(work.resolve(graphs)), outputs);
                bytes[0] += inGraphs[0];
                bytes[1] += inGraphs[1];
            }
            return new WorkFolder(source, out, work, graphs, beside, bytes[0], bytes[1]);
        } catch (IOException | RuntimeException e) {
            AtomicFiles.deleteTree(work);
            throw new KvbenchException("cannot prepare " + work + ": " + e.getMessage());
        }
    }

    /** The work folder (a model folder: config, tokenizer and graphs as in the source). */
    Path path() {
        return path;
    }

    /** The work folder's graph folder (itself, or its onnx/ subfolder). */
    Path graphs() {
        return path.resolve(graphs);
    }

    long linkedBytes() {
        return linkedBytes;
    }

    long copiedBytes() {
        return copiedBytes;
    }

    /** {@code message} with the hidden folder's path replaced by the user's folder (it is deleted afterwards). */
    String userPaths(String message) {
        return message.replace(path.toString(), source.toString());
    }

    /**
     * Moves those of {@code outputs} (names in the graph folder) that were written into place; returns them as paths
     * relative to the model folder ({@code onnx/model_q4.onnx}).
     */
    List<String> commit(List<String> outputs) throws IOException {
        List<String> written = new ArrayList<>();
        for (String f : outputs) {
            if (Files.exists(graphs().resolve(f))) {
                written.add(graphs.resolve(f).toString());
            }
        }
        if (beside) {
            moveEach(path, source, written);
        } else {
            if (Files.exists(out)) {
                Files.delete(out); // empty (checked at open); the work folder takes its place in one move
            }
            Files.move(path, out, StandardCopyOption.ATOMIC_MOVE);
        }
        return written;
    }

    @Override
    public void close() {
        AtomicFiles.dropHook(onInterrupt);
        AtomicFiles.deleteTree(path);
    }

    /** Hard-links every file of {@code from} into {@code to} (copies where a link is impossible), but {@code outputs}. */
    static long[] link(Path from, Path to, List<String> outputs) throws IOException {
        long linked = 0;
        long copied = 0;
        try (Stream<Path> files = Files.list(from)) {
            // A folder that has the outputs already (the bundled models' variants) gets them made anew, not linked.
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)
                    .filter(f -> !outputs.contains(f.getFileName().toString()))::iterator) {
                Path target = to.resolve(f.getFileName());
                long size = Files.size(f);
                try {
                    Files.createLink(target, f.toRealPath());
                    linked += size;
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(f, target);
                    copied += size;
                }
            }
        }
        return new long[] {linked, copied};
    }

    private static void moveEach(Path from, Path to, List<String> names) throws IOException {
        List<Path> moved = new ArrayList<>();
        try {
            for (String n : names) {
                Path target = to.resolve(n);
                if (Files.exists(target)) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                Files.move(from.resolve(n), target, StandardCopyOption.ATOMIC_MOVE);
                moved.add(target);
            }
        } catch (IOException e) {
            for (Path p : moved) {
                Files.deleteIfExists(p); // all or nothing: a half-written folder would mislead bench and check
            }
            throw e;
        }
    }
}
