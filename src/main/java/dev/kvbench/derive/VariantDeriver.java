package dev.kvbench.derive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphNodes;
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.verify.StrategyCheck;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code kvbench derive}: writes the static strategies' variant graphs for an Optimum export, so that {@code static}
 * and {@code static-gqa} run on the user's own model: {@code model_static.onnx} and {@code model_gqa.onnx} for a
 * decoder-only export, {@code decoder_model_static.onnx} for an encoder-decoder one (split or merged decoder).
 * <p>The graph surgery is {@code kvderive.py} (a resource of this package, run with Python's {@code onnx} package:
 * pattern matching and rewriting an ONNX graph is what that package is for, and its {@code onnx.checker} validates the
 * result). Everything around it is here: a work folder inside the target (same file system) holding hard links to the
 * source files, so the variants reference the source's external weights without a second copy; the variants' logits
 * compared with the source graph's in ONNX Runtime ({@link StrategyCheck}) before anything is moved into place; then
 * an atomic move of each new file, never over an existing one. On any failure the work folder is removed and the
 * target is as it was.
 */
public final class VariantDeriver {
    /** The files a derivation adds beside an fp32 export: the variants and their shared new tensors. */
    public static final List<String> OUTPUTS = outputs(Dtype.FP32);
    private static final String SCRIPT = "kvderive.py";

    /** The files a derivation of {@code dtype}'s graphs adds beside them ({@code model_gqa_q4.onnx}, ...). */
    public static List<String> outputs(Dtype dtype) {
        List<String> out = new ArrayList<>(List.of(dtype.file(Model.Variant.STATIC.file(false)),
                dtype.file(Model.Variant.STATIC_GQA.file(false)), dtype.file(Model.Variant.STATIC.file(true)),
                "variants" + dtype.suffix() + ".onnx_data"));
        out.addAll(quantizedCacheOutputs(dtype));
        return List.copyOf(out);
    }

    /**
     * The quantized-cache variants of {@code dtype}'s graphs, each followed by its calibration record
     * ({@code model_gqa_kv8_q4.onnx}, {@code model_gqa_kv8_q4.calibration.json}, then the 4-bit pair).
     */
    public static List<String> quantizedCacheOutputs(Dtype dtype) {
        List<String> out = new ArrayList<>();
        for (Model.Variant v : Model.Variant.quantizedCaches()) {
            String graph = dtype.file(v.file(false));
            out.add(graph);
            out.add(calibrationFile(graph));
        }
        return List.copyOf(out);
    }

    /** The calibration record beside a quantized-cache graph: {@code model_gqa_kv8.onnx} -> {@code model_gqa_kv8.calibration.json}. */
    public static String calibrationFile(String graph) {
        return graph.replaceAll("\\.onnx$", "") + ".calibration.json";
    }

    /**
     * Whether and how a derivation writes the quantized-cache GroupQueryAttention variants (decoder-only; 8 and 4
     * bits): the scales' granularity and the calibration prompts ({@code calibration} null: the folder's golden
     * prompts, else built-in ones; {@code source} names them).
     */
    public record QuantizedCaches(boolean enabled, KvCalibration.Granularity granularity,
                                  List<StrategyCheck.Prompt> calibration, String source) {
        /**
         * Per channel by default: a layer's key channels span different ranges (rotary pairs, outlier channels), and one
         * scale per tensor is set by the widest; measured on the bundled tiny-llama, per channel keeps the int8 cache's
         * logits 3x closer to no-cache's (max |dlogit| 0.12 against 0.37 over 12 prompts x 32 steps).
         */
        public static final QuantizedCaches DEFAULT = new QuantizedCaches(true, KvCalibration.Granularity.PER_CHANNEL, null, null);
        public static final QuantizedCaches NONE = new QuantizedCaches(false, KvCalibration.Granularity.PER_CHANNEL, null, null);
    }

