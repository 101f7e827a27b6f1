package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.support.Processes;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bench fails loudly, run as a user runs it (the shaded jar in its own JVM, after {@code package}): a corrupt model file
 * is a listed failure and exit 1, while what works is still measured and kept; nothing is overwritten.
 */
class BenchCommandIT {
    static final Path JAR = TestModels.ROOT.resolve("target/benchmarks.jar");

    static Processes.Outcome kvbench(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "-Dkvbench.root=" + TestModels.ROOT, "-cp", JAR.toString(),
                "dev.kvbench.cli.Main"));
        cmd.addAll(List.of(args));
        return Processes.run(dir, 600, cmd);
    }

    /** A folder with tiny-llama's files, whose model.onnx is truncated; the static variants stay intact. */
    static Path corruptLlama(Path tmp) throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("corrupt-llama"));
        try (var files = Files.list(TestModels.LLAMA)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("model.onnx")) {
                    Files.copy(f, folder.resolve(f.getFileName()));
                }
            }
        }
        byte[] model = Files.readAllBytes(TestModels.LLAMA.resolve("model.onnx"));
        Files.write(folder.resolve("model.onnx"), java.util.Arrays.copyOf(model, model.length / 3));
        return folder;
    }

    @Test
    void aCorruptModelFileIsAFailedSectionAndExitOne(@TempDir Path tmp) throws Exception {
        Path folder = corruptLlama(tmp);
        Path out = tmp.resolve("run.json");
        Processes.Outcome r = kvbench(tmp, "bench", "--quick", "--model", folder.toString(), "--strategies", "kv,static-gqa",
                "--out", out.toString());
        assertEquals(1, r.exitCode(), r.output());
        String summary = Files.readString(out.resolveSibling("run.summary.txt"));
        assertTrue(summary.contains("\nFailed\n  kv: cannot load ONNX model"), summary);
        assertTrue(summary.contains("static-gqa"), "the working strategy is still measured: " + summary);
        assertTrue(summary.contains("--quick: a smoke run"), summary);
        JsonNode results = new ObjectMapper().readTree(out.toFile());
        List<JsonNode> jmh = new java.util.ArrayList<>();
        results.forEach(e -> {
            if (!e.path("benchmark").asText().startsWith("dev.kvbench.serve.Serving.")) {
                jmh.add(e);
            }
        });
        assertEquals(3, jmh.size(), "static-gqa's generation, step and prefill results are kept");
        assertEquals(2 * 2 * 7, results.size() - jmh.size(), "its serving sweep: 2 policies x 2 loads x 7 figures");
        results.forEach(e -> assertEquals("static-gqa", e.path("params").path("strategy").asText()));
        assertTrue(summary.contains("Serving on ") && !summary.contains("serving sweep (kv)"), "kv failed: not swept; " + summary);
        assertTrue(Files.isRegularFile(out.resolveSibling("run.meta.json")));
        assertFalse(r.output().contains("Exception"), "no stack trace: " + r.output());

        Processes.Outcome again = kvbench(tmp, "bench", "--quick", "--model", folder.toString(), "--strategies", "static-gqa",
                "--out", out.toString());
        assertEquals(2, again.exitCode(), again.output());
        assertTrue(again.output().strip().endsWith("exists: results are never overwritten (choose another --out)"), again.output());
    }

    @Test
    void anUnwritableResultsFolderIsBadInputBeforeAnyBenchmark(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        Processes.Outcome r = kvbench(tmp, "bench", "--quick", "--strategies", "kv", "--out", file.resolve("run.json").toString());
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("cannot create folder") && r.output().contains("a file of that name exists")
                && !r.output().contains("# JMH"), r.output());
    }
}
