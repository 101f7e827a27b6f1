package dev.kvbench.results;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.JsonFiles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads JMH's JSON result format ({@code -rf json}) strictly; anything else is a one-line error, never a silently
 * wrong number: duplicate keys, trailing data, non-numeric, non-finite or negative scores and samples, a primary
 * metric without samples, and the same configuration twice are all rejected. (JMH writes an unknown error as the
 * string {@code "NaN"}; that, and only that, is accepted for {@code scoreError}.)
 */
public final class JmhResults {
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JmhResults() {
    }

    public static List<JmhResult> read(Path file) {
        return parse(JsonFiles.read(file, "result file", STRICT), file.toString());
    }

    /** Parses an already-read JSON tree (a JMH result array); {@code source} names it in errors. */
    public static List<JmhResult> parse(JsonNode root, String source) {
        if (root == null || !root.isArray()) {
            throw new KvbenchException(source + " is not a JMH result file (expected a JSON array of results)");
        }
        if (root.isEmpty()) {
            throw new KvbenchException(source + " holds no benchmark results");
        }
        List<JmhResult> out = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        int i = 0;
        for (JsonNode r : root) {
            String where = source + " entry " + i;
            if (!r.isObject() || !r.path("benchmark").isTextual() || !r.path("primaryMetric").isObject()) {
                throw new KvbenchException(where + " is not a JMH result (no benchmark / primaryMetric)");
            }
            Map<String, String> params = new LinkedHashMap<>();
            var fields = r.path("params").fields();
            while (fields.hasNext()) {
                var f = fields.next();
                if (!f.getValue().isValueNode() || f.getValue().isNull()) {
                    throw new KvbenchException(where + ": parameter " + f.getKey() + " is not a value");
                }
                params.put(f.getKey(), f.getValue().asText());
            }
            Map<String, JmhResult.Metric> secondary = new LinkedHashMap<>();
            var metrics = r.path("secondaryMetrics").fields();
            while (metrics.hasNext()) {
                var f = metrics.next();
                secondary.put(f.getKey(), metric(f.getValue(), where + " metric " + f.getKey(), false));
            }
            String benchmark = r.get("benchmark").asText();
            if (benchmark.equals(BenchmarkContract.PAIRED_GENERATE_BEFORE)) {
                benchmark = BenchmarkContract.PAIRED_GENERATE; // older ab files compare with newer ones
            }
            JmhResult result = new JmhResult(benchmark, r.path("mode").asText(), params,
                    metric(r.get("primaryMetric"), where + " primary metric", true), secondary);
            Integer before = seen.put(result.key(), i);
            if (before != null) {
                throw new KvbenchException(source + " holds " + result.key() + " twice (entries " + before + " and " + i + ")");
            }
            out.add(result);
            i++;
        }
        return out;
    }

    private static JmhResult.Metric metric(JsonNode m, String where, boolean needsSamples) {
        if (!m.isObject()) {
            throw new KvbenchException(where + " is not an object");
        }
        double score = number(m.get("score"), where + " score");
        JsonNode errorNode = m.get("scoreError");
        double error = errorNode == null || (errorNode.isTextual() && errorNode.asText().equals("NaN"))
                ? Double.NaN : number(errorNode, where + " scoreError");
        List<List<Double>> raw = new ArrayList<>();
        JsonNode rawData = m.get("rawData");
        if (rawData != null && !rawData.isArray()) {
            throw new KvbenchException(where + ": rawData is not an array");
        }
        int samples = 0;
        if (rawData != null) {
            for (JsonNode fork : rawData) {
                if (!fork.isArray() || fork.isEmpty() && needsSamples) {
                    throw new KvbenchException(where + ": rawData holds an empty or non-array fork");
                }
                if (fork.isEmpty()) {
                    continue; // JMH writes an empty fork for a secondary metric a fork did not observe (gc.time without a GC)
                }
                List<Double> values = new ArrayList<>();
                for (JsonNode v : fork) {
                    values.add(number(v, where + " sample"));
                    samples++;
                }
                raw.add(values);
            }
        }
        if (needsSamples && samples == 0) {
            throw new KvbenchException(where + " has no samples (rawData)");
        }
        return new JmhResult.Metric(score, error, m.path("scoreUnit").asText(""), raw);
    }

    /** A finite, non-negative JSON number; strings, NaN, infinities and negative values are errors. */
    private static double number(JsonNode v, String what) {
        if (v == null || !v.isNumber()) {
            throw new KvbenchException(what + " is not a number: " + (v == null ? "missing" : v.toString()));
        }
        double d = v.asDouble();
        if (!Double.isFinite(d) || d < 0) {
            throw new KvbenchException(what + " must be finite and non-negative, got " + v);
        }
        return d;
    }
}
