package dev.kvbench.cli;

import dev.kvbench.verify.StrategyCheck;
import dev.kvbench.derive.GraphQuantizer;
import dev.kvbench.derive.VariantDeriver;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Writes q4, q8 or fp16 graphs of an fp32 export in ONNX Runtime's formats, compared with fp32 before they are moved in. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write a dtype's graphs beside an fp32 export in ONNX Runtime's own formats, every graph of the "
                + "model: q4 = MatMulNBits (4-bit blocks, round to nearest), q8 = quantize_dynamic's pattern "
                + "(DynamicQuantizeLinear + MatMulInteger, uint8 weights per tensor), fp16 = every float tensor, input and "
                + "output float16 (values beyond its range clipped), q4f16 = fp16 plus q4's weights. Named as transformers.js names them "
                + "(model_q4.onnx, decoder_model_merged_quantized.onnx), so --dtype finds them; q4 and q8 share the "
                + "weights that stay float with the export's file. Each new graph is compared with fp32 (greedy tokens kept, "
                + "max |dlogit|, perplexity) and the comparison printed. Never overwrites. Needs Python 3 with the onnx "
                + "package (Debian: python3-onnx).")
final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "The fp32 export's folder (graphs in it or in onnx/).")
    Path model;

    @Option(names = "--dtype", required = true, converter = DtypeOption.PerGraph.class, paramLabel = "DTYPE",
            description = "q4, q8, fp16 or q4f16; or one graph's of an encoder-decoder model, the other staying the "
                    + "export's: encoder=fp32,decoder=q4 (only the decoder graphs written) or encoder=q4,decoder=fp32.")
    GraphDtypes graphs;

    @Option(names = "--block-size", defaultValue = "32", description = "q4: weights per scale along K, a power of 2 in "
            + "16..256, the largest ONNX Runtime 1.29 loads (default: ${DEFAULT-VALUE}).")
    int blockSize;

    @Option(names = "--accuracy-level", defaultValue = "0", description = "q4: MatMulNBits accuracy_level, 0 (fp32 "
            + "compute of the activations) or 4 (int8 compute, ONNX Runtime GenAI's CPU default; default: ${DEFAULT-VALUE}).")
    int accuracyLevel;

    @Option(names = "--zero-points", description = "q4: asymmetric blocks with packed zero points (default: symmetric, "
            + "zero point 8, as ONNX Runtime's quantizer writes with is_symmetric).")
    boolean zeroPoints;

    @Option(names = "--out", description = "Write a new folder holding the export's files (hard links) and the new "
            + "graphs, instead of adding them beside the export; must be new or empty.")
    Path out;

    @Option(names = "--steps", defaultValue = "16", description = "Decoding steps per prompt in the comparison with "
            + "fp32, 1..4096 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--python", description = "The Python 3 to run the rewrite with (default: $KVBENCH_PYTHON, else "
            + "python3 or /usr/bin/python3, whichever has onnx).")
    String python;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Cli.checkStepsAndTolerance(model, steps, 0);
        Dtype dtype = GraphQuantizer.written(graphs);
        if (dtype != Dtype.Q4 && dtype != Dtype.Q4F16) {
            for (String q4Only : List.of("--block-size", "--accuracy-level", "--zero-points")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(q4Only)) {
                    throw new dev.kvbench.KvbenchException(q4Only + " is a q4 and q4f16 setting; it does nothing with --dtype "
                            + dtype);
                }
            }
        }
        GraphQuantizer.Settings settings = new GraphQuantizer.Settings(dtype, blockSize, accuracyLevel, zeroPoints);
        PrintWriter err = spec.commandLine().getErr();
        GraphQuantizer.Quantized q = GraphQuantizer.quantize(model, out != null ? out : model, settings, graphs, steps, python,
                line -> {
                    err.println("quantize: " + line);
                    err.flush();
                });
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "quantize: %d %s as %s; wrote %s into %s (new tensors %s%s)%n", q.matmuls(),
                dtype == Dtype.FP16 ? "float tensors" : "MatMuls", settings.describe(), String.join(", ", q.written()),
                q.folder(), VariantDeriver.megabytes(q.newBytes()),
                dtype.float16Io() ? "" : "; float weights shared with the export");
        o.printf(Locale.ROOT, "against fp32 (%d prompt(s) x %d steps, fed fp32 no-cache's greedy tokens):%n",
                q.accuracy().texts(), steps);
        for (StrategyCheck.Outcome c : q.accuracy().outcomes()) {
            o.printf(Locale.ROOT, "  %-10s greedy tokens kept %5.1f%%, max |dlogit| %.3g%n", c.strategy().id(),
                    100 * c.tokenAgreement(), c.maxAbsDiff());
        }
        o.printf(Locale.ROOT, "  perplexity of fp32's continuations of the prompts: %s %.4f, fp32 %.4f (%+.2f%%)%n", graphs,
                q.accuracy().perplexity(), q.accuracy().againstPerplexity(), 100 * q.accuracy().relativePerplexityDelta());
        if (graphs.uniform()) {
            o.printf("next: kvbench derive --model %s --dtype %s; kvbench check --model %s --dtype %s%n", q.folder(), dtype,
                    q.folder(), dtype);
        } else {
            o.printf("next: kvbench check --model %s --dtype %s --against fp32%n", q.folder(), graphs);
        }
        o.flush();
        return 0;
    }
}
