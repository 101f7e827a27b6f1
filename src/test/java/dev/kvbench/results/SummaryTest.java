package dev.kvbench.results;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SummaryTest {
    @TempDir
    Path dir;

    @Test
    void stepHeapComesFromTheStepCounterAndGenerationHeapFromProfGc() throws Exception {
        Path f = new JmhJson()
                // -prof gc says 12,000 B/op (8 steps + the prefill); the counter around the steps says 64 steps, 6,400 B.
                .add("StepBenchmark.steps", Map.of("strategy", "kv", "context", "256"), 10, 0.05, 1, 12_000)
                .counter("heapBytes", 6_400).counter("tokens", 64)
                .add("GenerationBenchmark.generate", Map.of("strategy", "kv", "newTokens", "64"), 80, 0.05, 2, 6_400)
                .write(dir.resolve("r.json"));
        List<Summary.Row> rows = Summary.rows(JmhResults.read(f));
        assertEquals(2, rows.size());
        Summary.Row step = rows.stream().filter(r -> r.benchmark().equals("StepBenchmark")).findFirst().orElseThrow();
        Summary.Row generation = rows.stream().filter(r -> r.benchmark().equals("GenerationBenchmark")).findFirst().orElseThrow();
        assertEquals(100.0, step.heapBytesPerToken(), 1e-9);
        assertEquals(100.0, generation.heapBytesPerToken(), 1e-9);
    }
}
