package dev.kvbench.cli;

import dev.kvbench.decode.Strategy;
import dev.kvbench.derive.KvCalibration;
import dev.kvbench.model.ModelConfig;
import dev.kvbench.tokenizer.TextTokenizer;
import dev.kvbench.verify.StrategyCheck;
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
        description = "Write the static strategies' graphs for an Optimum export, sharing its weights: for a "
                + "decoder-only model (Llama, Qwen2, Mistral-style) model_static.onnx, model_gqa.onnx and, with 8-bit "
                + "and 4-bit caches, model_gqa_kv8.onnx and model_gqa_kv4.onnx, their scales from a calibration pass "
                + "(recorded beside each as a .calibration.json); "
                + "decoder_model_static.onnx for an encoder-decoder one (Marian). Each variant "
                + "is checked by onnx.checker, and its logits are compared with the export's as `check` does (a quantized "
                + "cache is held to its accuracy bounds, a 4-bit one beyond them left out) before anything is "
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

    @Option(names = "--cache-scales", defaultValue = "per-channel", paramLabel = "per-channel|per-tensor",
            description = "Scales of the quantized-cache variants (model_gqa_kv8.onnx, model_gqa_kv4.onnx): one per KV head "
                    + "and channel, or one per layer's keys and values (default: ${DEFAULT-VALUE}).")
    String cacheScales;

    @Option(names = "--calibration-file", paramLabel = "FILE", description = "Calibration prompts for the quantized "
            + "caches, one per line: text (tokenized, BOS first) or comma-separated token ids (default: the folder's "
            + "golden.json prompts, else built-in ones).")
    Path calibrationFile;

    @Option(names = "--no-quantized-cache", description = "Write the variants without the quantized-cache ones.")
    boolean noQuantizedCache;

    @Option(names = "--quantized-cache-only", description = "Add only the quantized-cache variants, from the folder's "
            + "model_gqa.onnx (a folder derived before).")
    boolean quantizedCacheOnly;

    @Option(names = "--python", description = "The Python 3 to run the graph rewrite with (default: $KVBENCH_PYTHON, "
            + "else python3 or /usr/bin/python3, whichever has onnx).")
    String python;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Cli.checkStepsAndTolerance(model, steps, tolerance);
        if (noQuantizedCache && quantizedCacheOnly) {
            throw new dev.kvbench.KvbenchException("--no-quantized-cache and --quantized-cache-only contradict each other");
        }
        KvCalibration.Granularity granularity = KvCalibration.Granularity.parse(cacheScales);
        if (noQuantizedCache && (calibrationFile != null || spec.commandLine().getParseResult().hasMatchedOption("--cache-scales"))) {
            throw new dev.kvbench.KvbenchException("--calibration-file and --cache-scales set the quantized caches, which "
                    + "--no-quantized-cache leaves out");
        }
        if (ModelConfig.read(model).encoderDecoder() && (calibrationFile != null
                || spec.commandLine().getParseResult().hasMatchedOption("--cache-scales"))) {
            throw new dev.kvbench.KvbenchException("--calibration-file and --cache-scales set the quantized caches, which "
                    + "an encoder-decoder model has none of (they are GroupQueryAttention graphs, decoder-only)");
        }
        VariantDeriver.QuantizedCaches quantized = noQuantizedCache ? VariantDeriver.QuantizedCaches.NONE
                : new VariantDeriver.QuantizedCaches(true, granularity, calibrationFile == null ? null : calibrationPrompts(),
                calibrationFile == null ? null : calibrationFile.toString());
        Path target = out != null ? out : model;
        PrintWriter err = spec.commandLine().getErr();
        java.util.function.Consumer<String> progress = line -> {
            err.println("derive: " + line);
            err.flush();
        };
        VariantDeriver.Derived d = quantizedCacheOnly
                ? VariantDeriver.deriveQuantizedCaches(model, target, dtype, steps, tolerance, python, quantized, progress)
                : VariantDeriver.derive(model, target, dtype, steps, tolerance, python, quantized, progress);
        PrintWriter o = spec.commandLine().getOut();
        o.print(d.checkLines(d.reference() == Strategy.NO_CACHE ? "the export"
                : "the export's " + d.reference() + " (dynamic activation quantization: compared with what feeds the "
                + "same positions)", steps));
        if (d.written().isEmpty()) {
            boolean int8Failed = d.checks().stream().anyMatch(c -> c.strategy() == Strategy.STATIC_GQA_INT8
                    && !VariantDeriver.withinBounds(c));
            o.println(int8Failed ? "nothing written: the int8 cache is beyond its accuracy bounds (above); try another "
                    + "--calibration-file or --cache-scales, or leave the quantized caches out with --no-quantized-cache"
                    : "nothing written: a derived variant does not reproduce the export (run `kvbench check` on the export "
                    + "itself first; report the model if it passes there)");
            o.flush();
            return Cli.CHECK_FAILED;
        }
        o.printf(Locale.ROOT, "derive: %d layers; wrote %s into %s%n", d.layers(), String.join(", ", d.written()), d.folder());
        for (StrategyCheck.Outcome c : d.checks()) {
            if (c.strategy().quantizedCache() && !VariantDeriver.withinBounds(c)) {
                o.printf("left out: %s, its %d-bit cache beyond its accuracy bounds on this model (above)%n",
                        c.strategy().variant().fileIn(d.layout()), c.strategy().variant().cacheBits());
            }
        }
        o.println("weights: " + weights(d, out != null));
        String dt = dtype == Dtype.FP32 ? "" : " --dtype " + dtype;
        o.printf("next: kvbench check --model %s%s; kvbench bench --model %s%s%n", d.folder(), dt, d.folder(), dt);
        o.flush();
        return 0;
    }

    /**
     * {@code --calibration-file}: one prompt per line, comma-separated ids as given, text tokenized with the folder's
     * tokenizer (BOS first where the model has one), checked before any work.
     */
    private java.util.List<StrategyCheck.Prompt> calibrationPrompts() {
        InputFile f = InputFile.read(calibrationFile, "--calibration-file");
        ModelConfig config = ModelConfig.read(model);
        int firstText = java.util.stream.IntStream.range(0, f.lines().size())
                .filter(i -> !IDS.matcher(f.lines().get(i)).matches()).findFirst().orElse(-1);
        boolean anyText = firstText >= 0;
        if (anyText && !java.nio.file.Files.isRegularFile(model.resolve("tokenizer.json"))) {
            throw new dev.kvbench.KvbenchException(f.where(firstText) + " is text, and " + model + " has no tokenizer.json: "
                    + "write the calibration prompts as comma-separated token ids");
        }
        try (TextTokenizer tokenizer = anyText
                ? TextTokenizer.load(model, config.vocabSize()) : null) {
            java.util.List<long[]> ids = f.parse(line -> {
                if (IDS.matcher(line).matches()) {
                    return ModelOptions.parseIds(line);
                }
                long[] text = tokenizer.encode(line);
                if (text.length == 0) {
                    throw new dev.kvbench.KvbenchException("empty prompt");
                }
                if (config.bosTokenId() < 0) {
                    return text;
                }
                long[] withBos = new long[text.length + 1];
                withBos[0] = config.bosTokenId();
                System.arraycopy(text, 0, withBos, 1, text.length);
                return withBos;
            });
            java.util.List<StrategyCheck.Prompt> prompts = new java.util.ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                prompts.add(new StrategyCheck.Prompt(f.where(i), ids.get(i)));
            }
            return prompts;
        }
    }

    /** A line of token ids: digits, commas, blanks and signs only (a sign makes a bad id, refused as one, never text). */
    private static final java.util.regex.Pattern IDS = java.util.regex.Pattern.compile("[\\d\\s,+-]*\\d[\\d\\s,+-]*");

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
        return parts.isEmpty() ? "read in place: the quantized-cache graphs point at model_gqa's weight files (they add "
                + "only their scales)" : String.join("; ", parts);
    }
}
