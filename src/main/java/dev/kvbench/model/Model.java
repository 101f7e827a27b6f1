package dev.kvbench.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kvbench.KvbenchException;
import dev.kvbench.runtime.OrtRuntime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An opened model folder: its config, its layout, its sessions (encoder if any, decoder arrangement, or a
 * static-cache variant), and what was read from the graphs' metadata: the self-attention cache layout, the
 * cross-attention cache names, and the vocabulary size of the logits.
 */
public final class Model implements AutoCloseable {
    private final Path folder;
    private final ModelConfig config;
    private final Layout layout;
    private final Variant variant;
    private final OrtSession encoder;
    private final DecoderSessions decoder;
    private final KvLayout kv;
    private final List<KvLayout.Slot> cross;
    private final int vocab;

    /**
     * Which decoder graph a strategy runs: the exported layout, or a static-cache variant beside it
     * ({@code model_static.onnx}, or {@code decoder_model_static.onnx} for encoder-decoder models: returns only the
     * new self-attention entries; {@code model_gqa.onnx}: GroupQueryAttention over a shared past/present buffer,
     * decoder-only). {@code kvbench derive} writes them from the export.
     */
    public enum Variant {
        DYNAMIC(null, null, "present"),
        STATIC("model_static.onnx", "decoder_model_static.onnx", "new_key_values"),
        STATIC_GQA("model_gqa.onnx", null, "present");

        private final String decoderOnlyFile;
        private final String encoderDecoderFile;
        private final String outputPrefix;

        Variant(String decoderOnlyFile, String encoderDecoderFile, String outputPrefix) {
            this.decoderOnlyFile = decoderOnlyFile;
            this.encoderDecoderFile = encoderDecoderFile;
            this.outputPrefix = outputPrefix;
        }

        /** The variant's graph file for a decoder-only or an encoder-decoder folder; null for the export itself or none. */
        public String file(boolean encoderDecoder) {
            return encoderDecoder ? encoderDecoderFile : decoderOnlyFile;
        }

        /** The variant's file in {@code folder}'s kind of model (null: the export itself, or no such variant). */
        public String fileIn(Path folder) {
            return file(isEncoderDecoder(folder));
        }

        /** Whether a folder can run this variant: the export itself always; a static variant when its file is there. */
        public boolean availableIn(Path folder) {
            if (this == DYNAMIC) {
                return true;
            }
            String f = fileIn(folder);
            return f != null && java.nio.file.Files.isRegularFile(folder.resolve(f));
        }

        /** Why {@code folder} cannot run this variant and what adds it, in one line (for bench, check and errors). */
        public String unavailableReason(Path folder) {
            String f = fileIn(folder);
            if (f == null) {
                return "no " + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " variant exists for "
                        + "encoder-decoder models (GroupQueryAttention variants are decoder-only)";
            }
            return f + " is not in " + folder.getFileName() + " -- `kvbench derive --model " + folder + "` adds it";
        }

        private static boolean isEncoderDecoder(Path folder) {
            return java.nio.file.Files.isRegularFile(folder.resolve(Layout.ENCODER));
        }
    }

    private Model(Path folder, ModelConfig config, Layout layout, Variant variant, OrtSession encoder,
                  DecoderSessions decoder, KvLayout kv, List<KvLayout.Slot> cross, int vocab) {
        this.folder = folder;
        this.config = config;
        this.layout = layout;
        this.variant = variant;
        this.encoder = encoder;
        this.decoder = decoder;
        this.kv = kv;
        this.cross = cross;
        this.vocab = vocab;
    }

