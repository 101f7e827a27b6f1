package dev.kvbench.support;


import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.KvbenchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the JSON files users hand over (result files, sidecars, config.json, golden.json, tokenizer.json): a missing
 * file, a folder, an unreadable file and broken JSON are each one line naming the file, with the parser's finding and
 * its line and column, never the parser's advice about its own features.
 */
public final class JsonFiles {
    /**
     * The project's one object mapper, default configuration (thread-safe once configured; never reconfigure it): for
     * trees, records and writing. Only the strict reading of JMH result files has its own ({@code JmhResults}).
     */
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper PLAIN = MAPPER;

    private JsonFiles() {
    }

    /** The file's JSON tree, read with the default mapper; {@code what} names it in errors ("result file"). */
    public static JsonNode read(Path file, String what) {
        return read(file, what, PLAIN);
    }

    public static JsonNode read(Path file, String what, ObjectMapper mapper) {
        if (Files.isDirectory(file)) {
            throw new KvbenchException(file + " is a folder, not a " + what);
        }
        if (!Files.exists(file)) {
            throw new KvbenchException(what + " not found: " + file);
        }
        try {
            JsonNode node = mapper.readTree(file.toFile());
            if (node == null || node.isMissingNode()) {
                throw new KvbenchException(file + " is empty (expected a " + what + ")");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new KvbenchException(file + " is not valid JSON: " + finding(e));
        } catch (NoSuchFileException e) {
            throw new KvbenchException(what + " not found: " + file);
        } catch (IOException e) {
            throw new KvbenchException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** JSON has no NaN: an undefined figure is null. */
    public static void putFinite(com.fasterxml.jackson.databind.node.ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
    }

    /** What the parser found and where, without its suggestions ("enable `JsonReadFeature...` to allow"). */
    static String finding(JsonProcessingException e) {
        String m = KvbenchException.firstLine(e.getOriginalMessage());
        m = m.replaceAll(":? *\\(?(enable|set) `?[A-Za-z.]*Feature[^)]*\\)?", "").replaceAll("\\s+$", "");
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 1 ? m : m + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }
}
