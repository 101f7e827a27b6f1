package dev.kvbench.derive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.decode.StrategyCheck;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import dev.kvbench.results.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

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
    /** The files a derivation adds beside the export: the two variants and their shared new tensors. */
    public static final List<String> OUTPUTS = List.of(Model.Variant.STATIC.file(false), Model.Variant.STATIC_GQA.file(false),
            Model.Variant.STATIC.file(true), "variants.onnx_data");
    private static final String SCRIPT = "kvderive.py";

    /**
     * What a derivation did: the variants' check outcomes and how the weights were shared. {@code newBytes}: bytes
     * the variants added (rotary caches, weights the export kept inside its graph); {@code linkedBytes}: export files
     * hard-linked into a new folder; {@code exportCopiedBytes}: export files copied where a link was impossible
     * (another filesystem).
     */
    public record Derived(Path folder, int layers, List<String> written, List<String> sharedFiles, long newBytes,
                          long linkedBytes, long exportCopiedBytes, List<StrategyCheck.Outcome> checks) {

        /** One line per derived variant: its file, verdict and largest logit difference against {@code against}. */
        public String checkLines(String against, int steps) {
            StringBuilder s = new StringBuilder();
            for (StrategyCheck.Outcome c : checks) {
                s.append(String.format(Locale.ROOT, "%-26s %-8s max |dlogit| %s vs %s over %d step(s) per prompt%s%n",
                        c.strategy().variant().fileIn(folder), c.verdict().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                        Double.isNaN(c.maxAbsDiff()) ? "-" : String.format(Locale.ROOT, "%.3g", c.maxAbsDiff()), against,
                        steps, c.reason().isEmpty() ? "" : ": " + c.reason()));
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
        return derive(source, out, steps, tolerance, python, line -> { });
    }

    /** {@link #derive(Path, Path, int, double, String)}, saying what it does as it goes (one line per stage). */
    public static Derived derive(Path source, Path out, int steps, double tolerance, String python,
                                 java.util.function.Consumer<String> progress) {
        source = source.toAbsolutePath().normalize();
        out = out.toAbsolutePath().normalize();
        Layout layout = Layout.detect(source);
        String graph = graphToDerive(layout);
        List<Strategy> variants = layout.encoderDecoder() ? List.of(Strategy.STATIC) : List.of(Strategy.STATIC, Strategy.STATIC_GQA);
        boolean beside = out.equals(source);
        if (beside) {
            for (String f : OUTPUTS) {
                if (Files.exists(source.resolve(f))) {
                    throw new KvbenchException(source.resolve(f) + " exists: derive never overwrites (remove the old "
                            + "variants, or write elsewhere with --out)");
                }
            }
        } else {
            AtomicFiles.checkNewOrEmptyFolder(out);
        }
        String interpreter = OnnxPython.find(python);
        Path parent = beside ? source : out.getParent();
        Path work;
        try {
            Files.createDirectories(parent);
            work = AtomicFiles.workFolder(parent, ".kvbench-derive-");
        } catch (IOException e) {
            throw new KvbenchException("cannot write in " + parent + ": " + e.getMessage());
        }
        try {
            long[] bytes = linkFolder(source, work);
            progress.accept("[1/2] rewriting " + graph + " into " + variants.stream().map(s -> s.variant().fileIn(work))
                    .collect(java.util.stream.Collectors.joining(", ")) + " ...");
            long t0 = System.nanoTime();
            JsonNode made = writeVariants(interpreter, work, graph);
            List<StrategyCheck.Prompt> prompts = StrategyCheck.prompts(work);
            progress.accept(String.format(Locale.ROOT, "[2/2] checking them against the export: %d prompt(s) x %d steps, "
                    + "every strategy's logits (rewrite took %.0f s) ...", prompts.size(), steps, (System.nanoTime() - t0) / 1e9));
            List<StrategyCheck.Outcome> checks = StrategyCheck.run(work, prompts, steps, tolerance,
                    EngineOptions.defaults(), variants);
            for (StrategyCheck.Outcome o : checks) {
                if (o.verdict() != StrategyCheck.Verdict.AGREES) {
                    return new Derived(out, made.path("layers").asInt(), List.of(), List.of(), 0, 0, 0, checks);
                }
            }
            List<String> written = new ArrayList<>();
            for (String f : OUTPUTS) {
                if (Files.exists(work.resolve(f))) {
                    written.add(f);
                }
            }
            if (beside) {
                moveEach(work, source, written);
            } else {
                if (Files.exists(out)) {
                    Files.delete(out); // empty (checked above); the work folder takes its place in one move
                }
                Files.move(work, out, StandardCopyOption.ATOMIC_MOVE);
            }
            List<String> shared = new ArrayList<>();
            made.path("shared_external_files").forEach(n -> shared.add(n.asText()));
            return new Derived(out, made.path("layers").asInt(), written, shared,
                    made.path("inline_weights_copied_bytes").asLong(), bytes[0], bytes[1], checks);
        } catch (IOException e) {
            throw new KvbenchException("cannot write the variants into " + out + ": " + e.getMessage());
        } catch (KvbenchException e) {
            // The work happens in a hidden folder that is deleted below: name the user's files instead.
            throw new KvbenchException(e.getMessage().replace(work.toString(), source.toString()), e);
        } finally {
            AtomicFiles.deleteTree(work);
        }
    }

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

    /** Hard-links every file of {@code source} into {@code work} (copies where a link is impossible); {linked, copied} bytes. */
    private static long[] linkFolder(Path source, Path work) throws IOException {
        long linked = 0;
        long copied = 0;
        try (Stream<Path> files = Files.list(source)) {
            // A folder that has variants already (the bundled models) gets them derived anew, not linked.
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)
                    .filter(f -> !OUTPUTS.contains(f.getFileName().toString()))::iterator) {
                Path to = work.resolve(f.getFileName());
                long size = Files.size(f);
                try {
                    Files.createLink(to, f.toRealPath());
                    linked += size;
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(f, to);
                    copied += size;
                }
            }
        }
        return new long[] {linked, copied};
    }

    /**
     * Runs kvderive.py on {@code work/graph}: writes the variants into {@code work}, unchecked (the caller compares
     * them); returns the script's JSON summary. A graph it does not recognize is a one-line {@link KvbenchException}.
     */
    static JsonNode writeVariants(String python, Path work, String graph) {
        try {
            return OnnxPython.run(python, SCRIPT, work, List.of("--model", work.resolve(graph).toString(),
                    "--config", work.resolve("config.json").toString(), "--out", work.toString()));
        } catch (KvbenchException e) {
            throw new KvbenchException("derive: " + e.getMessage());
        }
    }

    private static void moveEach(Path from, Path to, List<String> names) throws IOException {
        List<Path> moved = new ArrayList<>();
        try {
            for (String n : names) {
                Path target = to.resolve(n);
                if (Files.exists(target)) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                Files.move(from.resolve(n), target, StandardCopyOption.ATOMIC_MOVE);
                moved.add(target);
            }
        } catch (IOException e) {
            for (Path p : moved) {
                Files.deleteIfExists(p); // all or nothing: a half-derived folder would mislead bench and check
            }
            throw e;
        }
    }

    /** A one-line description of a size, for the summary. */
    public static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
