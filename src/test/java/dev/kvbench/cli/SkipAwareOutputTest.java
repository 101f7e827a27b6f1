package dev.kvbench.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SkipAwareOutputTest {
    /** What JMH prints for a setup that declines a configuration, then for one that really fails, between normal lines. */
    private static final String JMH = """
            # Warmup Iteration   1: # kvbench: threads = 1
            <failure>

            java.lang.IllegalStateException: SKIPPED: no-cache at 1024 new tokens would take about 106 s per operation (limit 30.0 s)
            \tat dev.kvbench.bench.GenerationBenchmark.open(GenerationBenchmark.java:49)
            \tat java.base/java.lang.Thread.run(Thread.java:840)

            # Run progress: 100.00% complete
            <failure>

            java.lang.IllegalStateException: model file missing
            \tat dev.kvbench.bench.BenchModels.open(BenchModels.java:20)

            Result "generate": 12.5 ms/op
            """;

    @Test
    void skipsBecomeOneLineAndRealFailuresStayWhole() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SkipAwareOutput filter = new SkipAwareOutput(sink);
        try (PrintStream ps = new PrintStream(filter, true, StandardCharsets.UTF_8)) {
            ps.print(JMH);
        }
        String out = sink.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
        assertEquals(List.of("no-cache at 1024 new tokens would take about 106 s per operation (limit 30.0 s)"), filter.skips());
        assertTrue(out.contains("# skipped: no-cache at 1024 new tokens would take about 106 s per operation (limit 30.0 s)\n"), out);
        assertFalse(out.contains("GenerationBenchmark.java:49"), out);
        assertTrue(out.contains("<failure>\n\njava.lang.IllegalStateException: model file missing\n\tat dev.kvbench.bench.BenchModels.open"), out);
        assertTrue(out.startsWith("# Warmup Iteration   1: # kvbench: threads = 1\n# skipped:"), out);
        assertTrue(out.endsWith("Result \"generate\": 12.5 ms/op\n"), out);
        assertEquals(1, out.split("<failure>", -1).length - 1, out);
    }

    @Test
    void aFailureAfterAnUnfinishedProgressLineIsStillASkip() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        SkipAwareOutput filter = new SkipAwareOutput(sink);
        try (PrintStream ps = new PrintStream(filter, true, StandardCharsets.UTF_8)) {
            ps.print("# Warmup Iteration   1: ");
            ps.flush();
            ps.print("<failure>\n\njava.lang.IllegalStateException: SKIPPED: too slow\n\tat a.B.c(B.java:1)\n\nnext\n");
        }
        String out = sink.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
        assertEquals("# Warmup Iteration   1: # skipped: too slow\nnext\n", out);
        assertEquals(List.of("too slow"), filter.skips());
    }

    @Test
    void unfinishedProgressLinesPassOnFlush() {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(new SkipAwareOutput(sink), true, StandardCharsets.UTF_8)) {
            ps.print("# Warmup Iteration   1: ");
            ps.flush();
            assertEquals("# Warmup Iteration   1: ", sink.toString(StandardCharsets.UTF_8));
            ps.println("5.4 ms/op");
            assertEquals("# Warmup Iteration   1: 5.4 ms/op" + System.lineSeparator(), sink.toString(StandardCharsets.UTF_8));
        }
    }
}
