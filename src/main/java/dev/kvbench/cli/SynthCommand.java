package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.derive.ModelSynthesizer;
import dev.kvbench.support.AtomicFiles;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import dev.kvbench.derive.GraphQuantizer;
import dev.kvbench.model.Dtype;
import java.util.List;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** A model folder with random weights at a real architecture's shapes: "which strategy, at my model's size?" offline. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a model folder in the Optimum layout with deterministic random weights at the shapes of a "
                + "real configuration (speed does not depend on the weights' values), plus its static variants "
                + "(kvbench derive's code, checked against it). No tokenizer: drive it with token ids. Needs Python 3 "
                + "with the onnx package (Debian: python3-onnx).")
final class SynthCommand implements Callable<Integer> {
    /** Steps per prompt of the variants' logits check (derive's default). */
    static final int CHECK_STEPS = 8;

    static final class Source {
        @Option(names = "--like", description = "A built-in configuration: ${COMPLETION-CANDIDATES}.",
                completionCandidates = ModelSynthesizer.BuiltIn.class)
        String like;

        @Option(names = "--config", description = "A Hugging Face config.json (Llama, Qwen2, Mistral or Marian style).")
        Path config;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--out", required = true, description = "The new folder (must be new or empty).")
    Path out;

    @Option(names = "--layers", description = "Trim the depth to N layers (each of encoder and decoder), 1 to the architecture's depth, for quick runs.")
    Integer layers;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random weights, >= 0 (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dtypes", split = ",", converter = DtypeOption.class, paramLabel = "DTYPE[,DTYPE...]",
            description = "Also write these dtypes' graphs with `quantize` (q4, q8, fp16), and their static variants with "
                    + "`derive --dtype`, each checked (default: fp32 only).")
    List<Dtype> dtypes;

    @Option(names = "--accuracy-level", defaultValue = "0", description = "With --dtypes q4: MatMulNBits accuracy_level, "
            + "0 or 4 (default: ${DEFAULT-VALUE}).")
    int accuracyLevel;

    @Option(names = "--python", description = "The Python 3 with onnx to use (default: $KVBENCH_PYTHON, else python3 "
            + "or /usr/bin/python3).")
    String python;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (source.like != null && !ModelSynthesizer.BUILT_IN.contains(source.like)) {
            throw new KvbenchException("--like " + source.like + " is not a built-in configuration (" + String.join(", ",
                    ModelSynthesizer.BUILT_IN) + "); --config takes any Llama/Qwen2/Mistral/Marian config.json");
        }
        if (layers != null && layers < 1) {
            throw new KvbenchException("--layers must be at least 1, got " + layers);
        }
        if (seed < 0) {
            throw new KvbenchException("--seed must be >= 0, got " + seed);
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--accuracy-level")
                && (dtypes == null || !dtypes.contains(Dtype.Q4))) {
            throw new KvbenchException("--accuracy-level sets the q4 graphs' MatMulNBits; it does nothing without q4 in --dtypes");
        }
        List<GraphQuantizer.Settings> quantized = new java.util.ArrayList<>();
        for (Dtype d : dtypes == null ? List.<Dtype>of() : new java.util.LinkedHashSet<>(dtypes)) {
            quantized.add(new GraphQuantizer.Settings(d, 32, d == Dtype.Q4 ? accuracyLevel : 0, false));
        }
        AtomicFiles.checkNewOrEmptyFolder(out);
        PrintWriter o = spec.commandLine().getOut();
        ModelSynthesizer synth = new ModelSynthesizer(source.like, source.config, layers, seed, python);
        JsonNode plan = synth.plan();
        o.printf(Locale.ROOT, "synth %s: %,d parameters, fp32: writes %s to %s; running it needs about %s of memory%n",
                synth.name(), plan.path("parameters").asLong(), gb(plan.path("disk_bytes").asLong()), out,
                gb(plan.path("memory_bytes").asLong()));
        plan.path("notes").forEach(n -> o.println("  note: " + n.asText()));
        o.println("  no tokenizer: the folder is driven by token ids (bench, check, score and generate --prompt-ids)");
        o.flush();
        PrintWriter err = spec.commandLine().getErr();
        ModelSynthesizer.Result r = synth.write(out, CHECK_STEPS, 1e-3, quantized, line -> {
            err.println("synth: " + line);
            err.flush();
        });
        o.print(r.derived().checkLines("the synthesized export", CHECK_STEPS));
        if (r.derived().written().isEmpty()) {
            o.println("nothing written: a derived variant disagrees with the synthesized export");
            o.flush();
            return Cli.CHECK_FAILED;
        }
        for (ModelSynthesizer.DtypeGraphs d : r.dtypes()) {
            GraphQuantizer.Quantized g = d.graphs();
            o.printf(Locale.ROOT, "%s: %s (%s; %s of new tensors); against fp32: %s%n", d.derived().layout().dtype(),
                    String.join(", ", g.written()), quantized.get(r.dtypes().indexOf(d)).describe(), gb(g.newBytes()),
                    g.accuracy().outcomes().stream()
                            .map(c -> String.format(Locale.ROOT, "%s %.1f%% of greedy tokens kept, max |dlogit| %.3g",
                                    c.strategy(), 100 * c.tokenAgreement(), c.maxAbsDiff()))
                            .collect(java.util.stream.Collectors.joining("; ")));
            o.print(d.derived().checkLines("the " + d.derived().layout().dtype() + " graph's " + d.derived().reference(),
                    CHECK_STEPS));
            if (d.derived().written().isEmpty()) {
                o.println("nothing written: a derived " + d.derived().layout().dtype() + " variant disagrees with its graph");
                o.flush();
                return Cli.CHECK_FAILED;
            }
        }
        o.printf(Locale.ROOT, "wrote %s (%s of weights in model.onnx_data; variants: %s) in %.0f s%n", out,
                gb(r.weightBytes()), String.join(", ", r.derived().written()), r.seconds());
        String dt = quantized.isEmpty() ? "" : " --dtypes fp32," + quantized.stream().map(q -> q.dtype().id())
                .collect(java.util.stream.Collectors.joining(","));
        o.printf("next: kvbench check --model %s; kvbench bench --model %s%s%n", out, out, dt);
        o.flush();
        return 0;
    }

    private static String gb(long bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.0f MB", bytes / 1e6);
    }
}
