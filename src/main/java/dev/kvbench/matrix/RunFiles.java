package dev.kvbench.matrix;

import dev.kvbench.KvbenchException;
import dev.kvbench.results.RunMeta;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Every file one bench run writes: the JMH result JSON, its {@code .meta.json} and {@code .summary.txt} sidecars, and
 * JMH's console log ({@code .log}). All are checked before the run starts: none may exist, so nothing is overwritten.
 */
public record RunFiles(Path results, Path meta, Path summary, Path log) {

    public static RunFiles forResults(Path results) {
        Path r = results.toAbsolutePath().normalize();
        return new RunFiles(r, RunMeta.sidecar(r, ".meta.json"), RunMeta.sidecar(r, ".summary.txt"), RunMeta.sidecar(r, ".log"));
    }

    public List<Path> all() {
        return List.of(results, meta, summary, log);
    }

    /** One line naming the first file that exists already. */
    public void checkNoneExists() {
        for (Path p : all()) {
            if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new KvbenchException(p + " exists: results are never overwritten (choose another --out)");
            }
        }
    }
}