    /**
     * What a derivation did: the variants' check outcomes and how the weights were shared. {@code newBytes}: bytes
     * the variants added (rotary caches, weights the export kept inside its graph); {@code linkedBytes}: export files
     * hard-linked into a new folder; {@code exportCopiedBytes}: export files copied where a link was impossible
     * (another filesystem).
     */
    public record Derived(Path folder, Layout layout, int layers, List<String> written, List<String> sharedFiles,
                          long newBytes, long linkedBytes, long exportCopiedBytes, Strategy reference,
                          List<StrategyCheck.Outcome> checks) {

        /** The same derivation, its folder moved to {@code to}. */
        public Derived movedTo(Path to) {
            return new Derived(to, Layout.detect(to, layout.dtype()), layers, written, sharedFiles, newBytes, linkedBytes,
                    exportCopiedBytes, reference, checks);
        }

        /** One line per derived variant: its file, verdict and largest logit difference against {@code against}. */
        public String checkLines(String against, int steps) {
            StringBuilder s = new StringBuilder();
            for (StrategyCheck.Outcome c : checks) {
                s.append(String.format(Locale.ROOT, "%-26s %-8s max |dlogit| %s vs %s over %d step(s) per prompt%s%n",
                        c.strategy().variant().fileIn(layout), c.verdict().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                        Double.isNaN(c.maxAbsDiff()) ? "-" : String.format(Locale.ROOT, "%.3g", c.maxAbsDiff()),
                        c.strategy().quantizedCache() ? "no-cache" : against,
                        c.strategy().quantizedCache() ? Math.max(steps, StrategyCheck.QUANTIZED_CHECK_STEPS) : steps, c.reason().isEmpty() ? "" : ": " + c.reason()));
            }
            return s.toString();
        }
    }

    private VariantDeriver() {
    }

    /**
     * Derives the variants of {@code source} into {@code out} ({@code out} equal to {@code source}: beside the export;
     * otherwise a new or empty folder that receives the source's files, hard-linked, plus the variants).
     */
    public static Derived derive(Path source, Path out, int steps, double tolerance, String python) {
        return derive(source, out, Dtype.FP32, steps, tolerance, python, line -> { });
    }

    /**
     * {@link #derive(Path, Path, int, double, String)} for {@code dtype}'s graphs (in the folder or its onnx/
     * subfolder; the variants are written beside them with the dtype's suffix), saying what it does as it goes (one
     * line per stage).
     */
    public static Derived derive(Path source, Path out, Dtype dtype, int steps, double tolerance, String python,
                                 java.util.function.Consumer<String> progress) {
        return derive(source, out, dtype, steps, tolerance, python, QuantizedCaches.DEFAULT, progress);
    }

    /** {@link #derive(Path, Path, Dtype, int, double, String, java.util.function.Consumer)} with these quantized-cache settings. */
    public static Derived derive(Path source, Path out, Dtype dtype, int steps, double tolerance, String python,
                                 QuantizedCaches quantized, java.util.function.Consumer<String> progress) {
        source = source.toAbsolutePath().normalize();
        out = out.toAbsolutePath().normalize();
        Layout layout = Layout.detect(source, dtype);
        String graph = dtype.file(graphToDerive(layout));
        List<String> outputs = outputs(dtype);
        List<Strategy> variants = layout.encoderDecoder() ? List.of(Strategy.STATIC) : List.of(Strategy.STATIC, Strategy.STATIC_GQA);
        checkBeforeWork(source, dtype, steps, layout.encoderDecoder() ? QuantizedCaches.NONE : quantized);
        String interpreter = OnnxPython.find(python);
        try (WorkFolder folder = WorkFolder.open(source, out, layout, outputs, "derive")) {
            return derive(folder, layout, graph, dtype, variants, outputs, steps, tolerance, interpreter,
                    layout.encoderDecoder() ? QuantizedCaches.NONE : quantized, progress, out);
        } catch (IOException e) {
            throw new KvbenchException("cannot write the variants into " + out + ": " + e.getMessage());
        }
    }

