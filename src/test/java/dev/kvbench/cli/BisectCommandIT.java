package dev.kvbench.cli;

import dev.kvbench.paired.JarCache;
import dev.kvbench.support.Processes;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bisect} on a throwaway git history of three commits: this checkout's HEAD, a commit that makes every kv
 * decode step spin for as long again as the step ran (a known +100% cost), and a documentation-only commit. The
 * culprit must be the middle commit. The third commit shares the second's jar (same build inputs); the first reuses
 * this checkout's jar when the checkout is clean, so one build runs. Four rounds a step: with three, the planted 1.85x
 * once missed alpha 0.05 (p = 0.076) on this 2-core machine beside the other test JVM.
 */
class BisectCommandIT {

    private static String git(Path repo, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("git", "-c", "user.name=kvbench test", "-c", "user.email=test@kvbench.invalid"));
        cmd.addAll(List.of(args));
        return Processes.check(repo, 300, cmd).trim();
    }

    @Test
    void namesTheCommitThatAddedTheCost(@TempDir Path tmp) throws Exception {
        Path repo = tmp.resolve("history");
        Processes.check(tmp, 600, List.of("git", "clone", "--quiet", TestModels.ROOT.toString(), repo.toString()));
        String good = git(repo, "rev-parse", "HEAD");
        Path generator = repo.resolve("src/main/java/dev/kvbench/decode/Generator.java");
        String source = Files.readString(generator);
        String planted = source.replace("lastRunNanos = System.nanoTime() - r0;\n", "lastRunNanos = System.nanoTime() - r0;\n"
                + "            if (strategy == Strategy.KV) { long until = System.nanoTime() + lastRunNanos; "
                + "while (System.nanoTime() < until) { Thread.onSpinWait(); } }\n");
        assertTrue(!planted.equals(source), "the planted edit no longer applies to Generator.java");
        Files.writeString(generator, planted);
        git(repo, "commit", "--quiet", "-am", "plant: kv steps spin as long again");
        String culprit = git(repo, "rev-parse", "HEAD");
        Files.writeString(repo.resolve("README.md"), "\nA documentation change.\n", java.nio.file.StandardOpenOption.APPEND);
        git(repo, "commit", "--quiet", "-am", "docs only");
        String bad = git(repo, "rev-parse", "HEAD");

        // This checkout's jar serves GOOD when it is built from the same inputs (a clean checkout, as in CI).
        Path jar = TestModels.ROOT.resolve("target/benchmarks.jar");
        boolean clean = Processes.run(TestModels.ROOT, 60, List.of("git", "status", "--porcelain", "--untracked-files=no")).output().isBlank();
        if (clean && JarCache.buildKey(TestModels.ROOT, "HEAD").equals(JarCache.buildKey(repo, good))) {
            Path cached = Files.createDirectories(repo.resolve("build/ab-jars")).resolve(JarCache.buildKey(repo, good) + ".jar");
            Files.copy(jar, cached, StandardCopyOption.REPLACE_EXISTING);
        }
        assertEquals(JarCache.buildKey(repo, culprit), JarCache.buildKey(repo, bad), "docs-only commits share a jar");

        Processes.Outcome r = BenchCommandIT.kvbench(tmp, "bisect", good, bad, "--root", repo.toString(), "-p", "strategy=kv",
                "-p", "newTokens=16", "-p", "model=tiny-llama", "--rounds", "4", "--pairs", "10", "--warmup-ops", "5");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("first regressing commit: " + culprit + " plant: kv steps spin as long again"), r.output());
        assertTrue(r.output().contains("step 1: " + bad.substring(0, 8) + " REGRESSES"), r.output());
        assertTrue(r.output().contains("step 2: " + culprit.substring(0, 8) + " REGRESSES"), r.output());
    }

    @Test
    void refsThatAreNotAnAncestryPathAreBadInput(@TempDir Path tmp) {
        Processes.Outcome r = BenchCommandIT.kvbench(tmp, "bisect", "HEAD", "HEAD~1", "--root", TestModels.ROOT.toString());
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().strip().endsWith("HEAD~1 is not a descendant of HEAD (no commits between them)"), r.output());
    }
}
