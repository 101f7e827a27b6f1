package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.KvbenchException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads JMH's JSON result format ({@code -rf json}); anything else is a one-line error. */
public final class JmhResults {
    private JmhResults() {
    }

    public static List<JmhResult> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new KvbenchException("result file not found: " + file);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new KvbenchException(file + " is not valid JSON: " + dev.kvbench.runtime.OrtRuntime.firstLine(e.getMessage()));
        }
        if (root == null || !root.isArray()) {
            throw new KvbenchException(file + " is not a JMH result file (expected a JSON array of results)");
        }
        if (root.isEmpty()) {
            throw new KvbenchException(file + " holds no benchmark results");
        }
        List<JmhResult> out = new ArrayList<>();
        int i = 0;
        for (JsonNode r : root) {
            String where = file + " entry " + i++;
            if (!r.hasNonNull("benchmark") || !r.has("primaryMetric")) {
                throw new KvbenchException(where + " is not a JMH result (no benchmark / primaryMetric)");
            }
            Map<String, String> params = new LinkedHashMap<>();
            r.path("params").fields().forEachRemaining(f -> params.put(f.getKey(), f.getValue().asText()));
            Map<String, JmhResult.Metric> secondary = new LinkedHashMap<>();
            r.path("secondaryMetrics").fields().forEachRemaining(f -> secondary.put(f.getKey(), metric(f.getValue(), where)));
            out.add(new JmhResult(r.get("benchmark").asText(), r.path("mode").asText(), params,
                    metric(r.get("primaryMetric"), where), secondary));
        }
        return out;
    }

    private static JmhResult.Metric metric(JsonNode m, String where) {
        if (!m.has("score") || !m.get("score").isNumber()) {
            throw new KvbenchException(where + ": a metric has no numeric score");
        }
        List<List<Double>> raw = new ArrayList<>();
        for (JsonNode fork : m.path("rawData")) {
            List<Double> values = new ArrayList<>();
            for (JsonNode v : fork) {
                values.add(v.asDouble());
            }
            raw.add(values);
        }
        double error = m.path("scoreError").isNumber() ? m.get("scoreError").asDouble() : Double.NaN;
        return new JmhResult.Metric(m.get("score").asDouble(), error, m.path("scoreUnit").asText(""), raw);
    }
}
