package dev.kvbench.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.report.History;
import dev.kvbench.report.ResultFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code kvbench history} on two large result files, read and compared as the command does: its cost must grow
 * linearly with the configurations (10 samples each), so 4x the configurations should cost about 4x, not 16x.
 * No engine: the files are synthetic JMH JSON with sidecars, written once per trial.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class HistoryBenchmark {
    /** Configurations per file (8,151 is the size of the files that once took minutes). */
    @Param({"2000", "8151"})
    public int configurations;

    private Path dir;
    private List<Path> files;

    @Setup(Level.Trial)
    public void write() throws IOException {
        dir = Files.createTempDirectory("kvbench-history-bench");
        files = List.of(write("a", "2026-01-01T00:00:00Z", 1.0), write("b", "2026-01-02T00:00:00Z", 1.1));
    }

    private Path write(String name, String commitDate, double scale) throws IOException {
        ObjectMapper m = new ObjectMapper();
        ArrayNode all = m.createArrayNode();
        SplittableRandom random = new SplittableRandom(name.hashCode());
        for (int i = 0; i < configurations; i++) {
            ObjectNode r = all.addObject();
            r.put("benchmark", "dev.kvbench.bench.GenerationBenchmark.generate").put("mode", "avgt").put("forks", 2);
            r.putObject("params").put("model", "tiny-llama").put("strategy", "kv").put("newTokens", String.valueOf(i))
                    .put("threads", "1");
            ObjectNode p = r.putObject("primaryMetric");
            ArrayNode raw = p.putArray("rawData");
            double sum = 0;
            for (int fork = 0; fork < 2; fork++) {
                ArrayNode samples = raw.addArray();
                for (int k = 0; k < 5; k++) {
                    double x = scale * (10 + i % 50) * (1 + 0.02 * random.nextGaussian());
                    samples.add(x);
                    sum += x;
                }
            }
            p.put("score", sum / 10).put("scoreError", 0.1).put("scoreUnit", "ms/op");
            r.putObject("secondaryMetrics");
        }
        Path file = dir.resolve(name + ".json");
        m.writeValue(file.toFile(), all);
        m.writeValue(dir.resolve(name + ".meta.json").toFile(), m.createObjectNode().put("git_commit_date", commitDate)
                .put("git_short_sha", name));
        return file;
    }

    @Benchmark
    public int history() {
        return History.of(files.stream().map(ResultFile::read).toList(), 5, 0.05).changes().size();
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
