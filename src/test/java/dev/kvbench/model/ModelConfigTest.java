package dev.kvbench.model;

import dev.kvbench.KvbenchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special token ids and limits from transformers 4 style (all in config.json) and 5 style (generation_config.json, text_config). */
class ModelConfigTest {
    @Test
    void transformers4StyleMarian(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"marian\", \"is_encoder_decoder\": true, \"vocab_size\": 65001,"
                + " \"max_position_embeddings\": 512, \"bos_token_id\": 0, \"eos_token_id\": 0, \"pad_token_id\": 65000,"
                + " \"decoder_start_token_id\": 65000}");
        ModelConfig c = ModelConfig.read(dir);
        assertEquals(new ModelConfig("marian", true, 65001, 512, 0, Set.of(0), 65000, 65000, -1), c);
    }

    @Test
    void transformers5StyleWithNestedTextConfigAndEosList(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"qwen2_vl\", \"text_config\": {\"vocab_size\": 151936,"
                + " \"max_position_embeddings\": 32768}}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 151643, \"eos_token_id\": [151645, 151643],"
                + " \"pad_token_id\": 151643}");
        ModelConfig c = ModelConfig.read(dir);
        assertEquals(151936, c.vocabSize());
        assertEquals(32768, c.maxPositions());
        assertTrue(c.isEos(151645) && c.isEos(151643) && !c.isEos(1));
        assertEquals(151643, c.bosTokenId());
    }

    @Test
    void generationConfigWinsAndMissingEosIsAnError(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"eos_token_id\": 2}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 7}");
        assertEquals(Set.of(7), ModelConfig.read(dir).eosTokenIds());
        Files.writeString(dir.resolve("generation_config.json"), "{}");
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\"}");
        assertThrows(KvbenchException.class, () -> ModelConfig.read(dir));
    }
}
