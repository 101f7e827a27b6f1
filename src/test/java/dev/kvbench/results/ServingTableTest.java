package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.cli.CliTestSupport;
import dev.kvbench.support.JsonFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The summary's serving section over real serve runs: a row per configuration and load, and the configuration that
 * sustains the most requests per second among those with at least 90% of their requests under the targets.
 */
class ServingTableTest {
    @Test
    void theSectionNamesWhatSustainsTheMostUnderTheTargets(@TempDir Path tmp) throws Exception {
        Path seq = tmp.resolve("seq.json");
        Path cont = tmp.resolve("cont.json");
        for (var run : List.of(List.of("--policy", "sequential", "--out", seq.toString()),
                List.of("--policy", "continuous", "--strategy", "static-gqa", "--out", cont.toString()))) {
            List<String> args = new ArrayList<>(List.of("serve", "--clients", "1,4", "--requests", "8", "--max-new-tokens",
                    "8", "--slo", "ttft=10000,tpot=10000"));
            args.addAll(run);
            CliTestSupport.Run r = CliTestSupport.run(args.toArray(new String[0]));
            assertEquals(0, r.code(), r.err());
        }
        List<JmhResult> both = new ArrayList<>(JmhResults.read(seq));
        both.addAll(JmhResults.read(cont));
        List<ServingTable.Cell> cells = ServingTable.cells(both);
        assertEquals(4, cells.size(), "two configurations x two loads");
        ServingTable.Cell best = cells.stream().max(java.util.Comparator.comparingDouble(c -> c.score("requestsPerSecond")))
                .orElseThrow();
        assertEquals(best, ServingTable.best(cells).orElseThrow(), "every target met: the most requests per second");
        String text = Summary.render(both);
        assertTrue(text.contains("Serving on tiny-llama") && text.contains("goodput: the share meeting ttft=10000,tpot=10000"),
                text);
        assertTrue(text.contains("kv sequential") && text.contains("static-gqa continuous (8 rows)"), text);
        assertTrue(text.contains("Sustains the most: " + best.configuration()), text);
        assertTrue(text.contains("no interval: one run"), text);
        assertEquals(List.of(), ServingTable.tiedWith(best, cells), "one run: no interval, nothing to tie with");

        // The best one planted below the targets (goodput 0.5) is no longer the one that sustains the most.
        ArrayNode planted = (ArrayNode) JsonFiles.MAPPER.valueToTree(JsonFiles.MAPPER.readTree(
                (best.policy().equals("sequential") ? seq : cont).toFile()));
        for (JsonNode e : planted) {
            if (e.path("secondaryMetrics").has(ServingResults.GOODPUT) && e.path("params").path("clients").asText()
                    .equals(best.load())) {
                ObjectNode g = (ObjectNode) e.get("secondaryMetrics").get(ServingResults.GOODPUT);
                g.put("score", 0.5);
            }
        }
        Path p = tmp.resolve("planted.json");
        JsonFiles.MAPPER.writeValue(p.toFile(), planted);
        List<JmhResult> other = JmhResults.read(best.policy().equals("sequential") ? cont : seq);
        List<JmhResult> mixed = new ArrayList<>(JmhResults.read(p));
        mixed.addAll(other);
        ServingTable.Cell now = ServingTable.best(ServingTable.cells(mixed)).orElseThrow();
        assertTrue(!(now.configuration().equals(best.configuration()) && now.load().equals(best.load())), now.toString());
        assertEquals("", ServingTable.render(JmhResults.read(RegressionGateTest.BASELINE)), "no serving figures, no section");
    }
}
