package dev.kvbench.bench;

import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.serve.Policy;
import dev.kvbench.serve.Scheduler;
import dev.kvbench.serve.Workload;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One serving replay per operation: {@code clients} closed-loop clients (no think time, so the replay never waits for
 * an arrival and its wall time is the service's work) sending {@code requestsPerClient} requests each of
 * {@code promptTokens} + {@code newTokens} tokens, served by {@code policy} with up to {@code maxBatch} rows
 * ({@link Scheduler}). Lower time per replay is more requests per second; as a JMH benchmark it is what
 * {@code ab --method jmh} pairs between commits, so a change to the scheduler or a cache's joins is caught like any
 * other regression. {@code serve} reports the latencies; this measures the throughput.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class ServingBenchmark extends EngineState {
    @Param({"kv", "static-gqa"})
    public String strategy;

    @Param({"sequential", "static-batch", "continuous"})
    public String policy;

    @Param({"1", "16"})
    public int clients;

    @Param({"2"})
    public int requestsPerClient;

    @Param({"16"})
    public int maxBatch;

    @Param({"64"})
    public int promptTokens;

    @Param({"32"})
    public int newTokens;

    private Workload workload;
    private Scheduler.Settings settings;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.SERVING + " strategy=" + strategy + " policy=" + policy + " clients=" + clients, strategy,
                10, 1);
        Policy p = Policy.parse(policy);
        settings = new Scheduler.Settings(p, p == Policy.SEQUENTIAL ? 1 : maxBatch, p == Policy.STATIC_BATCH ? 10 : 0);
        int prompt = engine.model().encoderDecoder() ? Math.min(promptTokens, 32) : promptTokens;
        workload = Workload.clients(engine.model(), clients, clients * requestsPerClient, 0, Workload.Lengths.fixed(prompt),
                Workload.Lengths.fixed(newTokens));
    }

    @Benchmark
    public int replay() {
        Scheduler.Run run = Scheduler.replay(engine.generator(), workload, settings);
        return run.served().get(run.served().size() - 1).tokens()[newTokens - 1];
    }
}
