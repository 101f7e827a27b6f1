package dev.kvbench.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Builds JMH-format result JSON (as {@code -rf json} writes it) from samples, for the results tests. */
final class JmhJson {
    private static final ObjectMapper M = new ObjectMapper();
    final ArrayNode root = M.createArrayNode();

    /** Adds an entry whose primary metric (ms/op) has {@code forks x iterations} log-normal samples around {@code mean}. */
    JmhJson add(String benchmark, Map<String, String> params, double mean, double relNoise, long seed, double allocPerOp) {
        Random rnd = new Random(seed);
        ObjectNode e = root.addObject();
        e.put("jmhVersion", "1.37");
        e.put("benchmark", "dev.kvbench.bench." + benchmark);
        e.put("mode", "avgt");
        e.put("threads", 1);
        e.put("forks", 2);
        ObjectNode p = e.putObject("params");
        params.forEach(p::put);
        ArrayNode raw = M.createArrayNode();
        double sum = 0;
        int n = 0;
        for (int f = 0; f < 2; f++) {
            ArrayNode fork = raw.addArray();
            for (int i = 0; i < 5; i++) {
                double v = mean * Math.exp(rnd.nextGaussian() * relNoise);
                fork.add(v);
                sum += v;
                n++;
            }
        }
        ObjectNode pm = e.putObject("primaryMetric");
        pm.put("score", sum / n);
        pm.put("scoreError", mean * relNoise);
        pm.put("scoreUnit", "ms/op");
        pm.set("rawData", raw);
        ObjectNode alloc = e.putObject("secondaryMetrics").putObject("gc.alloc.rate.norm");
        alloc.put("score", allocPerOp);
        alloc.put("scoreError", 0.0);
        alloc.put("scoreUnit", "B/op");
        ArrayNode araw = alloc.putArray("rawData");
        for (int f = 0; f < 2; f++) {
            ArrayNode fork = araw.addArray();
            for (int i = 0; i < 5; i++) {
                fork.add(allocPerOp + i);
            }
        }
        return this;
    }

    /** Adds a secondary metric (an {@code @AuxCounters} event count, as JMH writes it) to the last entry. */
    JmhJson counter(String name, double total) {
        ObjectNode m = ((ObjectNode) root.get(root.size() - 1).get("secondaryMetrics")).putObject(name);
        m.put("score", total);
        m.put("scoreError", Double.NaN);
        m.put("scoreUnit", "#");
        m.putArray("rawData").addArray().add(total);
        return this;
    }

    Path write(Path file) throws IOException {
        Files.writeString(file, root.toPrettyString());
        return file;
    }
}
