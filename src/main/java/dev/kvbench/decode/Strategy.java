package dev.kvbench.decode;


import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.InvalidSettingException;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.AllocatedKvCache;
import dev.kvbench.cache.CopyingKvCache;
import dev.kvbench.cache.HybridKvCache;
import dev.kvbench.cache.KvCache;
import dev.kvbench.cache.NoCache;
import dev.kvbench.cache.DynamicKvCache;
import dev.kvbench.cache.StaticGqaKvCache;
import dev.kvbench.cache.StaticKvCache;
import dev.kvbench.model.KvLayout;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A decoding strategy: its id, which decoder graph it runs, and which {@link KvCache} keeps its keys and values.
 * Everything else (CLI choices, benchmark parameters, the bench matrix, the summary, chart colours) asks this enum:
 * adding a strategy is one constant here and one cache class (and its id in the benchmarks' {@code @Param} lists).
 */
public enum Strategy {
    NO_CACHE("no-cache", Model.Variant.DYNAMIC, true,
            "the whole history every step, presents discarded: O(n^2) work") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new NoCache(env, kv);
        }
    },
    KV("kv", Model.Variant.DYNAMIC, false,
            "present.* of one step bound as the next step's past; the graph writes them into two engine-owned buffers "
                    + "that take turns, so ONNX Runtime allocates nothing per step") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new DynamicKvCache(env, kv);
        }
    },
    KV_ALLOC("kv-alloc", Model.Variant.DYNAMIC, false,
            "kv without pinned outputs: ONNX Runtime allocates each step's presents, the cache takes them from the run") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new AllocatedKvCache(env, kv);
        }
    },
    KV_COPY("kv-copy", Model.Variant.DYNAMIC, false, "kv, with every present copied to a float[] and back each step") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new CopyingKvCache(env, kv);
        }
    },
    HYBRID("hybrid", Model.Variant.DYNAMIC, false, "no-cache below the hybrid threshold's positions, then kv") {
        @Override
        void requireOptions(Model model, EngineOptions options) {
            if (options.hybridThreshold() > model.maxPositions()) {
                throw InvalidSettingException.of(InvalidSettingException.Setting.HYBRID_THRESHOLD, " "
                        + options.hybridThreshold() + " is beyond the model's " + model.maxPositions()
                        + " positions: hybrid would never start its cache");
            }
        }

        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new HybridKvCache(options.hybridThreshold(), new NoCache(env, kv), new DynamicKvCache(env, kv));
        }
    },
    STATIC("static", Model.Variant.STATIC, false,
            "preallocated buffers, new entries index-copied; model_static.onnx attends over the whole capacity") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) {
            return new StaticKvCache(env, kv);
        }
    },
    STATIC_GQA("static-gqa", Model.Variant.STATIC_GQA, false,
            "preallocated buffers written in place by GroupQueryAttention (model_gqa.onnx), attention over the valid length") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new StaticGqaKvCache(env, kv);
        }
    },
    STATIC_GQA_INT8("static-gqa-int8", Model.Variant.STATIC_GQA_INT8, false,
            "static-gqa with an int8 cache (model_gqa_kv8.onnx, calibrated scales): a quarter of the KV bytes, lossy") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new StaticGqaKvCache(env, kv);
        }
    },
    STATIC_GQA_INT4("static-gqa-int4", Model.Variant.STATIC_GQA_INT4, false,
            "static-gqa with a 4-bit cache (model_gqa_kv4.onnx, two values a byte): an eighth of the KV bytes, lossier") {
        @Override
        KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException {
            return new StaticGqaKvCache(env, kv);
        }
    };

    private final String id;
    private final Model.Variant variant;
    private final boolean quadratic;
    private final String description;

    Strategy(String id, Model.Variant variant, boolean quadratic, String description) {
        this.id = id;
        this.variant = variant;
        this.quadratic = quadratic;
        this.description = description;
    }

    public String id() {
        return id;
    }

    public Model.Variant variant() {
        return variant;
    }

    /** One line on what the strategy does, for usage texts and the docs. */
    public String description() {
        return description;
    }

    /**
     * Whether the strategy's cache holds quantized values (int8): lossy by design, so {@code check} holds it to the
     * quantized-cache bounds ({@code StrategyCheck.quantizedCacheTokens}, {@code QUANTIZED_CACHE_PERPLEXITY}) rather
     * than to logit equality.
     */
    public boolean quantizedCache() {
        return variant.cacheBits() < 32;
    }

    /**
     * Whether the strategy can start from an assumed prompt ({@code EngineOptions#assumedPrompt}: its cache takes
     * buffers it already holds as filled): kv and the static-gqa caches; the others compute every position they hold.
     */
    public boolean startsFromAssumedPrompt() {
        return this == KV || variant == Model.Variant.STATIC_GQA || quantizedCache();
    }

    /** Whether a generation's work grows with the square of its length (the bench matrix caps such runs by a rule). */
    public boolean quadratic() {
        return quadratic;
    }

    /**
     * Whether the strategy feeds the whole history again (no-cache every step, hybrid below its threshold) rather than
     * only the new positions: on a graph that quantizes activations per tensor at run time this changes the logits.
     */
    public boolean refeedsHistory() {
        return this == NO_CACHE || this == HYBRID;
    }

    /** Whether a layout has what this strategy runs (its variant graph beside the export, of the layout's dtype). */
    public boolean availableIn(Layout layout) {
        return variant.availableIn(layout);
    }

    /**
     * Whether this strategy can run on an opened model, checked once, before anything is allocated for it: the
     * model must have been opened with this strategy's graph variant, and a cached strategy needs past inputs. (Whether
     * the variant's file is in the folder is {@link #availableIn}, which {@code Model.open} and {@code bench} ask;
     * whether its cache holds what the variant's name says, {@code Model.open} checks.)
     */
    void requireRunnableOn(Model model) {
        if (variant != model.variant()) {
            throw new IllegalArgumentException("model opened for " + model.variant() + ", strategy " + id + " needs " + variant);
        }
        if (this != NO_CACHE && !model.hasKv()) {
            throw new StrategyUnavailableException(this, model.folder() + ": the decoder has no past_key_values inputs, "
                    + "so only the no-cache strategy can run (" + id + " keeps a cache)", "no past_key_values inputs");
        }
    }

    /**
     * Refuses options this strategy cannot work with on {@code model}, before anything is allocated (hybrid: a
     * threshold beyond the model's positions would never start its cache); the others take every valid option.
     */
    void requireOptions(Model model, EngineOptions options) {
    }

    /** A new, empty cache of this strategy for a model it can run on; it sizes itself in {@link KvCache#begin}. */
    KvCache newCache(Model model, OrtEnvironment env, EngineOptions options) throws OrtException {
        return newCache(env, model.hasKv() ? model.kv() : KvLayout.NONE, options);
    }

    abstract KvCache newCache(OrtEnvironment env, KvLayout kv, EngineOptions options) throws OrtException;

    public static Strategy parse(String id) {
        for (Strategy s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new KvbenchException("unknown strategy '" + id + "' (one of: " + String.join(", ", ids()) + ")");
    }

    /** Every strategy id, in declaration order: what {@code @Param} lists and CLI choices must equal. */
    public static List<String> ids() {
        return Arrays.stream(values()).map(Strategy::id).toList();
    }

    /** The strategies a layout supports, in declaration order. */
    public static List<Strategy> availableIn(Layout layout, List<Strategy> among) {
        return among.stream().filter(s -> s.availableIn(layout)).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
