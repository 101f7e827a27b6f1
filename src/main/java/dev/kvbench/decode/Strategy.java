package dev.kvbench.decode;

import ai.onnxruntime.OrtException;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.CopyingKvCache;
import dev.kvbench.cache.DynamicKvCache;
import dev.kvbench.cache.HybridKvCache;
import dev.kvbench.cache.KvCache;
import dev.kvbench.cache.NoCache;
import dev.kvbench.cache.SharedBufferKvCache;
import dev.kvbench.cache.StaticKvCache;
import dev.kvbench.model.Model;
import dev.kvbench.runtime.StepBinding;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A decoding strategy: which decoder graph it runs and which {@link KvCache} keeps its keys and values. */
public enum Strategy {
    NO_CACHE("no-cache", Model.Variant.DYNAMIC),
    KV("kv", Model.Variant.DYNAMIC),
    KV_COPY("kv-copy", Model.Variant.DYNAMIC),
    HYBRID("hybrid", Model.Variant.DYNAMIC),
    STATIC("static", Model.Variant.STATIC),
    STATIC_GQA("static-gqa", Model.Variant.GQA);

    private final String id;
    private final Model.Variant variant;

    Strategy(String id, Model.Variant variant) {
        this.id = id;
        this.variant = variant;
    }

    public String id() {
        return id;
    }

    public Model.Variant variant() {
        return variant;
    }

    public boolean preallocated() {
        return this == STATIC || this == STATIC_GQA;
    }

    public static Strategy parse(String id) {
        for (Strategy s : values()) {
            if (s.id.equals(id)) {
                return s;
            }
        }
        throw new KvbenchException("unknown strategy '" + id + "' (one of: " + ids() + ")");
    }

    public static String ids() {
        return Arrays.stream(values()).map(Strategy::id).collect(Collectors.joining(", "));
    }

    /** A new, empty cache of this strategy for {@code model}; {@code capacity} is used by preallocated caches. */
    public KvCache newCache(StepBinding step, Model model, int hybridThreshold, int capacity) throws OrtException {
        if (this != NO_CACHE && !model.hasKv()) {
            model.kv(); // throws the clear error
        }
        return switch (this) {
            case NO_CACHE -> new NoCache(step, model.hasKv() ? model.kv() : emptyLayout());
            case KV -> new DynamicKvCache(step, model.kv());
            case KV_COPY -> new CopyingKvCache(step, model.kv());
            case HYBRID -> new HybridKvCache(hybridThreshold, new NoCache(step, model.kv()), new DynamicKvCache(step, model.kv()));
            case STATIC -> new StaticKvCache(step, model.kv(), capacity);
            case STATIC_GQA -> new SharedBufferKvCache(step, model.kv(), capacity);
        };
    }

    private static dev.kvbench.model.KvLayout emptyLayout() {
        return new dev.kvbench.model.KvLayout(0, 1, 1, java.util.List.of());
    }

    @Override
    public String toString() {
        return id;
    }
}
