package dev.kvbench.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CI gate, on the committed baseline itself and on a copy with a planted allocation regression. */
class RegressionGateTest {
    static final Path BASELINE = TestModels.ROOT.resolve("results/baseline/ci-gate.json");

    @Test
    void passesOnTheBaselineItself() {
        CliTestSupport.Run r = CliTestSupport.run("gate", BASELINE.toString(), BASELINE.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("gate: PASS"), r.out());
    }

    @Test
    void failsOnAPlantedAllocationRegression(@TempDir Path tmp) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ArrayNode results = (ArrayNode) m.readTree(BASELINE.toFile());
        for (var entry : results) {
            if (entry.path("params").path("strategy").asText().equals("kv")) {
                ObjectNode alloc = (ObjectNode) entry.get("secondaryMetrics").get("gc.alloc.rate.norm");
                alloc.put("score", alloc.get("score").asDouble() * 1.25 + 4096);
            }
        }
        Path planted = tmp.resolve("planted.json");
        m.writeValue(planted.toFile(), results);
        CliTestSupport.Run r = CliTestSupport.run("gate", BASELINE.toString(), planted.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("gate: FAIL") && r.out().contains("strategy=kv"), r.out());
    }

    @Test
    void failsWhenTheSpeedupFallsBelowTheFloor() {
        CliTestSupport.Run r = CliTestSupport.run("gate", BASELINE.toString(), BASELINE.toString(), "--min-speedup", "1000");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("faster than no-cache"), r.out());
    }
}