    private static Derived derive(WorkFolder folder, Layout layout, String graph, Dtype dtype, List<Strategy> variants,
                                  List<String> outputs, int steps, double tolerance, String interpreter,
                                  QuantizedCaches quantized, java.util.function.Consumer<String> progress, Path out)
            throws IOException {
        int stages = quantized.enabled() ? 3 : 2;
        try {
            Path work = folder.path();
            Path workGraphs = folder.graphs();
            Layout workLayout = Layout.detect(work, dtype);
            progress.accept("[1/" + stages + "] rewriting " + graph + " into " + variants.stream().map(s -> s.variant().fileIn(workLayout))
                    .collect(java.util.stream.Collectors.joining(", ")) + " ...");
            long t0 = System.nanoTime();
            JsonNode made = writeVariants(interpreter, work, workGraphs.resolve(graph), dtype);
            // A graph that quantizes its activations per tensor at run time gives other logits for the same position
            // fed alone than fed with its prefix, and rounds small kernel differences into larger ones: the variants
            // feed what the dynamic cache feeds, so they are compared with it, every greedy token equal and the logits
            // within a share of its own distance from no-cache (StrategyCheck.ROUNDING_SHARE).
            boolean dynamic = GraphNodes.dynamicActivationQuantization(
                    List.of(workGraphs.resolve(graph))) != null;
            // MatMulNBits at accuracy level 4 alone quantizes each position's activations to int8 per block: the
            // variants' other attention kernels differ from the export's by float-level amounts (1e-6) that this
            // rounding turns into steps as large as kv's own drift or larger, so no bound on the logits tells a fault
            // from it. The rewrite is checked where the rounding is off instead: every graph copied at level 0.
            boolean perPosition = dynamic && GraphNodes.onlyInt8MatMulNBits(List.of(workGraphs.resolve(graph)));
            Strategy reference = dynamic && !perPosition ? StrategyRoles.reference() : Strategy.NO_CACHE;
            List<StrategyCheck.Prompt> prompts = StrategyCheck.prompts(work);
            EngineOptions options = EngineOptions.defaults().withDtype(dtype);
            double accepted = tolerance;
            if (perPosition) {
                progress.accept(String.format(Locale.ROOT, "[2/%d] checking them against the export with every "
                        + "MatMulNBits at accuracy level 0 (at level 4 the int8 rounding of activations hides a fault): "
                        + "%d prompt(s) x %d steps (rewrite took %.0f s) ...", stages, prompts.size(), steps,
                        (System.nanoTime() - t0) / 1e9));
                List<StrategyCheck.Outcome> exact = atLevelZero(work, workGraphs, dtype, prompts, steps, tolerance,
                        variants, interpreter);
                List<StrategyCheck.Outcome> atLevel4 = StrategyCheck.run(work, prompts, steps, Double.POSITIVE_INFINITY,
                        options, StrategyRoles.reference(), variants);
                List<StrategyCheck.Outcome> described = new ArrayList<>();
                for (StrategyCheck.Outcome x : exact) {
                    double level4 = atLevel4.stream().filter(o -> o.strategy() == x.strategy())
                            .mapToDouble(StrategyCheck.Outcome::maxAbsDiff).findFirst().orElse(Double.NaN);
                    described.add(x.as(x.verdict(), (x.reason().isEmpty() ? "" : x.reason() + "; ") + String.format(
                            Locale.ROOT, "at accuracy level 0; at level 4 %.3g from the export's %s, the int8 rounding "
                            + "of the kernels' float-level differences", level4, StrategyRoles.reference())));
                }
                return finish(folder, layout, made, described, reference, quantized, work, workGraphs, dtype, prompts,
                        steps, tolerance, interpreter, progress, out, outputs);
            }
            if (dynamic) {
                accepted = StrategyCheck.roundingTolerance(tolerance, StrategyCheck.run(work, prompts, steps, tolerance,
                        options, Strategy.NO_CACHE, List.of(reference)).get(0).maxAbsDiff());
            }
            progress.accept(String.format(Locale.ROOT, "[2/%d] checking them against the export (%s%s): %d prompt(s) x %d "
                    + "steps, every strategy's logits (rewrite took %.0f s) ...", stages, reference, dynamic
                    ? String.format(Locale.ROOT, ", within %.0fx its own drift from no-cache: %.3g",
                    StrategyCheck.ROUNDING_SHARE, accepted) : "", prompts.size(),
                    steps, (System.nanoTime() - t0) / 1e9));
            List<StrategyCheck.Outcome> checks = StrategyCheck.run(work, prompts, steps, accepted, options, reference,
                    variants);
            if (dynamic) {
                double bound = accepted;
                checks = checks.stream().map(o -> StrategyCheck.withinRounding(o, bound)
                        ? o.as(StrategyCheck.Verdict.AGREES, o.firstDifference() < 0 ? "" : String.format(Locale.ROOT,
                        "within the rounding: %.1f%% of kv's greedy tokens kept", 100 * o.tokenAgreement()))
                        : o).toList();
            }
            return finish(folder, layout, made, checks, reference, quantized, work, workGraphs, dtype, prompts, steps,
                    tolerance, interpreter, progress, out, outputs);
        } catch (KvbenchException e) {
            // The work happens in a hidden folder that is deleted afterwards: name the user's files instead.
            throw new KvbenchException(folder.userPaths(e.getMessage()), e);
        }
    }