    public static Model open(Path folder, OrtRuntime runtime, Variant variant, Layout.DecoderFiles files) {
        Layout layout = Layout.detect(folder);
        ModelConfig config = ModelConfig.read(folder);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            OrtSession encoder = null;
            DecoderSessions decoder;
            String file;
            if (!variant.availableIn(folder)) {
                throw new KvbenchException("this strategy is not available: " + variant.unavailableReason(folder));
            }
            if (layout.encoderDecoder()) {
                encoder = track(opened, runtime.open(folder.resolve(Layout.ENCODER)));
                requireInputs(encoder, Layout.ENCODER, IoNames.INPUT_IDS, IoNames.ATTENTION_MASK);
            }
            if (variant != Variant.DYNAMIC) {
                file = variant.fileIn(folder);
                OrtSession s = track(opened, runtime.open(folder.resolve(file)));
                OrtSession first = s;
                if (layout.encoderDecoder()) {
                    // The first step computes the cross-attention cache: the export's no-past decoder runs it.
                    Layout.DecoderFiles chosen = layout.choose(files);
                    first = track(opened, runtime.open(folder.resolve(chosen == Layout.DecoderFiles.MERGED
                            ? Layout.MERGED : Layout.DECODER)));
                }
                decoder = new DecoderSessions(first, s);
            } else {
                Layout.DecoderFiles chosen = layout.choose(files);
                switch (chosen) {
                    case SINGLE, MERGED -> {
                        file = chosen == Layout.DecoderFiles.SINGLE ? Layout.SINGLE : Layout.MERGED;
                        OrtSession s = track(opened, runtime.open(folder.resolve(file)));
                        decoder = new DecoderSessions(s, s);
                        if (chosen == Layout.DecoderFiles.MERGED && !decoder.merged(true)) {
                            throw new KvbenchException(file + " has no use_cache_branch input");
                        }
                    }
                    default -> {
                        file = Layout.DECODER_WITH_PAST;
                        OrtSession noPast = track(opened, runtime.open(folder.resolve(Layout.DECODER)));
                        OrtSession withPast = track(opened, runtime.open(folder.resolve(Layout.DECODER_WITH_PAST)));
                        decoder = new DecoderSessions(noPast, withPast);
                    }
                }
            }
            OrtSession main = decoder.withPast();
            requireInputs(main, file, IoNames.INPUT_IDS);
            if (layout.encoderDecoder()) {
                requireInputs(main, file, IoNames.ENCODER_ATTENTION_MASK);
                requireInputs(decoder.session(false), file, IoNames.ENCODER_HIDDEN_STATES);
            }
            KvLayout kv = hasPast(main) ? KvLayout.read(main, file, variant.outputPrefix) : null;
            if (kv != null && config.kvHeads() > 0 && config.kvHeads() != kv.kvHeads()) {
                throw new KvbenchException(folder.resolve("config.json") + " says num_key_value_heads " + config.kvHeads()
                        + ", but " + file + "'s past inputs have " + kv.kvHeads() + " KV heads: config and graph are of "
                        + "different models");
            }
            List<KvLayout.Slot> cross = layout.encoderDecoder() && kv != null ? crossSlots(kv.layers()) : List.of();
            int vocab = logitsVocab(main, file, config);
            return new Model(folder, config, layout, variant, encoder, decoder, kv, cross, vocab);
        } catch (OrtException e) {
            dev.kvbench.runtime.Closeables.closeAll(opened, e);
            throw new KvbenchException("cannot read " + folder + ": " + KvbenchException.firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            dev.kvbench.runtime.Closeables.closeAll(opened, e);
            throw e;
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> opened, T t) {
        opened.add(t);
        return t;
    }

    private static boolean hasPast(OrtSession s) throws OrtException {
        return s.getInputNames().stream().anyMatch(n -> n.startsWith(IoNames.PAST_PREFIX));
    }

    private static void requireInputs(OrtSession s, String file, String... names) throws OrtException {
        for (String n : names) {
            if (!s.getInputNames().contains(n)) {
                throw new KvbenchException("unknown layout: " + file + " has no input '" + n + "' (inputs: "
                        + s.getInputNames() + ")");
            }
        }
    }

    private static List<KvLayout.Slot> crossSlots(int layers) {
        List<KvLayout.Slot> slots = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            slots.add(new KvLayout.Slot("past_key_values." + i + ".encoder.key", "past_key_values." + i + ".encoder.value",
                    "present." + i + ".encoder.key", "present." + i + ".encoder.value"));
        }
        return List.copyOf(slots);
    }

    private static int logitsVocab(OrtSession s, String file, ModelConfig config) throws OrtException {
        Map<String, NodeInfo> outputs = s.getOutputInfo();
        NodeInfo logits = outputs.get(IoNames.LOGITS);
        if (logits == null) {
            throw new KvbenchException("unknown layout: " + file + " has no 'logits' output (outputs: " + outputs.keySet() + ")");
        }
        long[] shape = ((TensorInfo) logits.getInfo()).getShape();
        if (shape.length != 3) {
            throw new KvbenchException(file + ": logits has rank " + shape.length + ", expected 3");
        }
        long v = shape[2] > 0 ? shape[2] : config.vocabSize();
        if (v <= 0) {
            throw new KvbenchException(file + ": the vocabulary size is neither in the logits shape nor in config.json");
        }
        return (int) v;
    }

    public Path folder() {
        return folder;
    }

    public ModelConfig config() {
        return config;
    }

    public Layout layout() {
        return layout;
    }

    public Variant variant() {
        return variant;
    }

    public boolean encoderDecoder() {
        return layout.encoderDecoder();
    }

    public OrtSession encoder() {
        return encoder;
    }

    public DecoderSessions decoder() {
        return decoder;
    }

    /** The self-attention cache layout; fails clearly for a graph exported without past inputs. */
    public KvLayout kv() {
        if (kv == null) {
            throw new KvbenchException(folder + ": the decoder has no past_key_values inputs, so only the no-cache strategy can run");
        }
        return kv;
    }

    public boolean hasKv() {
        return kv != null;
    }

    public List<KvLayout.Slot> crossSlots() {
        return cross;
    }

    public int vocab() {
        return vocab;
    }

    /** Longest sequence the model's positions allow, or {@code Integer.MAX_VALUE} when config.json does not say. */
    public int maxPositions() {
        return config.maxPositions() > 0 ? config.maxPositions() : Integer.MAX_VALUE;
    }

    @Override
    public void close() {
        try {
            decoder.close();
            if (encoder != null) {
                encoder.close();
            }
        } catch (OrtException e) {
            throw new KvbenchException("closing sessions: " + e.getMessage(), e);
        }
    }
}
