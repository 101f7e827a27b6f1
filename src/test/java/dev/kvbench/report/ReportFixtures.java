package dev.kvbench.report;

import dev.kvbench.TestModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real result fixture (a trimmed `kvbench bench` run at ff3ddf2, with its metadata), copied where a test needs it. */
final class ReportFixtures {
    static final Path BENCH = TestModels.ROOT.resolve("src/test/resources/results/bench-ff3ddf2.json");

    private ReportFixtures() {
    }

    /** A real run's strategy verdict and recommendation (verdict-quick.json), for the report's verdict section and chart. */
    static final Path VERDICT = BENCH.resolveSibling("verdict-quick.json");

    /**
     * Real serving figures ({@code kvbench serve --out}: static-gqa, sequential and continuous, 1 and 4 closed-loop
     * clients, 2 runs each), added to the copied run as {@code bench} adds its serving sweep's.
     */
    static final Path SERVING = BENCH.resolveSibling("serve-fixture.json");

    /**
     * Copies the fixture and its .meta.json into {@code dir} as {@code name}.json, with the verdict block of
     * {@link #VERDICT} in the metadata (the ff3ddf2 run predates verdicts).
     */
    static Path copy(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve(name + ".json");
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ArrayNode results = (com.fasterxml.jackson.databind.node.ArrayNode)
                m.readTree(BENCH.toFile());
        m.readTree(SERVING.toFile()).forEach(results::add);
        m.writeValue(json.toFile(), results);
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode)
                m.readTree(BENCH.resolveSibling("bench-ff3ddf2.meta.json").toFile());
        com.fasterxml.jackson.databind.JsonNode verdict = m.readTree(VERDICT.toFile());
        meta.set("strategy_verdicts", verdict.get("strategy_verdicts"));
        meta.set("recommendation", verdict.get("recommendation"));
        m.writeValue(dir.resolve(name + ".meta.json").toFile(), meta);
        return json;
    }
}
