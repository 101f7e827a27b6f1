package dev.kvbench.model;

import dev.kvbench.KvbenchException;
import java.util.Locale;

/**
 * The dtype of each graph of a model: the encoder's and the decoder's (every decoder graph, static variants
 * included). One dtype for the whole folder is both the same ({@link #of}); encoder-decoder models may mix them as
 * transformers.js lets users do ({@code dtype: {encoder_model: 'fp32', decoder_model_merged: 'q4'}}), the usual
 * choice for a translation model whose encoder loses quality when quantized. Written {@code q4}, or
 * {@code encoder=fp32,decoder=q4}.
 */
public record GraphDtypes(Dtype encoder, Dtype decoder) {
    public GraphDtypes {
        if (encoder == null || decoder == null) {
            throw new IllegalArgumentException("both graphs need a dtype");
        }
        if (encoder.float16Io() != decoder.float16Io()) {
            throw new KvbenchException("encoder=" + encoder + ",decoder=" + decoder + " cannot run together: the encoder's "
                    + (encoder.float16Io() ? "float16" : "float32") + " output would feed a decoder that takes "
                    + (decoder.float16Io() ? "float16" : "float32") + " (choose dtypes of the same input and output type)");
        }
    }

    /** One dtype for every graph. */
    public static GraphDtypes of(Dtype dtype) {
        return new GraphDtypes(dtype, dtype);
    }

    /** Refuses a dtype per graph for a model without an encoder ({@code folder}), in one line. */
    public void requireEncoderFor(boolean encoderDecoder, java.nio.file.Path folder) {
        if (!encoderDecoder && !uniform()) {
            throw new KvbenchException("a dtype per graph (" + this + ") is for encoder-decoder models; " + folder
                    + " is decoder-only: give one dtype");
        }
    }

    /** Whether every graph has the same dtype. */
    public boolean uniform() {
        return encoder == decoder;
    }

    /** {@code q4}, or {@code encoder=fp32,decoder=q4}: what users type and what result files record. */
    public String id() {
        return uniform() ? decoder.id() : "encoder=" + encoder.id() + ",decoder=" + decoder.id();
    }

    @Override
    public String toString() {
        return id();
    }

    /**
     * {@code q4}, or {@code encoder=fp32,decoder=q4} (both graphs named, in either order; {@code +} in place of the comma
     * for JMH's {@code -p}, which splits on commas); anything else is one line naming the dtypes there are.
     */
    public static GraphDtypes parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        if (!s.contains("=")) {
            return of(Dtype.parse(s));
        }
        Dtype encoder = null;
        Dtype decoder = null;
        for (String part : s.split("[,+]", -1)) {
            String[] kv = part.split("=", -1);
            if (kv.length != 2) {
                throw bad(text);
            }
            switch (kv[0].trim()) {
                case "encoder" -> {
                    if (encoder != null) {
                        throw bad(text);
                    }
                    encoder = Dtype.parse(kv[1]);
                }
                case "decoder" -> {
                    if (decoder != null) {
                        throw bad(text);
                    }
                    decoder = Dtype.parse(kv[1]);
                }
                default -> throw bad(text);
            }
        }
        if (encoder == null || decoder == null) {
            throw bad(text);
        }
        return new GraphDtypes(encoder, decoder);
    }

    /**
     * A comma-separated list of dtypes, a dtype per graph among them ({@code fp32,q4,encoder=fp32,decoder=q4}): the
     * {@code encoder=} and {@code decoder=} halves of a pair are joined again. The items as written, not yet parsed.
     */
    public static java.util.List<String> splitList(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        String[] parts = text.split(",", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            boolean half = p.startsWith("encoder=") || p.startsWith("decoder=");
            if (half && i + 1 < parts.length && isOtherHalf(p, parts[i + 1].trim())) {
                out.add(p + "," + parts[++i].trim());
            } else {
                out.add(p);
            }
        }
        return out;
    }

    private static boolean isOtherHalf(String first, String next) {
        return first.startsWith("encoder=") ? next.startsWith("decoder=") : next.startsWith("encoder=");
    }

    /** A name fit for a file: {@code q4}, or {@code encoder-fp32-decoder-q4}. */
    public String fileTag() {
        return uniform() ? decoder.id() : "encoder-" + encoder.id() + "-decoder-" + decoder.id();
    }

    private static KvbenchException bad(String text) {
        return new KvbenchException("dtype '" + text + "' is neither a dtype (" + String.join(", ", Dtype.ids())
                + ") nor one per graph, encoder=DTYPE,decoder=DTYPE");
    }
}
