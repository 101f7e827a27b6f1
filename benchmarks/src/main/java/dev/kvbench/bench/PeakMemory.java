package dev.kvbench.bench;

import dev.kvbench.decode.BatchResult;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.BenchmarkContract;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Native memory, which JMH does not see: the process's peak resident set (VmHWM) over one long generation
 * (8-token prompt + 2040 new tokens = 2048 positions), of one row or of a batch. Run it in a fresh JVM per strategy,
 * since the peak is process-wide:
 * {@code java -cp target/benchmarks.jar dev.kvbench.bench.PeakMemory MODEL STRATEGY [TOKENS [ROWS]]}.
 * Prints one line, {@link BenchmarkContract#PEAK_MEMORY_LINE} and a JSON object: strategy, rows, VmHWM before and after the
 * generation and VmRSS at its end (KiB: the peak can be the model's loading, the resident set at the end is what stays),
 * tokens per row, KV bytes copied, and the KV bytes the cache held at the end of the generation, per row.
 * With {@code -Dkvbench.assumedPrompt=true} the prompt is {@code 2048 - TOKENS} tokens of one length per row, taken as
 * cached instead of prefilled ({@link BenchmarkContract#ASSUMED_PROMPT_PROPERTY}): the cache holds the same 2048
 * positions at the end, without the hours a 0.5 B model's 2040 steps of 16 rows take on two cores.
 */
public final class PeakMemory {

    /** Prompt + new tokens where the prompt is assumed cached. */
    static final int ASSUMED_POSITIONS = 2048;

    private PeakMemory() {
    }

    public static void main(String[] args) throws IOException {
        String model = args[0];
        String strategy = args[1];
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 2040;
        int rows = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        GraphDtypes dtype = args.length > 4 ? GraphDtypes.parse(args[4]) : GraphDtypes.of(Dtype.FP32);
        Path folder = BenchmarkContract.resolveModel(BenchmarkContract.root(), model);
        boolean assumed = BenchmarkContract.assumedPrompt();
        try (Engine engine = new Engine(folder, Strategy.parse(strategy),
                EngineOptions.defaults().withDtypes(dtype).withAssumedPrompt(assumed))) {
            List<long[]> prompts = BenchmarkContract.rowPrompts(engine.model(), rows,
                    assumed ? ASSUMED_POSITIONS - newTokens : BenchmarkContract.PROMPT_TOKENS);
            engine.generator().generate(prompts, 8, true, Sampler.greedy(), null); // load and warm up
            long before = status("VmHWM");
            long[] held = {0};
            BatchResult r = engine.generator().generate(prompts, newTokens, true, Sampler.greedy(),
                    (row, token) -> held[0] = Math.max(held[0], engine.generator().cacheBytesHeld()));
            long after = status("VmHWM");
            long resident = status("VmRSS");
            com.fasterxml.jackson.databind.node.ObjectNode line = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                    .put("strategy", strategy).put("rows", rows).put("assumed_prompt", assumed).put("vmhwm_before_kib", before).put("vmhwm_after_kib", after).put("vmrss_after_kib", resident)
                    .put("tokens", r.tokens()[0].length).put("kv_bytes_copied", r.kvBytesCopied())
                    .put("kv_bytes_held_per_row", held[0] / rows).put("ms", r.row(0).totalStepNanos() / 1e6);
            System.out.println(BenchmarkContract.PEAK_MEMORY_LINE + line);
        }
    }

    static long status(String field) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(field + ":"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
