package dev.kvbench.matrix;


import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.support.Processes;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Peak resident set of one generation, in a fresh JVM per run (JMH does not see native memory, and the peak is
 * process-wide): runs {@code PeakMemory} from the benchmark jar and reads its JSON result line.
 */
public final class PeakMemoryRun {
    private PeakMemoryRun() {
    }

    /** A finished run's figures, or the reason it gave none. */
    public record Outcome(JsonNode figures, String failure) {
        public boolean ok() {
            return figures != null;
        }
    }

    public static Outcome run(Path repo, Path folder, GraphDtypes dtype, MatrixPlan.PeakRun r) {
        String jar = repo.resolve("target/benchmarks.jar").toString();
        Processes.Outcome o = Processes.run(repo, 1800, List.of("java", "-Xmx2g", "-D" + BenchmarkContract.ROOT_PROPERTY + "=" + repo,
                "-cp", jar, BenchmarkContract.PEAK_MEMORY_MAIN, folder.toString(), r.strategy().id(),
                String.valueOf(r.tokens()), String.valueOf(r.rows()), dtype.id()));
        String line = o.output().lines().filter(l -> l.startsWith(BenchmarkContract.PEAK_MEMORY_LINE)).findFirst().orElse(null);
        if (line == null || !o.ok()) {
            return new Outcome(null, o.lastLine());
        }
        try {
            return new Outcome(JsonFiles.MAPPER.readTree(line.substring(BenchmarkContract.PEAK_MEMORY_LINE.length())), null);
        } catch (IOException e) {
            return new Outcome(null, "unreadable result line: " + line);
        }
    }

    /** The table's header: what was run, and the columns. */
    public static String header(int tokens, boolean batches) {
        return "\nPeak resident set (VmHWM) over an 8-token prompt + " + tokens + " new tokens, fresh JVM each"
                + (batches ? "; then " + MatrixPlan.PEAK_BATCH + " rows (prompts of 5 to 8 tokens) + " + tokens + " new tokens" : "")
                + "; KV bytes the cache held per row at the end\n" + String.format(Locale.ROOT, "%-14s %5s %10s %10s %16s %10s%n", "strategy",
                "rows", "MiB before", "MiB peak", "KV MiB per row", "gen ms");
    }

    /** One table row of a finished run. */
    public static String row(MatrixPlan.PeakRun r, JsonNode f) {
        return String.format(Locale.ROOT, "%-14s %5d %10.1f %10.1f %16.2f %10.0f%n", r.strategy(), r.rows(),
                f.path("vmhwm_before_kib").asDouble() / 1024, f.path("vmhwm_after_kib").asDouble() / 1024,
                f.path("kv_bytes_held_per_row").asDouble() / (1 << 20), f.path("ms").asDouble());
    }
}
