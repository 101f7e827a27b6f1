package dev.kvbench.model;

import dev.kvbench.KvbenchException;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Which of a folder's graphs to run: the weight (and I/O) type a model was exported or quantized to, named as
 * transformers.js names it and found by the file-name suffix onnx-community folders and Optimum's quantizer use
 * ({@code model.onnx}, {@code model_fp16.onnx}, {@code model_quantized.onnx}, {@code model_q4.onnx}, ...).
 */
public enum Dtype {
    FP32("", false, "float32 weights and inputs/outputs (the export itself)"),
    FP16("_fp16", true, "float16 weights, inputs and outputs"),
    Q8("_quantized", false, "8-bit weights, activations quantized per tensor at run time (quantize_dynamic)"),
    INT8("_int8", false, "int8 weights (quantize_dynamic, signed)"),
    UINT8("_uint8", false, "uint8 weights (quantize_dynamic, unsigned)"),
    Q4("_q4", false, "4-bit weights in blocks (MatMulNBits), float32 inputs/outputs"),
    Q4F16("_q4f16", true, "4-bit weights (MatMulNBits), float16 inputs/outputs"),
    BNB4("_bnb4", false, "4-bit bitsandbytes weights (MatMulBnb4)");

    private final String suffix;
    private final boolean float16Io;
    private final String description;

    Dtype(String suffix, boolean float16Io, String description) {
        this.suffix = suffix;
        this.float16Io = float16Io;
        this.description = description;
    }

    /** The id users type: fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The file-name suffix before {@code .onnx}: empty for fp32, {@code _quantized} for q8, {@code _q4} for q4, ... */
    public String suffix() {
        return suffix;
    }

    /** Whether the graph's inputs and outputs (pasts, presents, logits) are float16. */
    public boolean float16Io() {
        return float16Io;
    }

    public String description() {
        return description;
    }

    /** This dtype's file of a graph named for fp32: {@code model.onnx} becomes {@code model_q4.onnx} for q4. */
    public String file(String fp32Name) {
        if (!fp32Name.endsWith(".onnx")) {
            throw new IllegalArgumentException(fp32Name);
        }
        return fp32Name.substring(0, fp32Name.length() - ".onnx".length()) + suffix + ".onnx";
    }

    /** Ops whose presence says a graph's weights are 8-bit (quantize_dynamic and its fused forms). */
    private static final List<String> EIGHT_BIT_OPS = List.of("MatMulInteger", "DynamicQuantizeLinear",
            "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QLinearMatMul", "QGemm");

    /**
     * The dtype a graph is, as far as its nodes and logits tell: MatMulNBits nodes make it q4 (q4f16 with float16
     * logits), MatMulBnb4 bnb4, quantize_dynamic's integer MatMuls q8, none of them fp32 (fp16 with float16 logits).
     * q8, int8 and uint8 are one family here: their graphs differ only in the weights' signedness.
     */
    static Dtype seenIn(GraphNodes.Graph graph, boolean float16Logits) {
        if (graph.has("MatMulNBits")) {
            return float16Logits ? Q4F16 : Q4;
        }
        if (graph.has("MatMulBnb4")) {
            return BNB4;
        }
        if (EIGHT_BIT_OPS.stream().anyMatch(graph::has)) {
            return Q8;
        }
        return float16Logits ? FP16 : FP32;
    }

    private Dtype family() {
        return this == INT8 || this == UINT8 ? Q8 : this;
    }

    /**
     * Refuses a graph file that is not what its name (this dtype's suffix) says: an fp32 graph saved as
     * {@code model_q4f16.onnx} would otherwise run, and be reported, as q4f16.
     */
    void requireSeenIn(GraphNodes.Graph graph, boolean float16Logits, String file) {
        Dtype seen = seenIn(graph, float16Logits);
        if (seen.family() != family()) {
            throw new KvbenchException(file + " is named as " + id() + " (" + description + "), but its graph is "
                    + (seen == Q8 ? "8-bit" : seen.id()) + " (" + seen.description + "): the file is misnamed");
        }
    }

    public static Dtype parse(String id) {
        for (Dtype d : values()) {
            if (d.id().equals(id.trim().toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new KvbenchException("unknown dtype '" + id + "' (one of: " + String.join(", ", ids()) + ")");
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(Dtype::id).toList();
    }

    @Override
    public String toString() {
        return id();
    }
}
