package dev.kvbench.decode;

import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import dev.kvbench.model.ModelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The fixed prompts that measurements feed, the one source for the benchmarks, the paired worker's rounds, {@code bench}'s
 * preflight and {@code check}'s built-in prompts: {@code length} ids 100, 101, ... (wrapping below the vocabulary), BOS
 * first for a decoder-only model that has one, EOS last for an encoder-decoder model's source. Not text: the same ids
 * on every model, so runs compare.
 */
public final class FixedPrompts {
    private FixedPrompts() {
    }

    /** The fixed prompt from a model's facts: its vocabulary, BOS (negative: none), first EOS and kind. */
    public static long[] prompt(int length, int vocab, int bos, long eos, boolean encoderDecoder) {
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 100 + (i % Math.max(1, vocab - 100));
        }
        if (encoderDecoder) {
            ids[length - 1] = eos;
        } else if (bos >= 0) {
            ids[0] = bos;
        }
        return ids;
    }

    /** The fixed prompt for an open model: its BOS, first EOS, logits vocabulary and kind. */
    public static long[] prompt(Model model, int length) {
        ModelConfig config = model.config();
        return prompt(length, model.vocab(), config.bosTokenId(), firstEos(config), model.encoderDecoder());
    }

    /** The fixed prompt for the model in {@code folder}, from its config and layout, without opening a session. */
    public static long[] prompt(Path folder, int length) {
        ModelConfig config = ModelConfig.read(folder);
        return prompt(length, config.vocabSize(), config.bosTokenId(), firstEos(config),
                Layout.detectAny(folder).encoderDecoder());
    }

    /**
     * The prompts of a batch of {@code rows}: row r is {@link #prompt} of {@code length - r % 4} tokens (at least 1), so
     * a batch has prompts of up to four lengths and the holes of real batches. One row is the fixed prompt itself.
     */
    public static List<long[]> batch(Model model, int rows, int length) {
        List<long[]> out = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            out.add(prompt(model, Math.max(1, length - r % 4)));
        }
        return out;
    }

    /**
     * {@code count} continuations of {@code length} ids each that differ from each other and from the prompt: the
     * candidates of the re-ranking benchmark and verdict, a request's suffix after a shared prefix, a conversation's
     * later turns. Candidate i, id j: 100 + (7i + 13j) wrapped below the vocabulary.
     */
    public static List<long[]> continuations(Model model, int count, int length) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long[] c = new long[length];
            for (int j = 0; j < length; j++) {
                c[j] = 100 + (7L * i + 13L * j) % Math.max(1, model.vocab() - 100);
            }
            out.add(c);
        }
        return out;
    }

    private static long firstEos(ModelConfig config) {
        return config.eosTokenIds().isEmpty() ? 0 : config.eosTokenIds().iterator().next();
    }
}
