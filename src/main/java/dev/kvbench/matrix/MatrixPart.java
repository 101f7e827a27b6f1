package dev.kvbench.matrix;

import dev.kvbench.results.BenchmarkContract;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One JMH run of the bench matrix: a benchmark for one strategy (or hybrid variant) over its lengths, with the other
 * parameters fixed ({@code batchSize}, {@code pass}).
 *
 * @param axis        the parameter that names the strategy ({@code strategy}, or {@code variant} for the hybrid sweep)
 * @param lengthParam the parameter the lengths go to ({@code newTokens}, {@code context}, {@code texts})
 */
public record MatrixPart(String benchmark, String axis, String value, String lengthParam, List<Integer> lengths,
                         Map<String, String> fixed) {

    public MatrixPart {
        lengths = List.copyOf(lengths);
        fixed = Map.copyOf(fixed);
    }

    /** A part at batch size 1 (the hybrid sweep has no batch parameter). */
    public MatrixPart(String benchmark, String axis, String value, String lengthParam, List<Integer> lengths) {
        this(benchmark, axis, value, lengthParam, lengths, benchmark.equals(BenchmarkContract.HYBRID_THRESHOLD)
                ? Map.of() : Map.of("batchSize", "1"));
    }

    /** {@code StepBenchmark static-gqa batchSize=16}: the benchmark, the strategy and what is not at its default. */
    public String label() {
        return benchmark + " " + value + fixed.entrySet().stream().filter(e -> !e.getValue().equals("1"))
                .map(e -> " " + e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining());
    }

    /** The label with its lengths: {@code StepBenchmark kv context=64,256}. */
    public String description() {
        return label() + " " + lengthParam + "=" + lengths.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
