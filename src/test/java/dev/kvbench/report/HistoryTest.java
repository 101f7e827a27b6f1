package dev.kvbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import dev.kvbench.results.RegressionDetectionTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code history} on three real result files (the committed CI baseline, a real JMH run with 10 samples per
 * configuration) at three commits: the second shifted 2% everywhere (below the threshold), the third with kv 30%
 * slower than the second. Exactly one change point: kv, from the second commit to the third.
 */
class HistoryTest {
    static final ObjectMapper M = new ObjectMapper();
    static final Path BASELINE = TestModels.ROOT.resolve("results/baseline/ci-gate.json");

    /** The baseline with every primary sample of the matching strategies scaled, and metadata naming a commit. */
    static Path commit(Path dir, String name, String sha, String date, double all, double kv) throws Exception {
        return commit(dir, name, sha, date, all, "kv", kv);
    }

    /** The same, scaling strategy {@code one} by {@code factor} on top of {@code all}. */
    static Path commit(Path dir, String name, String sha, String date, double all, String one, double factor) throws Exception {
        ArrayNode copy = (ArrayNode) M.readTree(BASELINE.toFile());
        for (JsonNode e : copy) {
            String strategy = e.path("params").path("strategy").asText();
            RegressionDetectionTest.slow((ObjectNode) e, strategy, all * (strategy.equals(one) ? factor : 1));
        }
        Path file = dir.resolve(name + ".json");
        M.writeValue(file.toFile(), copy);
        ObjectNode meta = M.createObjectNode().put("git_sha", sha + "0".repeat(33)).put("git_short_sha", sha)
                .put("git_commit_date", date).put("git_dirty", false);
        M.writeValue(dir.resolve(name + ".meta.json").toFile(), meta);
        return file;
    }

    @Test
    void aPlantedChangeBetweenTheSecondAndThirdCommitIsTheOnlyChangePoint(@TempDir Path tmp) throws Exception {
        // File names sort in another order than the commits: history must order by commit date.
        commit(tmp, "c-first", "aaaaaaa", "2026-11-01T10:00:00+00:00", 1.0, 1.0);
        commit(tmp, "a-second", "bbbbbbb", "2026-11-02T10:00:00+01:00", 1.02, 1.0);
        commit(tmp, "b-third", "ccccccc", "2026-11-03T10:00:00+00:00", 1.02, 1.3);
        History h = History.of(List.of(ResultFile.read(tmp.resolve("b-third.json")), ResultFile.read(tmp.resolve("c-first.json")),
                ResultFile.read(tmp.resolve("a-second.json"))), 5, 0.05);
        assertEquals(List.of("aaaaaaa", "bbbbbbb", "ccccccc"), List.of(h.commitName(0), h.commitName(1), h.commitName(2)));
        assertEquals(1, h.changes().size(), h.changes().toString());
        History.ChangePoint c = h.changes().get(0);
        assertTrue(c.key().contains("strategy=kv,"), c.key());
        assertEquals(1, c.from());
        assertEquals(2, c.to());
        assertEquals(30, c.changePercent(), 0.5);
        assertTrue(c.regression());

        CliTestSupport.Run r = CliTestSupport.run("history", tmp.toString(), "--out", tmp.resolve("charts").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1 change point(s):"), r.out());
        assertTrue(r.out().contains("bbbbbbb -> ccccccc  kv newTokens=256  +30.0%"), r.out());
        String page = Files.readString(tmp.resolve("charts").resolve("history.html"));
        for (String commit : List.of("aaaaaaa", "bbbbbbb", "ccccccc")) {
            assertTrue(page.contains(commit), "the page names every commit: " + commit);
        }
        for (Chart drawn : h.charts()) {
            assertTrue(Files.isRegularFile(tmp.resolve("charts").resolve(drawn.id() + ".png")), drawn.id());
        }
        Chart chart = h.charts().get(0);
        assertEquals(List.of("aaaaaaa", "bbbbbbb", "ccccccc"), chart.xNames());
        Chart.Series marks = chart.series().get(chart.series().size() - 1);
        assertEquals(1, marks.points().size());
        assertEquals(2.0, marks.points().get(0).x());
        ChartsTest.assertDrawn(PngCharts.png(chart), "history");

        CliTestSupport.Run json = CliTestSupport.run("history", tmp.resolve("c-first.json").toString(),
                tmp.resolve("a-second.json").toString(), tmp.resolve("b-third.json").toString(), "--format", "json");
        assertEquals(0, json.code(), json.err());
        JsonNode points = M.readTree(json.out()).get("change_points");
        assertEquals(1, points.size());
        assertEquals("ccccccc", points.get(0).get("to").asText());
    }

    /**
     * Machine drift: the second run 25% slower everywhere (a slow period), the third with static-gqa's code 30% slower.
     * Raw, every configuration changes; normalized by kv of the same run, only static-gqa's change remains.
     */
    @Test
    void normalizingByTheReferenceStrategyCancelsDrift(@TempDir Path tmp) throws Exception {
        commit(tmp, "first", "aaaaaaa", "2026-11-01T10:00:00Z", 1.0, "kv", 1.0);
        commit(tmp, "second", "bbbbbbb", "2026-11-02T10:00:00Z", 1.25, "kv", 1.0);
        commit(tmp, "third", "ccccccc", "2026-11-03T10:00:00Z", 1.25, "static-gqa", 1.3);
        CliTestSupport.Run raw = CliTestSupport.run("history", tmp.toString(), "--format", "json");
        assertEquals(0, raw.code(), raw.err());
        assertTrue(M.readTree(raw.out()).get("change_points").size() >= 3, "drift looks like change points: " + raw.out());
        CliTestSupport.Run norm = CliTestSupport.run("history", tmp.toString(), "--format", "json", "--normalize", "kv");
        assertEquals(0, norm.code(), norm.err());
        JsonNode points = M.readTree(norm.out()).get("change_points");
        assertEquals(1, points.size(), norm.out());
        assertTrue(points.get(0).get("benchmark").asText().contains("strategy=static-gqa"), norm.out());
        assertEquals("ccccccc", points.get(0).get("to").asText());
        assertEquals(30, points.get(0).get("change_percent").asDouble(), 1);
        CliTestSupport.Run compare = CliTestSupport.run("compare", tmp.resolve("first.json").toString(),
                tmp.resolve("second.json").toString(), "--normalize", "kv");
        assertEquals(0, compare.code(), "drift alone is no regression once normalized: " + compare.out());
        CliTestSupport.assertBadInput("it goes with --metric primary only", "compare", tmp.resolve("first.json").toString(),
                tmp.resolve("second.json").toString(), "--normalize", "kv", "--metric", "gc.alloc.rate.norm");
        CliTestSupport.assertBadInput("unknown strategy 'fast'", "history", tmp.toString(), "--normalize", "fast");
    }

    @Test
    void historyNeedsCommitDates(@TempDir Path tmp) throws Exception {
        Path a = commit(tmp, "a", "aaaaaaa", "2026-11-01T10:00:00Z", 1, 1);
        Path b = tmp.resolve("b.json");
        Files.copy(BASELINE, b);
        CliTestSupport.assertBadInput("b.json has no .meta.json with git_commit_date", "history", a.toString(), b.toString());
        CliTestSupport.assertBadInput("at least two result files", "history", a.toString());
    }
}
