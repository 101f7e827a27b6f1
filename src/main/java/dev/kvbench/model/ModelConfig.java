package dev.kvbench.model;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.JsonFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What the engine needs from {@code config.json} and {@code generation_config.json}: special token ids and limits.
 * Reads both the transformers 4 keys (all in config.json) and the transformers 5 style (generation keys only in
 * generation_config.json, model keys possibly nested under {@code text_config}); generation_config wins.
 * {@code kvHeads} is config.json's {@code num_key_value_heads}, or -1 where it names none (the graph decides).
 */
public record ModelConfig(String modelType, boolean encoderDecoder, int vocabSize, int maxPositions, int bosTokenId,
                          Set<Integer> eosTokenIds, int padTokenId, int decoderStartTokenId, int kvHeads) {

    private static final ObjectMapper JSON = JsonFiles.MAPPER;

    public static ModelConfig read(Path folder) {
        JsonNode config = readJson(folder.resolve("config.json"), true);
        JsonNode generation = readJson(folder.resolve("generation_config.json"), false);
        if (config.has("text_config") && config.get("text_config").isObject()) {
            config = merge(config, config.get("text_config"));
        }
        String type = config.path("model_type").asText("unknown");
        boolean encDec = config.path("is_encoder_decoder").asBoolean(false);
        int vocab = config.path("vocab_size").asInt(-1);
        int maxPositions = positions(folder, config);
        int bos = firstInt(generation, firstInt(config, -1, "bos_token_id"), "bos_token_id");
        Set<Integer> eos = ids(generation.has("eos_token_id") ? generation.get("eos_token_id") : config.get("eos_token_id"));
        int pad = firstInt(generation, firstInt(config, -1, "pad_token_id"), "pad_token_id");
        int start = firstInt(generation, firstInt(config, -1, "decoder_start_token_id"), "decoder_start_token_id");
        if (encDec && start < 0) {
            start = pad;
        }
        if (eos.isEmpty()) {
            throw new KvbenchException(folder.resolve("config.json") + " names no eos_token_id");
        }
        for (int id : eos) {
            if (id < 0 || vocab > 0 && id >= vocab) {
                throw new KvbenchException(folder.resolve(generation.has("eos_token_id") ? "generation_config.json" : "config.json")
                        + ": eos_token_id " + id + " is outside the vocabulary (vocab_size " + vocab + ")");
            }
        }
        int kvHeads = firstInt(config, -1, "num_key_value_heads");
        return new ModelConfig(type, encDec, vocab, maxPositions, bos, eos, pad, start, kvHeads);
    }

    /** Positions no configuration of a real model comes near; a larger value is a broken file, not a limit. */
    static final long MAX_POSITIONS = 1 << 24;

    /**
     * The first of the position keys the config has: a whole number from 1 to {@link #MAX_POSITIONS}, or -1 where none is
     * named (no limit known). 0, a negative number, text or an absurd size is refused: read as "no limit" it would let a
     * prompt run past the positions the graph was made for.
     */
    private static int positions(Path folder, JsonNode config) {
        for (String key : new String[] {"max_position_embeddings", "n_positions", "max_target_positions"}) {
            JsonNode v = config.get(key);
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isIntegralNumber() && !(v.isNumber() && v.asDouble() == Math.rint(v.asDouble()))
                    || v.asDouble() < 1 || v.asDouble() > MAX_POSITIONS) {
                throw new KvbenchException(folder.resolve("config.json") + ": " + key + " must be a whole number of positions "
                        + "from 1 to " + MAX_POSITIONS + ", got " + v);
            }
            return v.asInt();
        }
        return -1;
    }

    public boolean isEos(int token) {
        return eosTokenIds.contains(token);
    }

    private static JsonNode readJson(Path file, boolean required) {
        if (!Files.isRegularFile(file)) {
            if (required) {
                throw new KvbenchException("missing " + file.getFileName() + " in " + file.getParent());
            }
            return JSON.createObjectNode();
        }
        JsonNode node = JsonFiles.read(file, file.getFileName().toString());
        if (!node.isObject()) {
            throw new KvbenchException(file + " is not a JSON object");
        }
        return node;
    }

    private static JsonNode merge(JsonNode outer, JsonNode inner) {
        var merged = outer.deepCopy();
        inner.fields().forEachRemaining(f -> ((com.fasterxml.jackson.databind.node.ObjectNode) merged).set(f.getKey(), f.getValue()));
        return merged;
    }

    private static int firstInt(JsonNode node, int fallback, String... keys) {
        for (String key : keys) {
            JsonNode v = node.get(key);
            if (v != null && v.canConvertToInt()) {
                return v.asInt();
            }
        }
        return fallback;
    }

    private static Set<Integer> ids(JsonNode node) {
        Set<Integer> out = new LinkedHashSet<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(n -> out.add(n.asInt()));
        } else if (node.canConvertToInt()) {
            out.add(node.asInt());
        }
        return Set.copyOf(out);
    }
}
