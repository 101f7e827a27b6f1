package dev.kvbench.derive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.verify.DtypeAccuracy;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.verify.StrategyCheck;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code kvbench quantize}: writes a dtype's graphs beside an fp32 export in ONNX Runtime's own formats (q4:
 * MatMulNBits; q8: quantize_dynamic's MatMulInteger pattern; fp16: float16 tensors and I/O), every graph of the export (encoder and decoders), named
 * as transformers.js names them ({@code model_q4.onnx}, {@code decoder_model_merged_quantized.onnx}), the new tensors in
 * one {@code weights_<suffix>.onnx_data} and (q4, q8) every weight that stays float read from the export's own file. The
 * rewrite is {@code kvquantize.py}; the new graphs are then compared with the fp32 export ({@link DtypeAccuracy}) in
 * the work folder, and moved into place, never over an existing file.
 */
public final class GraphQuantizer {
    /** Dtypes {@code quantize} writes. */
    public static final List<Dtype> WRITES = List.of(Dtype.Q4, Dtype.Q8, Dtype.FP16, Dtype.Q4F16);
    private static final String SCRIPT = "kvquantize.py";
    /**
     * The largest q4 block ONNX Runtime 1.29's CPU MatMulNBits loads: its contrib-op docs allow powers of 2 up to
     * 4096, but a larger block fails at session creation.
     */
    public static final int MAX_BLOCK_SIZE = 256;

    /** How to quantize: q4's block size and accuracy level, symmetric or with zero points. */
    public record Settings(Dtype dtype, int blockSize, int accuracyLevel, boolean zeroPoints) {
        public Settings {
            if (!WRITES.contains(dtype)) {
                throw new KvbenchException("quantize writes " + String.join(", ", WRITES.stream().map(Dtype::id).toList())
                        + " graphs; " + dtype + " is not written by kvbench (use ONNX Runtime's own tools)");
            }
            if (blockSize < 16 || Integer.bitCount(blockSize) != 1 || blockSize > MAX_BLOCK_SIZE) {
                throw new KvbenchException("--block-size must be a power of 2 in 16.." + MAX_BLOCK_SIZE + " (the largest "
                        + "MatMulNBits block ONNX Runtime " + OrtRuntime.version() + " loads), got "
                        + blockSize);
            }
            if (accuracyLevel != 0 && accuracyLevel != 4) {
                throw new KvbenchException("--accuracy-level must be 0 (fp32 compute) or 4 (int8 compute), got " + accuracyLevel);
            }
            if (dtype != Dtype.Q4 && dtype != Dtype.Q4F16 && (blockSize != 32 || accuracyLevel != 0 || zeroPoints)) {
                throw new KvbenchException("--block-size, --accuracy-level and --zero-points are q4's settings; "
                        + (dtype == Dtype.Q8 ? "q8 is per tensor, without them" : "fp16 has none"));
            }
        }

        /** The settings in words, for the output and the README. */
        public String describe() {
            return switch (dtype) {
                case Q4 -> String.format(Locale.ROOT, "MatMulNBits 4-bit, block %d, %s, accuracy level %d", blockSize,
                        zeroPoints ? "asymmetric with zero points" : "symmetric (zero point 8)", accuracyLevel);
                case FP16 -> "float16 tensors, inputs and outputs, values beyond +-65504 clipped";
                case Q4F16 -> String.format(Locale.ROOT, "float16 tensors, inputs and outputs, then MatMulNBits 4-bit with "
                        + "float16 scales, block %d, %s, accuracy level %d", blockSize,
                        zeroPoints ? "asymmetric with zero points" : "symmetric (zero point 8)", accuracyLevel);
                default -> "DynamicQuantizeLinear + MatMulInteger, uint8 weights per tensor";
            };
        }
    }

    /** What was written, and each new graph's accuracy against fp32. */
    public record Quantized(Path folder, List<String> written, int matmuls, long newBytes, DtypeAccuracy.Result accuracy) {
    }

    private GraphQuantizer() {
    }

    /**
     * The dtype {@code quantize} writes for {@code graphs}: the one dtype, or a dtype per graph with one side fp32 (the
     * export's own graphs), the other the dtype written; anything else is one line.
     */
    public static Dtype written(GraphDtypes graphs) {
        if (graphs.uniform()) {
            return graphs.decoder();
        }
        if (graphs.encoder() != Dtype.FP32 && graphs.decoder() != Dtype.FP32) {
            throw new KvbenchException("quantize writes one dtype at a time from the fp32 export: --dtype " + graphs
                    + " needs two runs (--dtype encoder=" + graphs.encoder() + ",decoder=fp32, then --dtype "
                    + "encoder=fp32,decoder=" + graphs.decoder() + ")");
        }
        return graphs.encoder() == Dtype.FP32 ? graphs.decoder() : graphs.encoder();
    }

    /** Every graph of the export in {@code settings}' dtype. */
    public static Quantized quantize(Path source, Path out, Settings settings, int steps, String python,
                                     Consumer<String> progress) {
        return quantize(source, out, settings, GraphDtypes.of(settings.dtype()), steps, python, progress);
    }

    /**
     * The export's graphs that {@code graphs} gives {@code settings}' dtype (all of them, or with a dtype per graph the
     * encoder's or the decoders'), compared with fp32 as {@code graphs}.
     */
    public static Quantized quantize(Path source, Path out, Settings settings, GraphDtypes graphs, int steps, String python,
                                     Consumer<String> progress) {
        source = source.toAbsolutePath().normalize();
        out = out.toAbsolutePath().normalize();
        Dtype dtype = settings.dtype();
        if (written(graphs) != dtype) {
            throw new IllegalArgumentException(graphs + " does not write " + dtype);
        }
        Layout layout = Layout.detect(source, Dtype.FP32);
        graphs.requireEncoderFor(layout.encoderDecoder(), source);
        List<String> sources = new ArrayList<>();
        for (String g : List.of(Layout.ENCODER, Layout.SINGLE, Layout.DECODER, Layout.DECODER_WITH_PAST, Layout.MERGED)) {
            boolean wanted = (g.equals(Layout.ENCODER) ? graphs.encoder() : graphs.decoder()) == dtype;
            if (wanted && java.nio.file.Files.isRegularFile(layout.graph(g))) {
                sources.add(g);
            }
        }
        String weights = "weights" + dtype.suffix() + ".onnx_data";
        List<String> outputs = new ArrayList<>(sources.stream().map(dtype::file).toList());
        outputs.add(weights);
        // Static variants of an earlier graph of this dtype would not match the new one: beside the export they are
        // refused like the graphs themselves, and a new folder does not get them.
        List<String> guarded = new ArrayList<>(outputs);
        guarded.addAll(VariantDeriver.outputs(dtype));
        // The export must open before anything is written: a truncated weights file is the user's, named as such.
        new Engine(source, Strategy.NO_CACHE, EngineOptions.defaults()).close();
        String interpreter = OnnxPython.find(python);
        try (WorkFolder folder = WorkFolder.open(source, out, layout, guarded, "quantize")) {
            try {
                List<String> args = new ArrayList<>(List.of("--dtype", dtype.id(), "--out", folder.graphs().toString(),
                        "--weights-file", weights, "--block-size", String.valueOf(settings.blockSize()),
                        "--accuracy-level", String.valueOf(settings.accuracyLevel())));
                if (settings.zeroPoints()) {
                    args.add("--zero-points");
                }
                for (String g : sources) {
                    args.add(g + "=" + dtype.file(g));
                }
                progress.accept("[1/2] writing " + String.join(", ", outputs) + " (" + settings.describe() + ") ...");
                JsonNode made = OnnxPython.run(interpreter, SCRIPT, folder.path(), args);
                int matmuls = 0;
                for (JsonNode g : made.path("graphs")) {
                    matmuls += g.path(dtype == Dtype.FP16 ? "tensors" : "matmuls").asInt();
                }
                List<StrategyCheck.Prompt> prompts = StrategyCheck.prompts(folder.path());
                progress.accept(String.format(Locale.ROOT, "[2/2] comparing them with fp32: %d prompt(s) x %d steps ...",
                        prompts.size(), steps));
                EngineOptions fp32 = EngineOptions.defaults();
                DtypeAccuracy.Result accuracy = DtypeAccuracy.measure(folder.path(), prompts, steps, fp32.withDtypes(graphs),
                        fp32, List.of(Strategy.NO_CACHE, StrategyRoles.reference()));
                List<String> written = folder.commit(outputs);
                return new Quantized(out, written, matmuls, made.path("weights_bytes").asLong(), accuracy);
            } catch (KvbenchException e) {
                throw new KvbenchException("quantize: " + folder.userPaths(e.getMessage()), e);
            }
        } catch (IOException e) {
            throw new KvbenchException("cannot write the quantized graphs into " + out + ": " + e.getMessage());
        }
    }
}
