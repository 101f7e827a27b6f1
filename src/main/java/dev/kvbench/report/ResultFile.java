package dev.kvbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.Summary;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One result file as reports read it: its measurements (read strictly), their summary rows, and the run metadata of
 * its {@code .meta.json} sidecar (an empty object when there is none).
 */
public record ResultFile(String label, Path path, List<JmhResult> results, List<Summary.Row> rows, JsonNode meta) {

    public static ResultFile read(Path file) {
        List<JmhResult> results = JmhResults.read(file);
        return new ResultFile(stem(file), file, results, Summary.rows(results), readMeta(file));
    }

    /** The sidecar's metadata, or an empty object; a sidecar that is there but broken is bad input. */
    static JsonNode readMeta(Path file) {
        Path meta = RunMeta.sidecar(file, ".meta.json");
        if (!Files.isRegularFile(meta)) {
            return new ObjectMapper().createObjectNode();
        }
        try {
            JsonNode node = new ObjectMapper().readTree(meta.toFile());
            if (node == null || !node.isObject()) {
                throw new KvbenchException(meta + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new KvbenchException(meta + " is not valid JSON: " + KvbenchException.firstLine(e.getMessage()));
        }
    }

    /** The commit the run measured, short, with "+dirty" when the tree had changes; "" when unknown. */
    public String commit() {
        String sha = meta.path("git_short_sha").asText(meta.path("git_sha").asText(""));
        return sha.isEmpty() ? "" : sha + (meta.path("git_dirty").asBoolean(false) ? "+dirty" : "");
    }

    public ObjectNode metaObject() {
        return (ObjectNode) meta;
    }

    static String stem(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }
}