    /**
     * After the float variants' checks: nothing written if one does not agree; else the quantized caches (when asked
     * for) and the move into place.
     */
    private static Derived finish(WorkFolder folder, Layout layout, JsonNode made, List<StrategyCheck.Outcome> checks,
                                  Strategy reference, QuantizedCaches quantized, Path work, Path workGraphs, Dtype dtype,
                                  List<StrategyCheck.Prompt> prompts, int steps, double tolerance, String interpreter,
                                  java.util.function.Consumer<String> progress, Path out, List<String> outputs)
            throws IOException {
        for (StrategyCheck.Outcome o : checks) {
            if (o.verdict() != StrategyCheck.Verdict.AGREES) {
                return new Derived(out, layout, made.path("layers").asInt(), List.of(), List.of(), 0, 0, 0, reference, checks);
            }
        }
        if (quantized.enabled()) {
            progress.accept("[3/3] calibrating the quantized caches (8 and 4 bits) and checking them against no-cache ...");
            List<StrategyCheck.Outcome> lossy = quantizedCaches(work, workGraphs, dtype, quantized, prompts, steps,
                    tolerance, interpreter, progress).outcomes();
            checks = new ArrayList<>(checks);
            checks.addAll(lossy);
            if (!withinBounds(lossy.get(0))) { // the int8 cache; a 4-bit one beyond its bounds is only left out
                return new Derived(out, layout, made.path("layers").asInt(), List.of(), List.of(), 0, 0, 0, reference, checks);
            }
        }
        List<String> written = folder.commit(outputs);
        List<String> shared = new ArrayList<>();
        made.path("shared_external_files").forEach(n -> shared.add(n.asText()));
        return new Derived(out, layout, made.path("layers").asInt(), written, shared,
                made.path("inline_weights_copied_bytes").asLong(), folder.linkedBytes(), folder.copiedBytes(),
                reference, checks);
    }

