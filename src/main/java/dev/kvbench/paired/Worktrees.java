package dev.kvbench.paired;

import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.Processes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Detached git worktrees of a repository's commits in one temporary folder, for measuring commits side by side: each
 * checkout by name ({@code base}, {@code head}); {@link #close} removes them, prunes git's record of them and deletes the
 * folder, and an interrupt deletes the folder (git forgets worktrees whose folder is gone at its next prune).
 */
public final class Worktrees implements AutoCloseable {
    private final Path repo;
    private final Path folder;
    private final Thread onInterrupt;
    private final Map<String, Path> trees = new LinkedHashMap<>();

    public Worktrees(Path repo) throws IOException {
        this.repo = repo;
        this.folder = Files.createTempDirectory("kvbench-ab-");
        this.onInterrupt = AtomicFiles.deleteOnInterrupt(folder);
    }

    /** Checks {@code sha} out as the worktree {@code name}; returns its folder. */
    public Path add(String name, String sha) {
        Path tree = folder.resolve(name);
        Processes.check(repo, 300, List.of("git", "worktree", "add", "--detach", tree.toString(), sha));
        trees.put(name, tree);
        return tree;
    }

    /** The worktree {@code name}'s folder. */
    public Path tree(String name) {
        return trees.get(name);
    }

    /** The temporary folder the worktrees are in, for other files of the run (logs, round results). */
    public Path folder() {
        return folder;
    }

    @Override
    public void close() {
        for (Path t : trees.values()) {
            if (Files.exists(t)) {
                Processes.run(repo, 300, List.of("git", "worktree", "remove", "--force", t.toString()));
            }
        }
        Processes.run(repo, 300, List.of("git", "worktree", "prune"));
        AtomicFiles.dropHook(onInterrupt);
        AtomicFiles.deleteTree(folder);
    }
}
