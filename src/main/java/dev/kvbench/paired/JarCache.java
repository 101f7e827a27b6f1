package dev.kvbench.paired;

import dev.kvbench.support.Processes;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * The benchmark jars of commits, for paired rounds across commits: one per set of build inputs, kept under the
 * checkout's {@code build/ab-jars} (so commits that differ only in documentation, models or results share one jar),
 * this checkout's own jar when it is up to date, else built in the commit's worktree.
 */
public final class JarCache {
    private static final long BUILD_TIMEOUT_SECONDS = 1800;

    private JarCache() {
    }

    /**
     * The commit's benchmark jar: from the cache under build/ab-jars, else built in its worktree and cached. The cache
     * is keyed by the commit's build inputs ({@link #buildKey}), so commits that differ only in documentation, models or
     * results share one jar.
     */
    static Path jar(Path repo, String sha, Path tree, String side, PrintWriter console) {
        String key = buildKey(repo, sha);
        Path cached = repo.resolve("build").resolve("ab-jars").resolve(key + ".jar");
        if (Files.isRegularFile(cached)) {
            console.printf("%s %s: cached jar %s%n", side, sha.substring(0, 8), cached);
            console.flush();
            return cached;
        }
        Path built = checkoutJar(repo, key);
        if (built != null) {
            console.printf("%s %s: this checkout's up-to-date %s%n", side, sha.substring(0, 8), built);
            console.flush();
            return built;
        }
        console.printf("building %s (%s) ...%n", side, sha.substring(0, 8));
        console.flush();
        Processes.check(tree, BUILD_TIMEOUT_SECONDS, List.of("mvn", "-q", "-B", "-DskipTests", "package"));
        try {
            Files.createDirectories(cached.getParent());
            Path tmp = Files.createTempFile(cached.getParent(), "." + key, ".tmp");
            Files.copy(tree.resolve("target/benchmarks.jar"), tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return cached;
        } catch (IOException e) {
            return tree.resolve("target/benchmarks.jar");
        }
    }

    /**
     * A hash of what the jar is built from at {@code sha}: the git object ids of {@code pom.xml}, {@code src/main} and
     * {@code benchmarks} (those that exist).
     */
    public static String buildKey(Path repo, String sha) {
        StringBuilder ids = new StringBuilder();
        for (String path : List.of("pom.xml", "src/main", "benchmarks")) {
            Processes.Outcome o = Processes.run(repo, 60, List.of("git", "rev-parse", "--verify", "--quiet", sha + ":" + path));
            ids.append(path).append('=').append(o.ok() ? o.output().trim() : "-").append('\n');
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(ids.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return "inputs-" + java.util.HexFormat.of().formatHex(digest, 0, 10);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * This checkout's own target/benchmarks.jar when it is built from the same inputs as the commit: HEAD has the same
     * {@link #buildKey}, no tracked file is modified, and the jar is newer than every source (as the {@code kvbench}
     * launcher checks). Saves a build in CI, where {@code mvn verify} has just built it. Null otherwise.
     */
    private static Path checkoutJar(Path repo, String key) {
        Path jar = repo.resolve("target/benchmarks.jar");
        Processes.Outcome head = Processes.run(repo, 60, List.of("git", "rev-parse", "HEAD"));
        Processes.Outcome status = Processes.run(repo, 60, List.of("git", "status", "--porcelain", "--untracked-files=no"));
        if (!Files.isRegularFile(jar) || !head.ok() || !buildKey(repo, head.output().trim()).equals(key) || !status.ok()
                || !status.output().isBlank()) {
            return null;
        }
        try (Stream<Path> sources = Stream.of("src/main", "benchmarks", "pom.xml").map(repo::resolve).filter(Files::exists)
                .flatMap(p -> {
                    try {
                        return Files.walk(p);
                    } catch (IOException e) {
                        return Stream.of(p);
                    }
                })) {
            long jarTime = Files.getLastModifiedTime(jar).toMillis();
            boolean stale = sources.anyMatch(p -> {
                try {
                    return Files.isRegularFile(p) && Files.getLastModifiedTime(p).toMillis() > jarTime;
                } catch (IOException e) {
                    return true;
                }
            });
            return stale ? null : jar;
        } catch (IOException e) {
            return null;
        }
    }
}
