package dev.kvbench.derive;


import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.CacheContents;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.GenerationResult;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.KvLayout;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.verify.StrategyCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The calibration of a quantized KV cache: the float32 {@code static-gqa} cache run over calibration prompts (each
 * prompt, then greedy tokens, as a user's generation would fill it), and per layer the largest |key| and |value| seen,
 * per channel (KV head x head dimension). The scales ONNX Runtime's GroupQueryAttention takes follow from them,
 * symmetric: {@code scale = max |x| / 127} at 8 bits, {@code / 7} at 4 (per tensor the largest channel's), so the
 * calibrated range maps onto the signed range and a value beyond it saturates.
 */
public final class KvCalibration {
    /** How many scales a layer's keys (and values) get: one, or one per KV head and head-dimension channel. */
    public enum Granularity {
        PER_TENSOR, PER_CHANNEL;

        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Granularity parse(String id) {
            for (Granularity g : values()) {
                if (g.id().equals(id)) {
                    return g;
                }
            }
            throw new KvbenchException("--cache-scales must be per-tensor or per-channel, got '" + id + "'");
        }
    }

    /** Greedy tokens generated after each calibration prompt, so decode positions enter the ranges too. */
    public static final int DEFAULT_NEW_TOKENS = 32;
    /** The largest magnitude of a symmetric signed integer of {@code bits}: 127 at 8 bits, 7 at 4. */
    static float largest(int bits) {
        return (1 << (bits - 1)) - 1;
    }
    /** The smallest scale written: a channel that never moved still needs a positive scale. */
    static final float MIN_SCALE = 1e-8f;

    /** What was measured: per layer, per channel, the largest |key| and |value|; and what it came from. */
    public record Ranges(float[][] keys, float[][] values, int kvHeads, int headDim, String source, int prompts,
                         int newTokens, long positions) {
    }

    private KvCalibration() {
    }

    /**
     * Runs {@code folder}'s {@code static-gqa} graph (float32 cache, of {@code options}' dtype) over {@code prompts},
     * {@code newTokens} greedy tokens each, and returns the ranges its cache held.
     */
    public static Ranges measure(Path folder, EngineOptions options, List<StrategyCheck.Prompt> prompts, int newTokens,
                                 String source) {
        try (Engine engine = new Engine(folder, Strategy.STATIC_GQA, options)) {
            KvLayout layout = engine.model().kv();
            CacheContents cache = engine.generator().cacheContents()
                    .orElseThrow(() -> new IllegalStateException("static-gqa's float cache cannot be read back"));
            int width = layout.kvHeads() * layout.headDim();
            float[][] keys = new float[layout.layers()][width];
            float[][] values = new float[layout.layers()][width];
            long positions = 0;
            for (StrategyCheck.Prompt p : prompts) {
                int tokens = (int) Math.max(1, Math.min(newTokens, engine.model().maxPositions() - p.ids().length));
                GenerationResult r = engine.generator().generate(p.ids(), tokens, true, Sampler.greedy(), null);
                int held = p.ids().length + r.tokens().length - 1; // the last token is never fed
                positions += held;
                for (int i = 0; i < layout.layers(); i++) {
                    merge(keys[i], cache.channelAbsMax(i, true, held));
                    merge(values[i], cache.channelAbsMax(i, false, held));
                }
            }
            return new Ranges(keys, values, layout.kvHeads(), layout.headDim(), source, prompts.size(), newTokens, positions);
        }
    }

    private static void merge(float[] into, float[] more) {
        for (int c = 0; c < into.length; c++) {
            into[c] = Math.max(into[c], more[c]);
        }
    }

    /** The scales of one layer's keys or values: {@code max |x| / largest(bits)}, one per tensor or per channel. */
    static float[] scales(float[] channelMax, Granularity g, int bits) {
        if (g == Granularity.PER_TENSOR) {
            return new float[] {Math.max(MIN_SCALE, max(channelMax) / largest(bits))};
        }
        float[] s = new float[channelMax.length];
        for (int c = 0; c < s.length; c++) {
            s[c] = Math.max(MIN_SCALE, channelMax[c] / largest(bits));
        }
        return s;
    }

    /**
     * The scales file {@code kvcachequant.py} reads, which is also the calibration record kept beside the variant: the
     * bit width, granularity, shapes, per layer the scales (and the ranges they came from), and what was run to
     * measure them.
     */
    public static ObjectNode json(Ranges r, Granularity g, int bits) {
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        root.put("bits", bits);
        root.put("quant_type", g.name());
        root.put("kv_heads", r.kvHeads());
        root.put("head_dim", r.headDim());
        root.put("scale_rule", String.format(Locale.ROOT, "max |x| / %.0f over the calibration, symmetric %d-bit", largest(bits), bits));
        ObjectNode cal = root.putObject("calibration");
        cal.put("source", r.source());
        cal.put("prompts", r.prompts());
        cal.put("new_tokens_per_prompt", r.newTokens());
        cal.put("positions", r.positions());
        cal.put("measured_with", Strategy.STATIC_GQA.id() + " (float32 cache)");
        ArrayNode layers = root.putArray("layers");
        for (int i = 0; i < r.keys().length; i++) {
            ObjectNode l = layers.addObject();
            put(l.putArray("k"), scales(r.keys()[i], g, bits));
            put(l.putArray("v"), scales(r.values()[i], g, bits));
            l.put("k_abs_max", max(r.keys()[i]));
            l.put("v_abs_max", max(r.values()[i]));
        }
        return root;
    }

    private static void put(ArrayNode a, float[] values) {
        for (float v : values) {
            a.add(v);
        }
    }

    private static float max(float[] v) {
        float m = 0;
        for (float x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    /** One line for the console: what the calibration ran and the ranges it found. */
    public static String describe(Ranges r, Granularity g) {
        float k = 0;
        float v = 0;
        for (int i = 0; i < r.keys().length; i++) {
            k = Math.max(k, max(r.keys()[i]));
            v = Math.max(v, max(r.values()[i]));
        }
        return String.format(Locale.ROOT, "calibration: %s, %d prompt(s) + %d greedy tokens each (%d positions); "
                        + "largest |key| %.3g, |value| %.3g over %d layers; %s scales", r.source(), r.prompts(), r.newTokens(),
                r.positions(), k, v, r.keys().length, g.id());
    }
}
