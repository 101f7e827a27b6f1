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

    /**
     * Benchmark plus sorted parameters: what identifies "the same measurement" across files. The {@code model}
     * parameter counts by its folder name, not its path, so results from two checkouts or machines match (the model
     * files' checksums are in the run's {@code .meta.json}). {@code batchSize=1} is left out: it is the measurement
     * files from before the parameter existed hold; {@code dtype=fp32} likewise.
     */
    public String key() {
        TreeMap<String, String> sorted = new TreeMap<>(params);
        sorted.computeIfPresent("model", (k, v) -> modelName(v));
        sorted.remove("batchSize", "1");
        sorted.remove("dtype", "fp32");
        return shortName() + sorted;
    }

    /** A model parameter's folder name: {@code /home/a/kvbench/models/tiny-llama} and {@code tiny-llama} are the same model. */
    public static String modelName(String model) {
        if (model == null) {
            return null;
        }
        String trimmed = model.replaceAll("[/\\\\]+$", "");
        int slash = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
        return slash < 0 ? trimmed : trimmed.substring(slash + 1);
    }

    public String param(String name) {
        return params.get(name);
    }

    /** An integer parameter; a non-numeric value is a one-line input error. */
    public int intParam(String name, int fallback) {
        String v = params.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new dev.kvbench.KvbenchException(shortName() + ": parameter " + name + " is not an integer: '" + v + "'");
        }
    }

    /** The primary metric, or a secondary one by name ({@code gc.alloc.rate.norm}, ...); null when absent. */
    public Metric metric(String name) {
        return name == null || name.equals("primary") ? primary : secondary.get(name);
    }
}
