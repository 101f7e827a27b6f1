package dev.kvbench.results;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.support.JsonFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JMH result file from several runs of the same benchmarks (the rounds of an A/B): each run's raw samples become
 * forks of one entry, and the score and error are recomputed over all of them. The merged file is ordinary JMH JSON,
 * so {@code compare}, {@code report} and JMH Visualizer read it.
 */
public final class RoundMerge {
    private RoundMerge() {
    }

    public static ArrayNode merge(List<JsonNode> rounds) {
        ObjectMapper m = JsonFiles.MAPPER;
        Map<String, ObjectNode> byKey = new LinkedHashMap<>();
        for (JsonNode round : rounds) {
            for (JsonNode entry : round) {
                String key = entry.get("benchmark").asText() + entry.path("params");
                ObjectNode target = byKey.get(key);
                if (target == null) {
                    ObjectNode copy = entry.deepCopy();
                    recompute((ObjectNode) copy.get("primaryMetric"));
                    byKey.put(key, copy);
                    continue;
                }
                appendRaw((ObjectNode) target.get("primaryMetric"), entry.get("primaryMetric"));
                entry.path("secondaryMetrics").fields().forEachRemaining(f -> {
                    JsonNode t = target.path("secondaryMetrics").get(f.getKey());
                    if (t instanceof ObjectNode o) {
                        appendRaw(o, f.getValue());
                    }
                });
                target.put("forks", target.path("primaryMetric").path("rawData").size());
            }
        }
        ArrayNode out = m.createArrayNode();
        byKey.values().forEach(out::add);
        return out;
    }

    private static void appendRaw(ObjectNode target, JsonNode source) {
        ArrayNode raw = target.withArray("rawData");
        source.path("rawData").forEach(raw::add);
        recompute(target);
    }

    private static void recompute(ObjectNode metric) {
        List<Double> values = new ArrayList<>();
        metric.path("rawData").forEach(fork -> fork.forEach(v -> values.add(v.asDouble())));
        if (values.isEmpty()) {
            return;
        }
        putScore(metric, values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Sets a JMH metric's score (the mean) and scoreError (95% half-width, or JMH's "NaN" below 2 samples). */
    public static void putScore(ObjectNode metric, double[] samples) {
        metric.put("score", Statistics.mean(samples));
        double ci = Statistics.confidenceHalfWidth(samples, 0.95);
        if (Double.isFinite(ci)) {
            metric.put("scoreError", ci);
        } else {
            metric.put("scoreError", "NaN");
        }
    }
}
