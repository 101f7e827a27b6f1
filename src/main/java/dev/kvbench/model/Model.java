package dev.kvbench.model;


import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kvbench.KvbenchException;
import dev.kvbench.runtime.Closeables;
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
    private final ai.onnxruntime.OnnxJavaType logitsElement;
    private final int graphPositions;

    /**
     * Which decoder graph a strategy runs: the exported layout, or a static-cache variant beside it
     * ({@code model_static.onnx}, or {@code decoder_model_static.onnx} for encoder-decoder models: returns only the
     * new self-attention entries; {@code model_gqa.onnx}: GroupQueryAttention over a shared past/present buffer,
     * decoder-only). {@code kvbench derive} writes them from the export.
     */
    public enum Variant {
        DYNAMIC(null, null, "present", 32),
        STATIC("model_static.onnx", "decoder_model_static.onnx", "new_key_values", 32),
        STATIC_GQA("model_gqa.onnx", null, "present", 32),
        /** {@code model_gqa.onnx} with an int8 cache: the same GroupQueryAttention, calibrated scales in the graph. */
        STATIC_GQA_INT8("model_gqa_kv8.onnx", null, "present", 8),
        /** {@code model_gqa.onnx} with a 4-bit cache (two values a byte), calibrated scales in the graph. */
        STATIC_GQA_INT4("model_gqa_kv4.onnx", null, "present", 4);

        private final String decoderOnlyFile;
        private final String encoderDecoderFile;
        private final String outputPrefix;
        private final int cacheBits;

        Variant(String decoderOnlyFile, String encoderDecoderFile, String outputPrefix, int cacheBits) {
            this.decoderOnlyFile = decoderOnlyFile;
            this.encoderDecoderFile = encoderDecoderFile;
            this.outputPrefix = outputPrefix;
            this.cacheBits = cacheBits;
        }

        /**
         * Refuses a graph whose past inputs do not hold what this variant's file name says: a float cache for the
         * export and the float variants, int8 for the 8-bit cache, uint8 (two 4-bit values a byte) for the 4-bit one.
         */
        void requireCache(ai.onnxruntime.OnnxJavaType element, String file) {
            ai.onnxruntime.OnnxJavaType expected = switch (cacheBits) {
                case 8 -> ai.onnxruntime.OnnxJavaType.INT8;
                case 4 -> ai.onnxruntime.OnnxJavaType.UINT8;
                default -> null;
            };
            boolean isFloat = element == ai.onnxruntime.OnnxJavaType.FLOAT || element == ai.onnxruntime.OnnxJavaType.FLOAT16;
            if (expected == null ? !isFloat : element != expected) {
                throw new KvbenchException(file + " is named for " + cacheWords(cacheBits) + ", but its past inputs hold "
                        + cacheWords(isFloat ? 32 : element == ai.onnxruntime.OnnxJavaType.INT8 ? 8
                        : element == ai.onnxruntime.OnnxJavaType.UINT8 ? 4 : -1) + " (" + element + "): the file is "
                        + "misnamed or from another derive");
            }
        }

        private static String cacheWords(int bits) {
            return switch (bits) {
                case 32 -> "a float cache";
                case 8 -> "an 8-bit cache";
                case 4 -> "a 4-bit cache";
                default -> "another cache";
            };
        }

        /** Bits per cached key or value: 32 (float32), or 8 and 4 for GroupQueryAttention's quantized caches. */
        public int cacheBits() {
            return cacheBits;
        }

        /** The variants whose GroupQueryAttention cache is quantized, in declaration order (8 bits, then 4). */
        public static List<Variant> quantizedCaches() {
            return java.util.Arrays.stream(values()).filter(v -> v.cacheBits < 32).toList();
        }

        /** The variant's fp32 graph name for a decoder-only or an encoder-decoder folder; null for the export itself or none. */
        public String file(boolean encoderDecoder) {
            return encoderDecoder ? encoderDecoderFile : decoderOnlyFile;
        }

        /**
         * The variant's file name for {@code layout}'s kind of model and dtype ({@code model_gqa_q4.onnx}), in its
         * graph folder; null: the export itself, or no such variant.
         */
        public String fileIn(Layout layout) {
            String base = file(layout.encoderDecoder());
            return base == null ? null : layout.dtype().file(base);
        }

        /** Whether a layout can run this variant: the export itself always; a static variant when its file is there. */
        public boolean availableIn(Layout layout) {
            if (this == DYNAMIC) {
                return true;
            }
            String f = fileIn(layout);
            return f != null && java.nio.file.Files.isRegularFile(layout.graphs().resolve(f));
        }

        /**
         * Why {@code folder} cannot run this variant, in one line (for bench, check and errors); {@link #derivable}
         * says whether deriving it from the export would add it.
         */
        public String unavailableReason(Path folder, Layout layout) {
            String f = fileIn(layout);
            if (f == null) {
                return "no " + name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + " variant exists for "
                        + "encoder-decoder models (GroupQueryAttention variants are decoder-only)";
            }
            String where = folder.equals(layout.graphs()) ? String.valueOf(folder.getFileName())
                    : folder.getFileName() + "/" + Layout.ONNX_SUBFOLDER;
            return f + " is not in " + where;
        }

        /** Whether this variant exists for the layout's kind of model, so that deriving it from the export adds it. */
        public boolean derivable(Layout layout) {
            return fileIn(layout) != null;
        }
    }

    private Model(Path folder, ModelConfig config, Layout layout, Variant variant, OrtSession encoder,
                  DecoderSessions decoder, KvLayout kv, List<KvLayout.Slot> cross, int vocab,
                  ai.onnxruntime.OnnxJavaType logitsElement, int graphPositions) {
        this.folder = folder;
        this.config = config;
        this.layout = layout;
        this.variant = variant;
        this.encoder = encoder;
        this.decoder = decoder;
        this.kv = kv;
        this.cross = cross;
        this.vocab = vocab;
        this.logitsElement = logitsElement;
        this.graphPositions = graphPositions;
    }

    public static Model open(Path folder, OrtRuntime runtime, Variant variant, Layout.DecoderFiles files) {
        return open(folder, Dtype.FP32, runtime, variant, files);
    }

    /** Opens {@code folder}'s {@code dtype} graphs (in the folder or its onnx/ subfolder) for {@code variant}. */
    public static Model open(Path folder, Dtype dtype, OrtRuntime runtime, Variant variant, Layout.DecoderFiles files) {
        return open(folder, GraphDtypes.of(dtype), runtime, variant, files);
    }

    /** Opens {@code folder}'s graphs of {@code dtypes}, the encoder's and the decoder's, for {@code variant}. */
    public static Model open(Path folder, GraphDtypes dtypes, OrtRuntime runtime, Variant variant, Layout.DecoderFiles files) {
        Dtype dtype = dtypes.decoder();
        Layout layout = Layout.detect(folder, dtypes);
        ModelConfig config = ModelConfig.read(folder);
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            OrtSession encoder = null;
            DecoderSessions decoder;
            String file;
            if (!variant.availableIn(layout)) {
                throw new VariantUnavailableException(variant, folder, layout);
            }
            if (layout.encoderDecoder()) {
                encoder = track(opened, runtime.open(layout.graph(Layout.ENCODER)));
                requireInputs(encoder, dtypes.encoder().file(Layout.ENCODER), IoNames.INPUT_IDS, IoNames.ATTENTION_MASK);
            }
            if (variant != Variant.DYNAMIC) {
                file = variant.fileIn(layout);
                OrtSession s = track(opened, runtime.open(layout.graphs().resolve(file)));
                OrtSession first = s;
                if (layout.encoderDecoder()) {
                    // The first step computes the cross-attention cache: the export's no-past decoder runs it.
                    Layout.DecoderFiles chosen = layout.choose(files);
                    first = track(opened, runtime.open(layout.graph(chosen == Layout.DecoderFiles.MERGED
                            ? Layout.MERGED : Layout.DECODER)));
                }
                decoder = new DecoderSessions(first, s);
            } else {
                Layout.DecoderFiles chosen = layout.choose(files);
                switch (chosen) {
                    case SINGLE, MERGED -> {
                        file = dtype.file(chosen == Layout.DecoderFiles.SINGLE ? Layout.SINGLE : Layout.MERGED);
                        OrtSession s = track(opened, runtime.open(layout.graphs().resolve(file)));
                        decoder = new DecoderSessions(s, s);
                        if (chosen == Layout.DecoderFiles.MERGED && !decoder.merged(true)) {
                            throw new KvbenchException(file + " has no use_cache_branch input");
                        }
                    }
                    default -> {
                        file = dtype.file(Layout.DECODER_WITH_PAST);
                        OrtSession noPast = track(opened, runtime.open(layout.graph(Layout.DECODER)));
                        OrtSession withPast = track(opened, runtime.open(layout.graph(Layout.DECODER_WITH_PAST)));
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
            ai.onnxruntime.OnnxJavaType logits = logitsElement(main, file);
            GraphNodes.Graph graph = GraphNodes.readGraph(layout.graphs().resolve(file));
            dtype.requireSeenIn(graph, logits == ai.onnxruntime.OnnxJavaType.FLOAT16, file);
            if (kv != null) {
                variant.requireCache(kv.element(), file);
            }
            if (kv != null && config.kvHeads() > 0 && config.kvHeads() != kv.kvHeads()) {
                throw new KvbenchException(folder.resolve("config.json") + " says num_key_value_heads " + config.kvHeads()
                        + ", but " + file + "'s past inputs have " + kv.kvHeads() + " KV heads: config and graph are of "
                        + "different models");
            }
            List<KvLayout.Slot> cross = layout.encoderDecoder() && kv != null ? crossSlots(kv.layers()) : List.of();
            int vocab = logitsVocab(main, file, config);
            return new Model(folder, config, layout, variant, encoder, decoder, kv, cross, vocab, logits,
                    graph.rotaryPositions());
        } catch (OrtException e) {
            Closeables.closeAll(opened, e);
            throw new KvbenchException("cannot read " + folder + ": " + KvbenchException.firstLine(e.getMessage()), e);
        } catch (RuntimeException e) {
            Closeables.closeAll(opened, e);
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

    private static ai.onnxruntime.OnnxJavaType logitsElement(OrtSession s, String file) throws OrtException {
        ai.onnxruntime.OnnxJavaType type = ((TensorInfo) s.getOutputInfo().get(IoNames.LOGITS).getInfo()).type;
        if (type != ai.onnxruntime.OnnxJavaType.FLOAT && type != ai.onnxruntime.OnnxJavaType.FLOAT16) {
            throw new KvbenchException(file + ": logits are " + type + "; the engine reads float32 and float16 logits");
        }
        return type;
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

    /** The dtype of the graphs this model runs. */
    public Dtype dtype() {
        return layout.dtype();
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

    /**
     * The element type of the logits: float32, or float16 (fp16 and q4f16 graphs, whose pasts and presents are
     * float16 too).
     */
    public ai.onnxruntime.OnnxJavaType logitsElement() {
        return logitsElement;
    }

    public int vocab() {
        return vocab;
    }

    /**
     * Longest sequence the model's positions allow: the smaller of config.json's limit and the rows of the decoder
     * graph's rotary tables where it has them (a GroupQueryAttention variant's {@code cos_cache}: a position beyond
     * them fails inside ONNX Runtime); {@code Integer.MAX_VALUE} when neither says.
     */
    public int maxPositions() {
        int configured = config.maxPositions() > 0 ? config.maxPositions() : Integer.MAX_VALUE;
        return graphPositions > 0 ? Math.min(configured, graphPositions) : configured;
    }

    @Override
    public void close() {
        Closeables.closeEach(java.util.Arrays.asList(decoder, encoder));
    }
}
