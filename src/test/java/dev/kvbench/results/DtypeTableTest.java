package dev.kvbench.results;

import dev.kvbench.decode.Strategy;
import dev.kvbench.paired.StrategyVerdicts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench --dtypes}: each run's within-run verdicts side by side, one column per dtype, from the runs' metadata. */
class DtypeTableTest {
    private static StrategyVerdicts.Verdict row(String b, String dtype, double ratio, String word) {
        return new StrategyVerdicts.Verdict(b, "model=tiny-llama, newTokens=64" + (dtype.equals("fp32") ? "" : ", dtype=" + dtype),
                ratio, ratio * 0.97, ratio * 1.03, 0.001, 6, word);
    }

    private static Path run(Path dir, String dtype, double gqa) throws Exception {
        Path result = dir.resolve("bench-tiny-llama-" + dtype + ".json");
        StrategyVerdicts v = new StrategyVerdicts(Strategy.parse("kv"), 5, List.of(row("static-gqa", dtype, gqa, "faster")),
                List.of(row("kv", dtype, 1.0, "indistinguishable within ±5.0%")));
        var meta = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        meta.set("strategy_verdicts", v.json(100));
        Files.writeString(RunMeta.sidecar(result, ".meta.json"), meta.toPrettyString());
        return result;
    }

    @Test
    void verdictsOfEachDtypeRunSideBySide(@TempDir Path tmp) throws Exception {
        List<Path> files = List.of(run(tmp, "fp32", 0.748), tmp.resolve("missing-q8.json"), run(tmp, "q4", 0.692),
                run(tmp, "encoder=fp32,decoder=q4", 0.701));
        String table = DtypeTable.verdicts(List.of("fp32", "q8", "q4", "encoder=fp32,decoder=q4"), files);
        assertTrue(table.contains("Verdict by dtype: ratio to kv"), table);
        List<String> lines = table.lines().filter(l -> l.startsWith("newTokens=64")).toList();
        assertEquals(2, lines.size(), "one row per candidate and one for the A/A control, dtype folded into columns: " + table);
        String gqa = lines.stream().filter(l -> l.contains("static-gqa")).findFirst().orElseThrow();
        assertTrue(gqa.contains("0.748 [0.726, 0.770] faster") && gqa.contains("0.692 [0.671, 0.713] faster"), table);
        assertTrue(gqa.contains("0.701 [0.680, 0.722] faster"), "a dtype per graph, its comma and all, folded too: " + table);
        assertTrue(gqa.matches(".*faster\\s+-\\s+0\\.692.*"), "the run without metadata is a dash: " + table);
        String control = lines.stream().filter(l -> l.contains("A/A kv")).findFirst().orElseThrow();
        assertTrue(control.contains("1.000 [0.970, 1.030] ~"), table);
        assertEquals("", DtypeTable.verdicts(List.of("q8"), List.of(tmp.resolve("missing-q8.json"))));
    }
}
