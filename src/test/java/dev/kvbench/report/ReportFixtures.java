package dev.kvbench.report;

import dev.kvbench.TestModels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** The real result fixture (a trimmed `kvbench bench` run at ff3ddf2, with its metadata), copied where a test needs it. */
final class ReportFixtures {
    static final Path BENCH = TestModels.ROOT.resolve("src/test/resources/results/bench-ff3ddf2.json");

    private ReportFixtures() {
    }

    /** Copies the fixture and its .meta.json into {@code dir} as {@code name}.json. */
    static Path copy(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve(name + ".json");
        Files.copy(BENCH, json, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(BENCH.resolveSibling("bench-ff3ddf2.meta.json"), dir.resolve(name + ".meta.json"), StandardCopyOption.REPLACE_EXISTING);
        return json;
    }
}
