package dev.kvbench.tokenizer;


import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model folder's {@code tokenizer.json}, through DJL's binding of Hugging Face tokenizers. Special tokens are
 * never added here (the engine adds BOS/EOS itself, per model kind); decoding skips them.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int vocabSize) {
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
    }

    /** Loads {@code folder/tokenizer.json} and checks that its ids fit the model's logits. */
    public static TextTokenizer load(Path folder, int modelVocab) {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new KvbenchException("no tokenizer.json in " + folder, KvbenchException.Remedy.TOKEN_IDS);
        }
        int size = vocabSize(file);
        // Exports often pad the logits beyond the tokenizer (Qwen2.5: 151665 tokens, 151936 logits); a tokenizer
        // with ids the model cannot produce, or far fewer than it produces, belongs to another model.
        if (size > modelVocab || size < 0.9 * modelVocab) {
            throw new KvbenchException("tokenizer does not match the model: " + file + " has " + size
                    + " tokens, the model's logits have " + modelVocab);
        }
        try {
            return new TextTokenizer(HuggingFaceTokenizer.newInstance(file, Map.of(
                    // DJL truncates to 512 tokens by default: a longer text would be scored or continued cut short.
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false")), size);
        } catch (IOException | RuntimeException e) {
            throw new KvbenchException("cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    private static int vocabSize(Path file) {
        {
            JsonNode root = JsonFiles.read(file, "tokenizer.json");
            int max = -1;
            var vocab = root.path("model").path("vocab");
            if (vocab.isObject()) {
                for (var it = vocab.elements(); it.hasNext(); ) {
                    max = Math.max(max, it.next().asInt());
                }
            } else if (vocab.isArray()) {
                max = vocab.size() - 1;
            }
            for (JsonNode added : root.path("added_tokens")) {
                max = Math.max(max, added.path("id").asInt());
            }
            if (max < 0) {
                throw new KvbenchException(file + " has no vocabulary");
            }
            return max + 1;
        }
    }

    public long[] encode(String text) {
        Encoding e = tokenizer.encode(text, false, false);
        return e.getIds();
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
