package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The typed {@code .meta.json}: old files read as they are, written back unchanged, a wrong type is one line. */
class RunRecordTest {
    static final Path OLD = Path.of("src/test/resources/results/bench-ff3ddf2.meta.json");

    @Test
    void anOldFileReadsIntoTypedFieldsAndWritesBackUnchanged() {
        JsonNode tree = JsonFiles.read(OLD, "run metadata file");
        RunRecord r = RunRecord.read(OLD);
        assertEquals(tree.path("git_sha").asText(), r.gitSha);
        assertEquals("ff3ddf2", r.gitShortSha);
        assertEquals(tree.path("cores").asInt(), r.cores);
        assertEquals(tree.path("threads").path("onnxruntime_intra_op").asInt(), r.threads.onnxruntimeIntraOp());
        assertEquals(tree.path("peak_memory").size(), r.peakMemory.size());
        assertEquals(tree.path("models").path("tiny-llama").path("model.onnx").asText(),
                r.models.get("tiny-llama").get("model.onnx"));
        assertNull(r.shard, "a whole run has no shard");
        assertEquals(tree.path("note"), r.other().get("note"), "a field this version does not type is kept");
        assertEquals(tree, r.tree(), "every field written back as read");
        assertEquals(tree, r.copy().tree());
    }

    @Test
    void aNewRecordWritesTheKeysReadersExpect() {
        RunRecord r = new RunRecord();
        r.gitSha = "abc";
        r.threads = RunRecord.Threads.of(2);
        r.interrupted = new RunRecord.Interrupted(3, 9);
        r.lossyAccuracy = List.of(new RunRecord.LossyAccuracy("static-gqa-int8", "94% kept"));
        JsonNode t = r.tree();
        assertEquals(List.of("git_sha", "threads", "lossy_accuracy", "interrupted"), fieldNames(t), "absent fields stay absent");
        assertEquals(2, t.path("threads").path("onnxruntime_intra_op").asInt());
        assertEquals("sequential", t.path("threads").path("execution_mode").asText());
        assertEquals(3, t.path("interrupted").path("finished_parts").asInt());
        assertEquals(9, t.path("interrupted").path("planned_parts").asInt());
        assertEquals("static-gqa-int8", t.path("lossy_accuracy").get(0).path("strategy").asText());
    }

    @Test
    void aFieldOfTheWrongTypeIsOneLineOfBadInput(@TempDir Path tmp) throws Exception {
        ObjectNode bad = (ObjectNode) JsonFiles.read(OLD, "run metadata file");
        bad.putArray("cores").add(1);
        Path file = Files.writeString(tmp.resolve("x.meta.json"), bad.toString());
        KvbenchException e = assertThrows(KvbenchException.class, () -> RunRecord.read(file));
        assertTrue(e.getMessage().startsWith(file + " is not a run metadata file: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        Path array = Files.writeString(tmp.resolve("y.meta.json"), "[1]");
        assertEquals(array + " is not a JSON object", assertThrows(KvbenchException.class, () -> RunRecord.read(array)).getMessage());
    }

    private static List<String> fieldNames(JsonNode t) {
        List<String> names = new java.util.ArrayList<>();
        t.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
