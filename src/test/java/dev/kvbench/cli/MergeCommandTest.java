package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code merge} on two shards cut from a real result file: kv in both, the other strategies split between them. */
class MergeCommandTest {
    static final ObjectMapper M = new ObjectMapper();
    static final Path RESULT = TestModels.ROOT.resolve("src/test/resources/results/bench-ff3ddf2.json");

    /** The configurations of {@code strategies} (and kv), with the real run's metadata as shard {@code label}, optionally altered. */
    static Path shard(Path dir, String name, Set<String> strategies, String sha, String modelFile) throws Exception {
        return shard(dir, name, name.equals("s1") ? "1/2" : "2/2", strategies, sha, modelFile);
    }

    static Path shard(Path dir, String name, String label, Set<String> strategies, String sha, String modelFile) throws Exception {
        ArrayNode all = (ArrayNode) M.readTree(RESULT.toFile());
        ArrayNode part = M.createArrayNode();
        for (JsonNode e : all) {
            String s = e.path("params").path("strategy").asText(e.path("params").path("variant").asText());
            if (s.equals("kv") || strategies.contains(s)) {
                part.add(e);
            }
        }
        Path file = dir.resolve(name + ".json");
        M.writeValue(file.toFile(), part);
        ObjectNode meta = (ObjectNode) M.readTree(RESULT.resolveSibling("bench-ff3ddf2.meta.json").toFile());
        if (sha != null) {
            meta.put("git_sha", sha);
        }
        if (modelFile != null) {
            ((ObjectNode) meta.path("models").path("tiny-llama")).put(modelFile, "0".repeat(64));
        }
        if (label != null) {
            meta.put("shard", label);
        }
        M.writeValue(dir.resolve(name + ".meta.json").toFile(), meta);
        return file;
    }

    /** kv's configurations: the strategy, or the hybrid sweep's kv variant. */
    static boolean isKv(JsonNode e) {
        return e.path("params").path("strategy").asText(e.path("params").path("variant").asText()).equals("kv");
    }

    @Test
    void twoShardsBecomeOneRunWithTheReferenceOnce(@TempDir Path tmp) throws Exception {
        Path a = shard(tmp, "s1", Set.of("no-cache", "static"), null, null);
        Path b = shard(tmp, "s2", Set.of("static-gqa", "hybrid-4"), null, null);
        Path out = tmp.resolve("merged.json");
        CliTestSupport.Run r = CliTestSupport.run("merge", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode merged = M.readTree(out.toFile());
        long kv = 0;
        for (JsonNode e : merged) {
            kv += isKv(e) ? 1 : 0;
        }
        int kvInOne = 0;
        for (JsonNode e : M.readTree(a.toFile())) {
            kvInOne += isKv(e) ? 1 : 0;
        }
        assertEquals(kvInOne, kv, "kv's configurations once, not once per shard");
        assertEquals(M.readTree(a.toFile()).size() + M.readTree(b.toFile()).size() - kvInOne, merged.size());
        assertEquals(2, M.readTree(tmp.resolve("merged.meta.json").toFile()).path("merged_shards").size());
        assertTrue(Files.readString(tmp.resolve("merged.summary.txt")).contains("GenerationBenchmark on tiny-llama"));
        assertEquals(0, CliTestSupport.run("compare", RESULT.toString(), out.toString()).code(), "compare reads it");
        CliTestSupport.assertBadInput("merged.json exists", "merge", a.toString(), b.toString(), "--out", out.toString());
    }

    @Test
    void mixedCommitsOrModelsAreRefused(@TempDir Path tmp) throws Exception {
        Path a = shard(tmp, "s1", Set.of("static"), null, null);
        Path other = shard(tmp, "s2", Set.of("static-gqa"), "1".repeat(40), null);
        CliTestSupport.assertBadInput("refusing to merge different commits", "merge", a.toString(), other.toString(), "--out",
                tmp.resolve("x.json").toString());
        Path model = shard(tmp, "s3", Set.of("static-gqa"), null, "model.onnx");
        CliTestSupport.assertBadInput("refusing to merge: model tiny-llama differs", "merge", a.toString(), model.toString(),
                "--out", tmp.resolve("y.json").toString());
        CliTestSupport.assertBadInput("is given twice", "merge", a.toString(), a.toString(), "--out", tmp.resolve("z.json").toString());
        assertFalse(Files.exists(tmp.resolve("x.json")) || Files.exists(tmp.resolve("y.json")));
        CliTestSupport.assertBadInput("--shard K/N needs 1 <= K <= N <= 64", "bench", "--quick", "--shard", "3/2");
        CliTestSupport.assertBadInput("--shard takes K/N", "bench", "--quick", "--shard", "two");
    }

    /** Only one whole split is merged: each of these dropped rows or hid missing parts at exit 0 before. */
    @Test
    void onlyAWholeSplitOfShardsIsMerged(@TempDir Path tmp) throws Exception {
        Path one = shard(tmp, "a1", "1/3", Set.of("static"), null, null);
        Path two = shard(tmp, "a2", "2/3", Set.of("static-gqa"), null, null);
        Path three = shard(tmp, "a3", "3/3", Set.of("no-cache"), null, null);
        Path oneAgain = shard(tmp, "a1-copy", "1/3", Set.of("static"), null, null);
        String out = tmp.resolve("m.json").toString();
        CliTestSupport.assertBadInput("shard 1/3 is given twice (" + one + " and " + oneAgain + "); shard 3/3 is missing",
                "merge", one.toString(), oneAgain.toString(), two.toString(), "--out", out);
        CliTestSupport.assertBadInput("shard 3/3 is missing: merge needs every shard of the run (given: 1/3, 2/3)",
                "merge", one.toString(), two.toString(), "--out", out);
        Path whole = shard(tmp, "w1", null, Set.of("static"), null, null);
        Path wholeToo = shard(tmp, "w2", null, Set.of("static-gqa"), null, null);
        CliTestSupport.assertBadInput(whole + " is not a shard (its .meta.json names no shard K/N: a whole run)",
                "merge", whole.toString(), wholeToo.toString(), "--out", out);
        Path link = tmp.resolve("a1-link.json");
        Files.createLink(link, one);
        Files.createLink(tmp.resolve("a1-link.meta.json"), tmp.resolve("a1.meta.json"));
        CliTestSupport.assertBadInput("shard 1/3 is given twice (" + one + " and " + link + ")", "merge", one.toString(),
                link.toString(), two.toString(), three.toString(), "--out", out);
        Path otherSplit = shard(tmp, "b2", "2/2", Set.of("static-gqa"), null, null);
        CliTestSupport.assertBadInput("is a shard of 3 but " + otherSplit + " is shard 2/2: shards of different splits",
                "merge", one.toString(), otherSplit.toString(), "--out", out);
        ObjectNode meta = (ObjectNode) M.readTree(tmp.resolve("a3.meta.json").toFile());
        meta.putObject("interrupted").put("finished_parts", 4).put("planned_parts", 9);
        M.writeValue(tmp.resolve("a3.meta.json").toFile(), meta);
        CliTestSupport.assertBadInput(three + " (shard 3/3) was interrupted after 4 of 9 parts: run that shard again",
                "merge", one.toString(), two.toString(), three.toString(), "--out", out);
        assertFalse(Files.exists(tmp.resolve("m.json")) || Files.exists(tmp.resolve("m.meta.json")), "nothing written");
    }
}
