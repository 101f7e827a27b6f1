package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.KvbenchException;
import dev.kvbench.model.Dtype;
import dev.kvbench.runtime.MachineProbe;
import dev.kvbench.support.JsonFiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine's limit for one decode step: a step must read every weight it multiplies by (plus the valid KV cache)
 * and do one multiply-add per weight (plus attention over the valid length); at a measured read bandwidth and a
 * measured matrix-multiply rate, the faster of the two can take no less than {@code max(bytes / bandwidth,
 * macs / rate)}. A strategy's time per token divided by that is how far it is from the hardware.
 * <p>Counted per generated token (batch 1; the weight matrices at the dtype's bytes per weight, {@link
 * #bytesPerWeight}, everything else fp32): decoder-only (Llama/Qwen2): per layer the q, k, v, o projections
 * (and biases), three MLP matrices, two norms; the final norm; the logits matrix (vocab x hidden, tied or not); one
 * embedding row. Attention: 2 x heads x head_dim x context multiply-adds per layer (scores and weighted sum), and
 * 2 x kv_heads x head_dim x context floats of cache read. Encoder-decoder (Marian): the decoder's self-attention
 * (4 d^2), cross-attention q and o (2 d^2; its keys and values come from the cache), the FFN (2 d ffn), the logits
 * matrix and bias; attention over the decoder context and the source length.
 */
public final class Roofline {

    /** What one step must do: weight bytes, KV cache bytes read, multiply-adds. */
    public record Cost(double weightBytes, double kvBytes, double macs) {
        public double bytes() {
            return weightBytes + kvBytes;
        }

        /** The step's lower bound on this machine, in seconds. */
        public double seconds(MachineProbe.Limits limits) {
            return Math.max(bytes() / limits.readBytesPerSecond(), macs / limits.macsPerSecond());
        }

        /** "memory" when reading bytes is the longer bound, else "compute". */
        public String bound(MachineProbe.Limits limits) {
            return bytes() / limits.readBytesPerSecond() >= macs / limits.macsPerSecond() ? "memory" : "compute";
        }
    }

    /**
     * Bytes a step reads per weight of a projection or logits matrix: fp32 4, fp16 2, q8/int8/uint8 1 (one scale per
     * tensor), q4 and q4f16 0.5 + a float scale per block of 32 (0.625; quantize's default block, and ONNX Runtime's),
     * bnb4 likewise. Embedding rows, norms and biases stay float32.
     */
    public static double bytesPerWeight(Dtype dtype) {
        return switch (dtype) {
            case FP32 -> 4;
            case FP16 -> 2;
            case Q8, INT8, UINT8 -> 1;
            case Q4, Q4F16, BNB4 -> 0.5 + 4.0 / 32;
        };
    }

    /**
     * The shape of a model's decode step, read from its config.json; {@code matrixBytesPerWeight} from the dtype of
     * the graphs run ({@link #bytesPerWeight}).
     */
    public record Shape(boolean encoderDecoder, int layers, int hidden, int heads, int kvHeads, int headDim,
                        int intermediate, int vocab, boolean attentionBias, double matrixBytesPerWeight) {

        /** The fp32 shape. */
        public static Shape read(Path folder) {
            return read(folder, Dtype.FP32);
        }

        public static Shape read(Path folder, Dtype dtype) {
            double b = bytesPerWeight(dtype);
            JsonNode c = JsonFiles.read(folder.resolve("config.json"), "config.json");
            if (c.path("is_encoder_decoder").asBoolean(false)) {
                int d = need(c, "d_model");
                int heads = need(c, "decoder_attention_heads");
                return new Shape(true, need(c, "decoder_layers"), d, heads, heads, d / heads, need(c, "decoder_ffn_dim"),
                        need(c, "vocab_size"), true, b);
            }
            int h = need(c, "hidden_size");
            int heads = need(c, "num_attention_heads");
            int kv = c.path("num_key_value_heads").asInt(heads);
            int hd = c.path("head_dim").asInt(h / heads);
            boolean bias = c.path("attention_bias").asBoolean("qwen2".equals(c.path("model_type").asText()));
            return new Shape(false, need(c, "num_hidden_layers"), h, heads, kv, hd, need(c, "intermediate_size"),
                    need(c, "vocab_size"), bias, b);
        }

        private static int need(JsonNode c, String field) {
            int v = c.path(field).asInt(-1);
            if (v <= 0) {
                throw new KvbenchException("config.json has no positive " + field + " (needed for the roofline)");
            }
            return v;
        }

        /**
         * The mean cost of a StepBenchmark step at {@code context}: decoder-only, the valid length averaged over the
         * measured steps; encoder-decoder, where the benchmark's prompt is the source ({@code context} - 9 tokens) and
         * the decoder is at positions 2 to 9, that source length for cross-attention and 5.5 decoder positions.
         */
        public Cost stepBenchmarkCost(int context) {
            int steps = BenchmarkContract.STEP_BENCHMARK_STEPS;
            return encoderDecoder ? step(1 + (steps + 1) / 2.0, context - steps - 1) : step(meanContext(context), 0);
        }

        /** The cost of generating one token with {@code context} valid positions (and {@code source} for cross-attention). */
        public Cost step(double context, double source) {
            double w; // matrix weights
            double f; // float weights: biases, norms, the embedding row
            double macs;
            double kvFloats;
            if (encoderDecoder) {
                double d = hidden;
                double perLayer = 6 * d * d + 2 * d * intermediate;
                double small = 6 * d + intermediate + d + 6 * d; // biases and three layer norms
                w = layers * perLayer + (double) vocab * d;
                f = layers * small + vocab + d;
                macs = layers * (perLayer + 2 * d * context + 2 * d * source) + (double) vocab * d;
                kvFloats = layers * (2 * d * context + 2 * d * source);
            } else {
                double h = hidden;
                double attn = h * heads * headDim + 2 * h * kvHeads * headDim + (double) heads * headDim * h;
                double mlp = 3 * h * intermediate;
                double small = 2 * h + (attentionBias ? (heads + 2.0 * kvHeads) * headDim : 0);
                w = layers * (attn + mlp) + (double) vocab * h;
                f = layers * small + 2 * h;
                macs = layers * (attn + mlp + 2.0 * heads * headDim * context) + (double) vocab * h;
                kvFloats = layers * 2.0 * kvHeads * headDim * context;
            }
            return new Cost(matrixBytesPerWeight * w + 4 * f, 4 * kvFloats, macs);
        }
    }

    private Roofline() {
    }

    /**
     * A plain-text table: each StepBenchmark row's time per step against the limit at its context (the mean valid
     * length over the measured steps), as a multiple.
     */
    public static String section(List<Summary.Row> rows, Shape shape, MachineProbe.Limits limits) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%nAgainst this machine's limit (roofline: max(bytes "
                + "read / %.1f GB/s, multiply-adds / %.1f G/s), per decode step, weight matrices at %.3g bytes per weight)%n",
                limits.readBytesPerSecond() / 1e9, limits.macsPerSecond() / 1e9, shape.matrixBytesPerWeight()));
        s.append(String.format(Locale.ROOT, "%-21s %8s %12s %12s %12s %9s %14s%n", "strategy", "context", "ms/step",
                "MB read", "limit ms", "bound", "x limit"));
        rows.stream().filter(r -> r.benchmark().equals(BenchmarkContract.STEP) && r.batch() == 1) // the cost is one row's
                .sorted(java.util.Comparator.comparing(Summary.Row::strategy).thenComparingInt(Summary.Row::length))
                .forEach(r -> {
                    Cost c = shape.stepBenchmarkCost(r.length());
                    double limitMs = c.seconds(limits) * 1e3;
                    // The limit is computed, not sampled: the multiple's interval is the measurement's own.
                    double rel = r.errorMs() / r.msPerOp();
                    String multiple = Double.isFinite(rel) ? String.format(Locale.ROOT, "%.1fx ±%.0f%%", r.msPerToken() / limitMs,
                            100 * rel) : "undecided";
                    s.append(String.format(Locale.ROOT, "%-21s %8d %12.4f %12.1f %12.4f %9s %14s%n", r.strategy(),
                            r.length(), r.msPerToken(), c.bytes() / 1e6, limitMs, c.bound(limits), multiple));
                });
        return s.toString();
    }

    /** The mean valid length over a StepBenchmark operation, whose steps end at position {@code context}. */
    public static double meanContext(int context) {
        return context - (BenchmarkContract.STEP_BENCHMARK_STEPS - 1) / 2.0;
    }
}
