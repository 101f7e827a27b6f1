package dev.kvbench.cli;

import dev.kvbench.decode.StrategyCheck;
import dev.kvbench.derive.VariantDeriver;
import dev.kvbench.model.Dtype;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Adds the static strategies' variant graphs to an export, checked against it before they are written. */
@Command(name = "derive", mixinStandardHelpOptions = true,
        description = "Write the static strategies' graphs for an Optimum export, sharing its weights: model_static.onnx "
                + "and model_gqa.onnx for a decoder-only model (Llama, Qwen2, Mistral-style), decoder_model_static.onnx for "
                + "an encoder-decoder one (Marian). Each variant "
                + "passes onnx.checker and its logits are compared with the export's (as `check` does) before anything is "
                + "written. Needs Python 3 with the onnx package (Debian: python3-onnx). Exit 1 when a variant disagrees, "
                + "2 for an export whose attention is not recognized (one line naming the layer and node).")
final class DeriveCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "The export's folder (model.onnx, config.json).")
    Path model;

    @Option(names = "--dtype", defaultValue = "fp32", converter = DtypeOption.class, paramLabel = "DTYPE",
            description = "Which of the folder's graphs to derive from: " + DtypeOption.CHOICES + " (the variants get "
                    + "the dtype's suffix too; default: ${DEFAULT-VALUE}).")
    Dtype dtype;

    @Option(names = "--out", description = "Write a new folder holding the export's files (hard links, no copy) and the "
            + "variants, instead of adding them beside the export; must be new or empty.")
    Path out;

    @Option(names = "--steps", defaultValue = "8", description = "Decoding steps per prompt in the logits comparison, "
            + "1..4096 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--tolerance", defaultValue = "1e-3", description = "Largest absolute logit difference accepted, "
            + ">= 0 (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--python", description = "The Python 3 to run the graph rewrite with (default: $KVBENCH_PYTHON, "
            + "else python3 or /usr/bin/python3, whichever has onnx).")
    String python;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Cli.checkStepsAndTolerance(model, steps, tolerance);
        Path target = out != null ? out : model;
        PrintWriter err = spec.commandLine().getErr();
        VariantDeriver.Derived d = VariantDeriver.derive(model, target, dtype, steps, tolerance, python, line -> {
            err.println("derive: " + line);
            err.flush();
        });
        PrintWriter o = spec.commandLine().getOut();
        o.print(d.checkLines(d.reference() == dev.kvbench.decode.Strategy.NO_CACHE ? "the export"
                : "the export's " + d.reference() + " (dynamic activation quantization: compared with what feeds the "
                + "same positions)", steps));
        if (d.written().isEmpty()) {
            o.println("nothing written: a derived variant does not reproduce the export (run `kvbench check` on the export "
                    + "itself first; report the model if it passes there)");
            o.flush();
            return Cli.CHECK_FAILED;
        }
        o.printf(Locale.ROOT, "derive: %d layers; wrote %s into %s%n", d.layers(), String.join(", ", d.written()), d.folder());
        o.println("weights: " + weights(d, out != null));
        String dt = dtype == Dtype.FP32 ? "" : " --dtype " + dtype;
        o.printf("next: kvbench check --model %s%s; kvbench bench --model %s%s%n", d.folder(), dt, d.folder(), dt);
        o.flush();
        return 0;
    }

    /** How the variants got their weights, as one line: shared, hard-linked, copied, new. */
    static String weights(VariantDeriver.Derived d, boolean newFolder) {
        List<String> parts = new java.util.ArrayList<>();
        if (!d.sharedFiles().isEmpty()) {
            String files = String.join(", ", d.sharedFiles());
            parts.add(newFolder && d.exportCopiedBytes() > 0 ? "the variants share " + files + " with the export's files in "
                    + d.folder() : "shared with the export (" + files + ", not copied)");
        }
        if (newFolder && d.linkedBytes() > 0) {
            parts.add("export files hard-linked (" + VariantDeriver.megabytes(d.linkedBytes()) + ", no second copy)");
        }
        if (d.exportCopiedBytes() > 0) {
            parts.add("export files copied (" + VariantDeriver.megabytes(d.exportCopiedBytes()) + ": hard links are "
                    + "impossible there, e.g. another filesystem)");
        }
        if (d.newBytes() > 0) {
            parts.add("new bytes written: " + VariantDeriver.megabytes(d.newBytes())
                    + " (rotary caches, and any weights the export kept inside its graph)");
        }
        return String.join("; ", parts);
    }
}
