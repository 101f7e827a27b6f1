package dev.kvbench.model;

import dev.kvbench.KvbenchException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The file layout of an exported model folder (Hugging Face Optimum / transformers.js conventions), detected from the
 * files present: decoder-only {@code model.onnx}; split {@code decoder_model.onnx} + {@code decoder_with_past_model.onnx};
 * merged {@code decoder_model_merged.onnx} (an If node on {@code use_cache_branch}); each of the last two with an
 * {@code encoder_model.onnx} beside it for encoder-decoder models.
 */
public record Layout(boolean encoderDecoder, boolean hasSingle, boolean hasSplit, boolean hasMerged) {

    public static final String SINGLE = "model.onnx";
    public static final String ENCODER = "encoder_model.onnx";
    public static final String DECODER = "decoder_model.onnx";
    public static final String DECODER_WITH_PAST = "decoder_with_past_model.onnx";
    public static final String MERGED = "decoder_model_merged.onnx";

    public static Layout detect(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new KvbenchException("model folder not found: " + folder);
        }
        boolean encoder = present(folder, ENCODER);
        boolean single = present(folder, SINGLE);
        boolean split = present(folder, DECODER) && present(folder, DECODER_WITH_PAST);
        boolean merged = present(folder, MERGED);
        if (!single && !split && !merged) {
            if (Files.isRegularFile(folder.resolve(DECODER))) {
                throw new KvbenchException("unknown layout in " + folder + ": " + DECODER + " without " + DECODER_WITH_PAST
                        + " or " + MERGED);
            }
            throw new KvbenchException("unknown layout in " + folder + ": none of " + SINGLE + ", " + MERGED + ", or "
                    + DECODER + " + " + DECODER_WITH_PAST);
        }
        if (encoder && !split && !merged) {
            throw new KvbenchException("unknown layout in " + folder + ": " + ENCODER + " without a decoder ("
                    + MERGED + " or " + DECODER + " + " + DECODER_WITH_PAST + ")");
        }
        return new Layout(encoder, single && !encoder, split, merged);
    }

    /**
     * Whether the graph file {@code name} is in {@code folder}; a name that is there but is no file (a folder, a
     * symbolic link that loops or leads nowhere) is an error naming it, not a file silently absent.
     */
    private static boolean present(Path folder, String name) {
        Path file = folder.resolve(name);
        if (Files.isRegularFile(file)) {
            return true;
        }
        if (Files.isSymbolicLink(file)) {
            throw new KvbenchException(file + " is a symbolic link that leads to no file (a loop, or its target is missing)");
        }
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new KvbenchException(file + " is not a file");
        }
        return false;
    }

    /** The decoder arrangement to use: merged when present unless split is asked for. */
    public DecoderFiles choose(DecoderFiles requested) {
        DecoderFiles want = requested;
        if (want == DecoderFiles.AUTO) {
            want = hasSingle ? DecoderFiles.SINGLE : hasMerged ? DecoderFiles.MERGED : DecoderFiles.SPLIT;
        }
        boolean ok = switch (want) {
            case SINGLE -> hasSingle;
            case MERGED -> hasMerged;
            case SPLIT -> hasSplit;
            case AUTO -> false;
        };
        if (!ok) {
            throw new KvbenchException("this model folder has no " + want.name().toLowerCase() + " decoder ("
                    + describe() + ")");
        }
        return want;
    }

    public String describe() {
        StringBuilder s = new StringBuilder(encoderDecoder ? "encoder-decoder:" : "decoder-only:");
        if (hasSingle) {
            s.append(' ').append(SINGLE);
        }
        if (hasMerged) {
            s.append(' ').append(MERGED);
        }
        if (hasSplit) {
            s.append(' ').append(DECODER).append(" + ").append(DECODER_WITH_PAST);
        }
        return s.toString();
    }

    /** How the decoder graphs are arranged in files. */
    public enum DecoderFiles {
        AUTO, SINGLE, MERGED, SPLIT;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
