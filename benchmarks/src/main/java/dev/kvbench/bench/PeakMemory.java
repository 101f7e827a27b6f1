package dev.kvbench.bench;

import dev.kvbench.decode.Engine;
import dev.kvbench.decode.GenerationResult;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.results.BenchmarkContract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Native memory, which JMH does not see: the process's peak resident set (VmHWM) over one long generation
 * (8-token prompt + 2040 new tokens = 2048 positions). Run it in a fresh JVM per strategy, since the peak is
 * process-wide: {@code java -cp target/benchmarks.jar dev.kvbench.bench.PeakMemory MODEL STRATEGY [TOKENS]}.
 * Prints one line: strategy, VmHWM before and after the generation (KiB), tokens, KV bytes copied.
 */
public final class PeakMemory {
    private PeakMemory() {
    }

    public static void main(String[] args) throws IOException {
        String model = args[0];
        String strategy = args[1];
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 2040;
        Path folder = BenchmarkContract.resolveModel(BenchmarkContract.root(), model);
        try (Engine engine = new Engine(folder, Strategy.parse(strategy), EngineOptions.defaults())) {
            long[] prompt = EngineState.prompt(engine, BenchmarkContract.PROMPT_TOKENS);
            engine.generator().generate(prompt, 8, true, Sampler.greedy(), null); // load and warm up
            long before = status("VmHWM");
            GenerationResult r = engine.generator().generate(prompt, newTokens, true, Sampler.greedy(), null);
            long after = status("VmHWM");
            System.out.printf("peak-memory strategy=%s vmhwm_before_kib=%d vmhwm_after_kib=%d tokens=%d kv_bytes_copied=%d ms=%.1f%n",
                    strategy, before, after, r.tokens().length, r.kvBytesCopied(), r.totalStepNanos() / 1e6);
        }
    }

    static long status(String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(field + ":"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
