package dev.kvbench.derive;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.model.Dtype;
import dev.kvbench.support.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@code kvbench synth}: a model folder with deterministic random weights at a real configuration's shapes
 * ({@code kvsynth.py}, a resource of this package, writes the Optimum-layout graphs and streams the weights into one
 * external-data file), then the static variants by {@link VariantDeriver}, checked against it. Everything happens in a
 * hidden work folder beside the target, moved into place only when complete.
 */
public final class ModelSynthesizer {
    /** The built-in configurations of kvsynth.py (real models' config.json shapes). */
    public static final List<String> BUILT_IN = List.of("qwen2.5-0.5b", "llama-3.2-1b", "opus-mt-en-zh");
    private static final String SCRIPT = "kvsynth.py";

    /** picocli completion candidates for --like. */
    public static final class BuiltIn implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return BUILT_IN.iterator();
        }
    }

    /**
     * What {@link #write} made: the weights written, the variants' check, each further dtype's graphs and variants, and
     * how long it took. {@link #complete()} false: a check failed and nothing was written.
     */
    public record Result(long weightBytes, VariantDeriver.Derived derived, List<DtypeGraphs> dtypes, double seconds) {
        /** Whether every variant agreed, so the folder was written. */
        public boolean complete() {
            return !derived.written().isEmpty() && dtypes.stream().noneMatch(d -> d.derived().written().isEmpty());
        }
    }

    /** One further dtype of a synthesized folder: its graphs (and their accuracy against fp32), and its variants. */
    public record DtypeGraphs(GraphQuantizer.Quantized graphs, VariantDeriver.Derived derived) {
    }

    private final String like;
    private final Path config;
    private final Integer layers;
    private final long seed;
    private final String python;
    private JsonNode plan;

    public ModelSynthesizer(String like, Path config, Integer layers, long seed, String python) {
        this.like = like;
        this.config = config == null ? null : config.toAbsolutePath();
        this.layers = layers;
        this.seed = seed;
        this.python = OnnxPython.find(python);
    }

    public String name() {
        return like != null ? like : config.toString();
    }

    private List<String> args(Path out) {
        List<String> a = new ArrayList<>(like != null ? List.of("--like", like) : List.of("--config", config.toString()));
        a.addAll(List.of("--out", out.toString(), "--seed", String.valueOf(seed)));
        if (layers != null) {
            a.addAll(List.of("--layers", String.valueOf(layers)));
        }
        return a;
    }

    /** Validates the configuration and returns the plan (parameters, disk_bytes, memory_bytes, notes); writes nothing. */
    public JsonNode plan() {
        if (plan == null) { // one Python run, shared by the caller's announcement and write()'s disk check
            List<String> a = args(Path.of("unused"));
            a.add("--plan");
            plan = OnnxPython.run(python, SCRIPT, Path.of("."), a);
        }
        return plan;
    }

    /** Writes the folder {@code out} (new or empty) with its static variants, checked over {@code steps} steps. */
    public Result write(Path out, int steps, double tolerance) {
        return write(out, steps, tolerance, List.of(), line -> { });
    }

    /**
     * {@link #write(Path, int, double)} with the graphs of {@code dtypes} ({@link GraphQuantizer}) and their variants
     * too, saying what it does as it goes (one line per stage, {@code quantize:} and {@code derive:} for the dtypes'
     * stages). All of it happens in the work folder: {@code out} gets the whole model or nothing (a failed check, a
     * failure, an interrupt).
     */
    public Result write(Path out, int steps, double tolerance, List<GraphQuantizer.Settings> dtypes,
                        java.util.function.Consumer<String> progress) {
        out = out.toAbsolutePath().normalize();
        AtomicFiles.checkNewOrEmptyFolder(out);
        JsonNode plan = plan();
        Path parent = out.getParent();
        long t0 = System.nanoTime();
        Path work;
        try {
            Files.createDirectories(parent);
            long free = Files.getFileStore(parent).getUsableSpace();
            long need = plan.path("disk_bytes").asLong() + (64L << 20);
            if (free < need) {
                throw new KvbenchException(String.format(java.util.Locale.ROOT, "synth needs %.2f GB of disk in %s, "
                        + "%.2f GB free", need / 1e9, parent, free / 1e9));
            }
            work = AtomicFiles.workFolder(parent, ".kvbench-synth-");
        } catch (IOException e) {
            throw new KvbenchException("cannot write in " + parent + ": " + e.getMessage());
        }
        Thread onInterrupt = AtomicFiles.deleteOnInterrupt(work);
        try {
            progress.accept(String.format(java.util.Locale.ROOT, "writing the graphs and %.2f GB of random weights ...",
                    plan.path("disk_bytes").asLong() / 1e9));
            JsonNode written = OnnxPython.run(python, SCRIPT, work, args(work));
            progress.accept(String.format(java.util.Locale.ROOT, "written in %.0f s; deriving the static variants:",
                    (System.nanoTime() - t0) / 1e9));
            VariantDeriver.Derived derived = VariantDeriver.derive(work, work, Dtype.FP32, steps, tolerance, python, progress);
            List<DtypeGraphs> made = new ArrayList<>();
            for (GraphQuantizer.Settings q : derived.written().isEmpty() ? List.<GraphQuantizer.Settings>of() : dtypes) {
                GraphQuantizer.Quantized g = GraphQuantizer.quantize(work, work, q, steps, python,
                        line -> progress.accept("quantize: " + line));
                VariantDeriver.Derived d = VariantDeriver.derive(work, work, q.dtype(), steps, tolerance, python,
                        line -> progress.accept("derive: " + line));
                made.add(new DtypeGraphs(g, d));
                if (d.written().isEmpty()) {
                    break;
                }
            }
            Result result = new Result(written.path("weights_bytes").asLong(), derived, made, (System.nanoTime() - t0) / 1e9);
            if (result.complete()) {
                if (Files.exists(out)) {
                    Files.delete(out); // empty (checked above): the work folder takes its place in one move
                }
                Files.move(work, out, StandardCopyOption.ATOMIC_MOVE);
                result = new Result(result.weightBytes(), derived.movedTo(out), made, result.seconds());
            }
            return result;
        } catch (IOException e) {
            throw new KvbenchException("cannot move the synthesized model to " + out + ": " + e.getMessage());
        } finally {
            AtomicFiles.dropHook(onInterrupt);
            AtomicFiles.deleteTree(work);
        }
    }
}
