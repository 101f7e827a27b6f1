package dev.kvbench.results;

import dev.kvbench.cli.CliTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComparisonTest {
    static JmhJson run(double kvMean, long seed) {
        JmhJson j = new JmhJson();
        j.add("GenerationBenchmark.generate", Map.of("strategy", "kv", "newTokens", "256", "model", "tiny-llama"), kvMean, 0.08, seed, 900_000);
        j.add("GenerationBenchmark.generate", Map.of("strategy", "no-cache", "newTokens", "256", "model", "tiny-llama"), 4000, 0.08, seed + 1, 5_000_000);
        return j;
    }

    /**
     * Older paired rounds named their entries after a class that never existed; read, they are the engine's
     * Generator.generate, so an old ab file compares with a new one key for key.
     */
    @Test
    void olderPairedRoundsCompareWithNewerOnes(@TempDir Path tmp) throws Exception {
        JmhJson old = run(300, 1);
        JmhJson newer = run(300, 3);
        for (JmhJson j : new JmhJson[] {old, newer}) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) j.root.get(0)).put("benchmark",
                    j == old ? BenchmarkContract.PAIRED_GENERATE_BEFORE : BenchmarkContract.PAIRED_GENERATE);
        }
        java.util.List<JmhResult> a = JmhResults.read(old.write(tmp.resolve("old.json")));
        java.util.List<JmhResult> b = JmhResults.read(newer.write(tmp.resolve("new.json")));
        assertEquals("dev.kvbench.decode.Generator.generate", a.get(0).benchmark());
        assertEquals(a.get(0).key(), b.get(0).key());
        assertTrue(a.get(0).key().startsWith("Generator.generate{"), a.get(0).key());
        Comparison.Result c = Comparison.compare(a, b, "primary", 5, 0.05);
        assertEquals(0, c.regressions().size());
        assertTrue(c.onlyOld().isEmpty() && c.onlyNew().isEmpty(), "matched, not one added and one removed");
    }

    @Test
    void flagsAPlantedThirtyPercentSlowdown(@TempDir Path tmp) throws Exception {
        Path old = run(300, 1).write(tmp.resolve("old.json"));
        Path slow = run(390, 2).write(tmp.resolve("new.json"));
        CliTestSupport.Run r = CliTestSupport.run("compare", old.toString(), slow.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("REGRESSION"), r.out());
        Comparison.Result c = Comparison.compare(JmhResults.read(old), JmhResults.read(slow), "primary", 5, 0.05);
        assertEquals(1, c.regressions().size());
        assertTrue(c.regressions().get(0).key().contains("strategy=kv"));
        assertTrue(c.regressions().get(0).changePercent() > 20 && c.regressions().get(0).p() < 0.01);
    }

    @Test
    void doesNotFlagARerunFromTheSameDistribution(@TempDir Path tmp) throws Exception {
        for (long seed = 10; seed < 20; seed++) {
            Path a = run(300, seed).write(tmp.resolve("a.json"));
            Path b = run(300, seed + 100).write(tmp.resolve("b.json"));
            CliTestSupport.Run r = CliTestSupport.run("compare", a.toString(), b.toString());
            assertEquals(0, r.code(), "seed " + seed + ": " + r.out());
        }
    }

    @Test
    void reportsAddedAndRemovedBenchmarks(@TempDir Path tmp) throws Exception {
        JmhJson a = run(300, 1);
        a.add("StepBenchmark.steps", Map.of("strategy", "kv", "context", "64"), 5, 0.05, 3, 1000);
        JmhJson b = run(300, 2);
        b.add("StepBenchmark.steps", Map.of("strategy", "kv", "context", "2048"), 5, 0.05, 4, 1000);
        CliTestSupport.Run r = CliTestSupport.run("compare", a.write(tmp.resolve("a.json")).toString(),
                b.write(tmp.resolve("b.json")).toString(), "--format", "markdown");
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("removed: StepBenchmark.steps{context=64"), r.out());
        assertTrue(r.out().contains("added: StepBenchmark.steps{context=2048"), r.out());
        CliTestSupport.Run alloc = CliTestSupport.run("compare", tmp.resolve("a.json").toString(), tmp.resolve("b.json").toString(),
                "--metric", "gc.alloc.rate.norm", "--format", "json");
        assertEquals(0, alloc.code(), alloc.out());
        assertTrue(alloc.out().contains("\"unit\":\"B/op\""), alloc.out());
    }

    @Test
    void rejectsBadInputWithExitCode2(@TempDir Path tmp) throws Exception {
        Path good = run(300, 1).write(tmp.resolve("good.json"));
        Files.writeString(tmp.resolve("broken.json"), "[{\"benchmark\": ");
        Files.writeString(tmp.resolve("object.json"), "{\"not\": \"jmh\"}");
        Files.writeString(tmp.resolve("empty.json"), "[]");
        Path other = new JmhJson().add("StepBenchmark.steps", Map.of("strategy", "kv", "context", "64"), 5, 0.05, 3, 1000)
                .write(tmp.resolve("other.json"));
        String units = Files.readString(good).replace("\"ms/op\"", "\"us/op\"");
        Files.writeString(tmp.resolve("units.json"), units);
        String[][] cases = {
            {"missing.json", "not found"}, {"broken.json", "not valid JSON"}, {"object.json", "not a JMH result file"},
            {"empty.json", "holds no benchmark results"}, {"other.json", "no benchmark in common"},
            {"units.json", "mismatched units"}};
        for (String[] c : cases) {
            CliTestSupport.assertBadInput(c[1], "compare", good.toString(), tmp.resolve(c[0]).toString());
        }
        CliTestSupport.assertBadInput("metric 'nope'", "compare", good.toString(), good.toString(), "--metric", "nope");
    }

    @Test
    void exactMannWhitneyMatchesKnownValues() {
        // Completely separated samples of 5 and 5: two-sided exact p = 2 / C(10, 5) = 2 / 252.
        assertEquals(2.0 / 252, Statistics.mannWhitneyP(new double[] {1, 2, 3, 4, 5}, new double[] {6, 7, 8, 9, 10}), 1e-12);
        assertEquals(1.0, Statistics.mannWhitneyP(new double[] {1, 4}, new double[] {2, 3}), 1e-12);
    }
}
