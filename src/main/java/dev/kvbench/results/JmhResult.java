package dev.kvbench.results;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One entry of a JMH result file: benchmark, parameters, the primary metric and the secondary metrics
 * (each with its raw per-iteration samples, per fork).
 */
public record JmhResult(String benchmark, String mode, Map<String, String> params, Metric primary,
                        Map<String, Metric> secondary) {

    /** A metric's score, error, unit, and raw samples (one list per fork, one value per iteration). */
    public record Metric(double score, double error, String unit, List<List<Double>> raw) {
        public double[] samples() {
            return raw.stream().flatMap(List::stream).mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** The short benchmark name: class and method, without the package. */
    public String shortName() {
        String[] parts = benchmark.split("\\.");
        return parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
    }

    /** Benchmark plus sorted parameters: what identifies "the same measurement" across files. */
    public String key() {
        return shortName() + new TreeMap<>(params);
    }

    public String param(String name) {
        return params.get(name);
    }

    public int intParam(String name, int fallback) {
        String v = params.get(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    /** The primary metric, or a secondary one by name ({@code gc.alloc.rate.norm}, ...); null when absent. */
    public Metric metric(String name) {
        return name == null || name.equals("primary") ? primary : secondary.get(name);
    }
}
