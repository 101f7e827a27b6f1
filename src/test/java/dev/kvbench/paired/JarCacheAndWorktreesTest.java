package dev.kvbench.paired;

import dev.kvbench.support.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commit side of paired rounds on a scratch git repository: build keys, and worktrees that leave nothing. */
class JarCacheAndWorktreesTest {
    private static String git(Path repo, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-c", "user.name=t", "-c", "user.email=t@t", "-C",
                repo.toString()));
        cmd.addAll(List.of(args));
        return Processes.check(repo, 60, cmd).trim();
    }

    private static String commit(Path repo, String file, String text) throws Exception {
        Path f = repo.resolve(file);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", file);
        return git(repo, "rev-parse", "HEAD");
    }

    @Test
    void commitsThatDifferOnlyOutsideTheBuildInputsShareAJar(@TempDir Path repo) throws Exception {
        git(repo, "init", "-q");
        String first = commit(repo, "src/main/java/A.java", "class A {}");
        String docs = commit(repo, "README.md", "words");
        String models = commit(repo, "models/m/config.json", "{}");
        String code = commit(repo, "src/main/java/A.java", "class A { int x; }");
        String pom = commit(repo, "pom.xml", "<project/>");
        assertEquals(JarCache.buildKey(repo, first), JarCache.buildKey(repo, docs));
        assertEquals(JarCache.buildKey(repo, first), JarCache.buildKey(repo, models));
        assertNotEquals(JarCache.buildKey(repo, models), JarCache.buildKey(repo, code));
        assertNotEquals(JarCache.buildKey(repo, code), JarCache.buildKey(repo, pom));
        assertTrue(JarCache.buildKey(repo, first).matches("inputs-[0-9a-f]{20}"), JarCache.buildKey(repo, first));
    }

    @Test
    void worktreesCheckOutEachCommitAndCloseLeavesNothing(@TempDir Path repo) throws Exception {
        git(repo, "init", "-q");
        String one = commit(repo, "f.txt", "one");
        String two = commit(repo, "f.txt", "two");
        Path folder;
        try (Worktrees w = new Worktrees(repo)) {
            folder = w.folder();
            assertEquals("one", Files.readString(w.add("base", one).resolve("f.txt")));
            assertEquals("two", Files.readString(w.add("head", two).resolve("f.txt")));
            assertEquals(3, git(repo, "worktree", "list").lines().count());
        }
        assertFalse(Files.exists(folder), "the temporary folder is gone");
        assertEquals(1, git(repo, "worktree", "list").lines().count(), "git forgets the worktrees");
    }
}
