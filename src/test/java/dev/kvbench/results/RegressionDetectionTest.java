package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Regression detection on the committed CI baseline (a real JMH result of this project, 2 forks x 5 iterations per
 * configuration): planted slowdowns are flagged, results from another checkout match, missing configurations fail the
 * gate, too few samples are called undecidable, and malformed numbers are input errors.
 */
public class RegressionDetectionTest {
    static final Path BASELINE = TestModels.ROOT.resolve("results/baseline/ci-gate.json");
    static final ObjectMapper M = new ObjectMapper();

    static ArrayNode baseline() throws Exception {
        return (ArrayNode) M.readTree(BASELINE.toFile());
    }

    /** A copy of the baseline with {@code change} applied to every entry, written to {@code file}. */
    static Path variant(Path file, Consumer<ObjectNode> change) throws Exception {
        ArrayNode copy = baseline();
        copy.forEach(e -> change.accept((ObjectNode) e));
        M.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), copy);
        return file;
    }

    /** Multiplies the primary metric's samples and score of the {@code strategy} entry by {@code factor}. */
    public static void slow(ObjectNode entry, String strategy, double factor) {
        if (!entry.path("params").path("strategy").asText().equals(strategy)) {
            return;
        }
        ObjectNode pm = (ObjectNode) entry.get("primaryMetric");
        pm.put("score", pm.get("score").asDouble() * factor);
        ArrayNode raw = M.createArrayNode();
        for (JsonNode fork : pm.get("rawData")) {
            ArrayNode f = raw.addArray();
            fork.forEach(v -> f.add(v.asDouble() * factor));
        }
        pm.set("rawData", raw);
    }

    @Test
    void theBaselineHoldsEnoughSamplesToDecide() throws Exception {
        for (JmhResult r : JmhResults.read(BASELINE)) {
            int n = r.primary().samples().length;
            assertTrue(Statistics.smallestMannWhitneyP(n, n) < 0.01, r.key() + " has only " + n + " samples");
        }
    }

    @Test
    void aPlantedThirtyPercentSlowdownIsFlagged(@TempDir Path tmp) throws Exception {
        Path slow = variant(tmp.resolve("slow.json"), e -> slow(e, "kv", 1.3));
        CliTestSupport.Run r = CliTestSupport.run("compare", BASELINE.toString(), slow.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        String kvLine = r.out().lines().filter(l -> l.contains("strategy=kv,")).findFirst().orElseThrow();
        assertTrue(kvLine.contains("REGRESSION") && kvLine.contains("+30.00%"), kvLine);
        assertTrue(r.out().contains("1 regression(s)"), r.out());
    }

    @Test
    void threePlusThreeSamplesCannotDecideAndSaySo(@TempDir Path tmp) throws Exception {
        Consumer<ObjectNode> three = e -> {
            ObjectNode pm = (ObjectNode) e.get("primaryMetric");
            ArrayNode first = (ArrayNode) pm.get("rawData").get(0);
            ArrayNode trimmed = M.createArrayNode();
            trimmed.addArray().add(first.get(0)).add(first.get(1)).add(first.get(2));
            pm.set("rawData", trimmed);
        };
        Path old = variant(tmp.resolve("old.json"), three);
        Path doubled = variant(tmp.resolve("doubled.json"), three.andThen(e -> slow(e, "kv", 2.0)));
        CliTestSupport.Run r = CliTestSupport.run("compare", old.toString(), doubled.toString());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("cannot decide: smallest p with n=3+3 is 0.100"), r.out());
        assertTrue(r.out().contains("3 of 3 comparison(s) cannot reach p < 0.0500"), r.out());
        CliTestSupport.Run json = CliTestSupport.run("compare", old.toString(), doubled.toString(), "--format", "json");
        JsonNode root = M.readTree(json.out());
        assertEquals(3, root.get("undecidable").asInt());
        assertFalse(root.get("rows").get(0).get("decidable").asBoolean());
        assertEquals(0.1, root.get("rows").get(0).get("smallest_p").asDouble(), 1e-9);
    }

    @Test
    void theSameResultsFromAnotherCheckoutCompareCleanly(@TempDir Path tmp) throws Exception {
        Path moved = variant(tmp.resolve("moved.json"),
                e -> ((ObjectNode) e.get("params")).put("model", "/home/someone/else/kvbench/models/tiny-llama"));
        CliTestSupport.Run r = CliTestSupport.run("compare", BASELINE.toString(), moved.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("added") || r.out().contains("removed"), r.out());
        assertTrue(r.out().contains("{model=tiny-llama, newTokens=256, ortCall=direct, strategy=kv, threads=1}"), r.out());
        CliTestSupport.Run gate = CliTestSupport.run("gate", BASELINE.toString(), moved.toString());
        assertEquals(0, gate.code(), gate.out());
    }

    @Test
    void aModelChecksumMismatchIsAWarning(@TempDir Path tmp) throws Exception {
        Path a = Files.copy(BASELINE, tmp.resolve("a.json"));
        Path b = Files.copy(BASELINE, tmp.resolve("b.json"));
        Files.writeString(tmp.resolve("a.meta.json"), "{\"models\": {\"tiny-llama\": {\"model.onnx\": \"aaa\", \"config.json\": \"ccc\"}}}");
        Files.writeString(tmp.resolve("b.meta.json"), "{\"models\": {\"tiny-llama\": {\"model.onnx\": \"bbb\", \"config.json\": \"ccc\"}}}");
        CliTestSupport.Run r = CliTestSupport.run("compare", a.toString(), b.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("warning: model tiny-llama differs between a.json and b.json (checksums of model.onnx)"), r.err());
    }

    @Test
    void theGateFailsWhenABaselineConfigurationIsMissing(@TempDir Path tmp) throws Exception {
        ArrayNode partial = baseline();
        for (int i = partial.size() - 1; i >= 0; i--) {
            if (partial.get(i).path("params").path("strategy").asText().equals("static-gqa")) {
                partial.remove(i);
            }
        }
        Path file = tmp.resolve("partial.json");
        M.writeValue(file.toFile(), partial);
        CliTestSupport.Run r = CliTestSupport.run("gate", BASELINE.toString(), file.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("gate: FAIL") && r.out().contains("strategy=static-gqa, threads=1} is in the baseline but not in the new run"), r.out());
        Path changed = variant(tmp.resolve("changed.json"), e -> ((ObjectNode) e.get("params")).put("newTokens", "128"));
        CliTestSupport.Run c = CliTestSupport.run("gate", BASELINE.toString(), changed.toString());
        assertTrue(c.code() != 0 && c.out().contains("MISSING") || c.err().contains("no GenerationBenchmark"), c.out() + c.err());
    }

    @Test
    void malformedNumbersAreBadInput(@TempDir Path tmp) throws Exception {
        String text = Files.readString(BASELINE);
        String firstScore = text.substring(text.indexOf("\"score\""), text.indexOf(',', text.indexOf("\"score\"")));
        String[][] cases = {
            {"nan.json", text.replaceFirst(java.util.regex.Pattern.quote(firstScore), "\"score\" : NaN"), "not valid JSON"},
            {"infinity.json", text.replaceFirst(java.util.regex.Pattern.quote(firstScore), "\"score\" : 1e999"), "finite"},
            {"negative.json", text.replaceFirst(java.util.regex.Pattern.quote(firstScore), "\"score\" : -5.0"), "non-negative"},
            {"string.json", text.replaceFirst(java.util.regex.Pattern.quote(firstScore), "\"score\" : \"fast\""), "is not a number"},
            {"object.json", text.replaceFirst(java.util.regex.Pattern.quote(firstScore), "\"score\" : {}"), "is not a number"},
            {"trailing.json", text + "\n{\"more\": 1}", "not valid JSON"},
            {"duplicate.json", text.replaceFirst(java.util.regex.Pattern.quote(firstScore), firstScore + ", \"score\" : 1.0"), "not valid JSON"},
        };
        for (String[] c : cases) {
            Path f = tmp.resolve(c[0]);
            Files.writeString(f, c[1]);
            CliTestSupport.assertBadInput(c[2], "compare", BASELINE.toString(), f.toString());
            CliTestSupport.assertBadInput(c[2], "gate", BASELINE.toString(), f.toString());
        }
        // Samples: JMH's "NaN" string, a negative time, an empty fork, no samples at all.
        Object[][] samples = {
            {"nan-sample.json", (Consumer<ArrayNode>) raw -> ((ArrayNode) raw.get(0)).set(0, M.getNodeFactory().textNode("NaN")), "is not a number"},
            {"negative-sample.json", (Consumer<ArrayNode>) raw -> ((ArrayNode) raw.get(0)).set(0, M.getNodeFactory().numberNode(-1.0)), "non-negative"},
            {"empty-fork.json", (Consumer<ArrayNode>) raw -> raw.set(0, M.createArrayNode()), "empty or non-array fork"},
            {"no-samples.json", (Consumer<ArrayNode>) ArrayNode::removeAll, "has no samples"},
        };
        for (Object[] c : samples) {
            @SuppressWarnings("unchecked")
            Consumer<ArrayNode> edit = (Consumer<ArrayNode>) c[1];
            Path f = variant(tmp.resolve((String) c[0]), e -> edit.accept((ArrayNode) e.get("primaryMetric").get("rawData")));
            CliTestSupport.assertBadInput((String) c[2], "compare", BASELINE.toString(), f.toString());
        }
    }

    @Test
    void aSecondaryMetricWithAnEmptyForkIsReadAsJmhWritesIt(@TempDir Path tmp) throws Exception {
        // JMH writes "gc.time": {"rawData": [[], [12.0]]} when one fork saw no garbage collection.
        Path file = variant(tmp.resolve("gc-time.json"), e -> {
            ObjectNode gcTime = ((ObjectNode) e.get("secondaryMetrics")).putObject("gc.time");
            gcTime.put("score", 12.0);
            gcTime.put("scoreError", "NaN");
            gcTime.put("scoreUnit", "ms");
            ArrayNode raw = gcTime.putArray("rawData");
            raw.addArray();
            raw.addArray().add(12.0);
        });
        assertEquals(1, JmhResults.read(file).get(0).metric("gc.time").samples().length);
        CliTestSupport.Run r = CliTestSupport.run("gate", BASELINE.toString(), file.toString());
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void optionRangesAreBadInput() {
        CliTestSupport.assertBadInput("--alpha must be in (0, 1)", "compare", BASELINE.toString(), BASELINE.toString(), "--alpha", "0");
        CliTestSupport.assertBadInput("--threshold must be a percentage >= 0", "compare", BASELINE.toString(), BASELINE.toString(),
                "--threshold", "-3");
        CliTestSupport.assertBadInput("--alloc-tolerance must be >= 0", "gate", BASELINE.toString(), BASELINE.toString(),
                "--alloc-tolerance", "-1");
        CliTestSupport.assertBadInput("Invalid value for option '--format'", "compare", BASELINE.toString(), BASELINE.toString(),
                "--format", "xml");
    }
}