    /**
     * The variants against the export (no-cache) with every graph of {@code dtype} copied at MatMulNBits accuracy level
     * 0 ({@code kvaccuracylevel.py}): the same 4-bit weights computed in float32, where the rewrite must reproduce the
     * export at {@code tolerance}. The copies live in a hidden folder inside the work folder, removed again.
     */
    private static List<StrategyCheck.Outcome> atLevelZero(Path work, Path workGraphs, Dtype dtype,
                                                           List<StrategyCheck.Prompt> prompts, int steps, double tolerance,
                                                           List<Strategy> variants, String interpreter) throws IOException {
        Path twin = work.resolve(".accuracy-level-0");
        try {
            Path twinGraphs = Files.createDirectories(twin.resolve(work.relativize(workGraphs)));
            List<String> graphs;
            try (java.util.stream.Stream<Path> files = Files.list(workGraphs)) {
                graphs = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(dtype.suffix() + ".onnx"))
                        .sorted().toList();
            }
            WorkFolder.link(work, twin, graphs);
            if (!twinGraphs.equals(twin)) {
                WorkFolder.link(workGraphs, twinGraphs, graphs);
            }
            List<String> args = new ArrayList<>(List.of("--level", "0"));
            for (String g : graphs) {
                args.add(workGraphs.resolve(g).toString());
                args.add(twinGraphs.resolve(g).toString());
            }
            OnnxPython.run(interpreter, "kvaccuracylevel.py", twin, args);
            return StrategyCheck.run(twin, prompts, steps, tolerance, EngineOptions.defaults().withDtype(dtype),
                    Strategy.NO_CACHE, variants);
        } finally {
            AtomicFiles.deleteTree(twin);
        }
    }

    /**
     * Adds only the quantized-cache variants to a decoder-only folder that has {@code model_gqa.onnx} (of
     * {@code dtype}) already: the calibration pass, the graphs, their checks against no-cache, then the move into
     * {@code out} as {@link #derive} does (never over an existing file; nothing written when the int8 cache is beyond
     * its bounds, the 4-bit one left out when it alone is).
     */
    public static Derived deriveQuantizedCaches(Path source, Path out, Dtype dtype, int steps, double tolerance,
                                                String python, QuantizedCaches quantized,
                                                java.util.function.Consumer<String> progress) {
        source = source.toAbsolutePath().normalize();
        out = out.toAbsolutePath().normalize();
        Layout layout = Layout.detect(source, dtype);
        if (layout.encoderDecoder()) {
            throw new KvbenchException("the quantized-cache variants are GroupQueryAttention graphs, decoder-only; "
                    + source.getFileName() + " is an encoder-decoder model");
        }
        String gqa = Model.Variant.STATIC_GQA.fileIn(layout);
        if (!Files.isRegularFile(layout.graphs().resolve(gqa))) {
            throw new KvbenchException(gqa + " is not in " + layout.graphs() + ": the quantized-cache variants are made "
                    + "from it (run `kvbench derive --model " + source + (dtype == Dtype.FP32 ? "" : " --dtype " + dtype)
                    + "` without --quantized-cache-only)");
        }
        checkBeforeWork(source, dtype, steps, quantized);
        String interpreter = OnnxPython.find(python);
        List<String> outputs = quantizedCacheOutputs(dtype);
        try (WorkFolder folder = WorkFolder.open(source, out, layout, outputs, "derive")) {
            try {
                progress.accept("[1/1] calibrating the quantized caches of " + gqa + " (8 and 4 bits) and checking them "
                        + "against no-cache ...");
                Calibrated r = quantizedCaches(folder.path(), folder.graphs(), dtype, quantized,
                        StrategyCheck.prompts(folder.path()), steps, tolerance, interpreter, progress);
                List<String> written = withinBounds(r.outcomes().get(0)) ? folder.commit(outputs) : List.of();
                return new Derived(out, layout, r.layers(), written, List.of(), 0, folder.linkedBytes(), folder.copiedBytes(),
                        Strategy.NO_CACHE, r.outcomes());
            } catch (KvbenchException e) {
                throw new KvbenchException(folder.userPaths(e.getMessage()), e);
            }
        } catch (IOException e) {
            throw new KvbenchException("cannot write the quantized-cache variants into " + out + ": " + e.getMessage());
        }
    }

    /**
     * What the rewrite and the checks after it would fail on, found before any of them: the export opens (config and
     * graph agree, e.g. on num_key_value_heads), every check and calibration prompt's ids are in the vocabulary, and
     * each prompt leaves room for its steps (a calibration prompt for at least one new token) within the positions.
     * Errors name the prompt (a calibration file's line).
     */
    private static void checkBeforeWork(Path source, Dtype dtype, int steps, QuantizedCaches quantized) {
        try (Engine engine = new Engine(source, Strategy.NO_CACHE, EngineOptions.defaults().withDtype(dtype))) {
            int positions = engine.model().maxPositions();
            boolean encoderDecoder = engine.model().encoderDecoder();
            for (StrategyCheck.Prompt p : StrategyCheck.prompts(source)) {
                checkPrompt(engine, p, encoderDecoder ? 1 : p.ids().length, steps, positions, "--steps " + steps);
            }
            if (quantized.enabled() && quantized.calibration() != null) {
                for (StrategyCheck.Prompt p : quantized.calibration()) {
                    checkPrompt(engine, p, p.ids().length, 1, positions, "1 new token");
                }
            }
        }
    }

    private static void checkPrompt(Engine engine, StrategyCheck.Prompt p, int held, int steps, int positions, String what) {
        try {
            engine.generator().checkTokenIds(p.ids());
        } catch (KvbenchException e) {
            throw new KvbenchException(p.name() + ": " + e.getMessage());
        }
        if ((long) held + steps > positions) {
            throw new KvbenchException(p.name() + ": " + held + " prompt tokens + " + what + " = " + ((long) held + steps)
                    + " positions, beyond the model's " + positions);
        }
    }

    /** Whether a quantized cache's check lets it be written: within its bounds. */
    public static boolean withinBounds(StrategyCheck.Outcome o) {
        return o.verdict() == StrategyCheck.Verdict.LOSSY || o.verdict() == StrategyCheck.Verdict.AGREES;
    }

    /** The quantized caches' check outcomes (8 bits, then 4), and the layers calibrated. */
    private record Calibrated(List<StrategyCheck.Outcome> outcomes, int layers) {
    }

    /**
     * The quantized-cache variants, in the work folder beside their {@code model_gqa}: one calibration pass over the
     * float cache ({@link KvCalibration}); per bit width its record written as the scales file, {@code kvcachequant.py}
     * writing the graph, the graph checked against no-cache (the quantized-cache bounds). A 4-bit variant beyond its
     * bounds is deleted again (the commit moves what is there), with its outcome kept for the report.
     */
    private static Calibrated quantizedCaches(Path work, Path workGraphs, Dtype dtype, QuantizedCaches quantized,
                                              List<StrategyCheck.Prompt> checkPrompts, int steps, double tolerance,
                                              String interpreter, java.util.function.Consumer<String> progress)
            throws IOException {
        EngineOptions options = EngineOptions.defaults().withDtype(dtype);
        List<StrategyCheck.Prompt> calibration = quantized.calibration() != null ? quantized.calibration()
                : StrategyCheck.prompts(work);
        String source = quantized.source() != null ? quantized.source()
                : calibration.get(0).name().startsWith("golden") ? "the folder's golden.json prompts" : "built-in prompts";
        KvCalibration.Ranges ranges = KvCalibration.measure(work, options, calibration, KvCalibration.DEFAULT_NEW_TOKENS, source);
        progress.accept(KvCalibration.describe(ranges, quantized.granularity()));
        List<StrategyCheck.Outcome> outcomes = new ArrayList<>();
        for (Model.Variant v : Model.Variant.quantizedCaches()) {
            Path graph = workGraphs.resolve(dtype.file(v.file(false)));
            Path record = workGraphs.resolve(calibrationFile(graph.getFileName().toString()));
            AtomicFiles.write(record, KvCalibration.json(ranges, quantized.granularity(), v.cacheBits())
                    .toPrettyString());
            try {
                OnnxPython.run(interpreter, QUANTIZED_CACHE_SCRIPT, work, List.of("--gqa",
                        workGraphs.resolve(dtype.file(Model.Variant.STATIC_GQA.file(false))).toString(), "--scales",
                        record.toString(), "--out", graph.toString()));
            } catch (KvbenchException e) {
                throw new KvbenchException("derive (quantized cache): " + e.getMessage());
            }
            Strategy strategy = java.util.Arrays.stream(Strategy.values()).filter(s -> s.variant() == v).findFirst().orElseThrow();
            StrategyCheck.Outcome o = StrategyCheck.run(work, checkPrompts, steps, tolerance, options, List.of(strategy)).get(0);
            outcomes.add(o);
            if (!withinBounds(o)) {
                Files.deleteIfExists(graph);
                Files.deleteIfExists(record);
            }
        }
        return new Calibrated(List.copyOf(outcomes), ranges.keys().length);
    }

    private static final String QUANTIZED_CACHE_SCRIPT = "kvcachequant.py";

    /**
     * The graph the variants come from: decoder-only {@code model.onnx}; encoder-decoder {@code decoder_with_past_model.onnx},
     * else the with-past branch of {@code decoder_model_merged.onnx}.
     */
    private static String graphToDerive(Layout layout) {
        if (!layout.encoderDecoder()) {
            if (!layout.hasSingle()) {
                throw new KvbenchException("derive reads a decoder-only export's " + Layout.SINGLE + "; this folder is "
                        + layout.describe());
            }
            return Layout.SINGLE;
        }
        return layout.hasSplit() ? Layout.DECODER_WITH_PAST : Layout.MERGED;
    }

    /**
     * Runs kvderive.py on {@code graph} (in {@code work} or its onnx/ subfolder): writes the variants beside it with
     * {@code dtype}'s suffix, unchecked (the caller compares them); returns the script's JSON summary. A graph it does
     * not recognize is a one-line {@link KvbenchException}.
     */
    static JsonNode writeVariants(String python, Path work, Path graph, Dtype dtype) {
        try {
            return OnnxPython.run(python, SCRIPT, work, List.of("--model", graph.toString(),
                    "--config", work.resolve("config.json").toString(), "--out", graph.getParent().toString(),
                    "--suffix", dtype.suffix(), "--weights-file", "variants" + dtype.suffix() + ".onnx_data"));
        } catch (KvbenchException e) {
            throw new KvbenchException("derive: " + e.getMessage());
        }
    }

    /** A one-line description of a size, for the summary. */
    public static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
