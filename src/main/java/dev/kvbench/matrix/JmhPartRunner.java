package dev.kvbench.matrix;

import dev.kvbench.KvbenchException;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.paired.Progress;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.runtime.OrtRuntime;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link MatrixPart} with JMH: the benchmark's own annotations, the matrix's iteration overrides, the GC
 * profiler, {@code -rf json} into a file, JMH's console output to the given {@link OutputFormat} (the run's log).
 * Also estimates a part's duration from the same settings, for {@link Progress}.
 */
public final class JmhPartRunner {
    /** Seconds a forked JVM needs before its first iteration (start, model load, ONNX Runtime session). */
    static final double FORK_SECONDS = 3;
    /** Seconds a single-shot iteration (StepBenchmark) is assumed to take before any part has finished. */
    static final double SINGLE_SHOT_SECONDS = 0.5;

    private final Path folder;
    private final Path repo;
    private final int threads;
    private final List<OrtRuntime.RunCall> calls;
    private final int forks;
    private final MatrixPlan.Kind kind;
    private final java.io.PrintStream jmhStream;
    private final OutputFormat jmhOutput;

    /**
     * @param jmhStream where JMH's console output goes (the run's log): its own lines, and what the forked JVMs print,
     *                  which JMH passes to this JVM's {@code System.out} / {@code System.err} (redirected there while a
     *                  part runs)
     */
    private final GraphDtypes dtype;

    public JmhPartRunner(Path folder, GraphDtypes dtype, Path repo, int threads, List<OrtRuntime.RunCall> calls,
                         int forks, MatrixPlan.Kind kind, java.io.PrintStream jmhStream) {
        this.folder = folder;
        this.dtype = dtype;
        this.repo = repo;
        this.threads = threads;
        this.calls = List.copyOf(calls);
        this.forks = forks;
        this.kind = kind;
        this.jmhStream = jmhStream;
        this.jmhOutput = org.openjdk.jmh.runner.format.OutputFormatFactory.createFormatInstance(jmhStream,
                org.openjdk.jmh.runner.options.VerboseMode.NORMAL);
    }

    /**
     * Fails with one line when another JMH run holds JMH's machine-wide lock ({@code java.io.tmpdir/jmh.lock}): its
     * measurements and ours would disturb each other, and JMH would refuse only after the run's preparations.
     */
    public static void checkNoOtherJmhRun() {
        Path lock = Path.of(System.getProperty("java.io.tmpdir"), "jmh.lock");
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw new KvbenchException("another JMH run holds " + lock + " on this machine: wait for it to finish "
                        + "(two benchmark runs at once measure each other)");
            }
            l.release();
        } catch (IOException e) {
            // JMH itself will say what is wrong with the lock file.
        }
    }

    /** Runs the part; results go to {@code resultFile}, failing configurations append to {@code failureFile}. */
    public Collection<RunResult> run(MatrixPart p, Path resultFile, Path failureFile) {
        List<String> jvmArgs = new ArrayList<>(List.of("-D" + BenchmarkContract.ROOT_PROPERTY + "=" + repo,
                "-D" + BenchmarkContract.FAILURE_FILE_PROPERTY + "=" + failureFile));
        if (kind == MatrixPlan.Kind.REAL_SHAPES) {
            // A 0.5 B-parameter step takes ~0.2 s and a 2048-token prefill ~40 s: a JIT warm-up of 2 short generations
            // instead of 40 (the engine's Java code is under 1% of such a step), and fewer iterations below.
            jvmArgs.add("-Dkvbench.stepWarmupGenerations=2");
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include(BenchmarkContract.PACKAGE.replace(".", "\\.") + "\\." + p.benchmark() + "\\.")
                .param("model", folder.toString())
                .param("dtype", dtype.id())
                .param(p.axis(), p.value())
                .param(p.lengthParam(), p.lengths().stream().map(String::valueOf).toArray(String[]::new))
                .param("threads", String.valueOf(threads))
                .param("ortCall", calls.stream().map(OrtRuntime.RunCall::label).toArray(String[]::new));
        p.fixed().forEach(options::param);
        options.addProfiler(GCProfiler.class)
                .forks(forks)
                .shouldFailOnError(false)
                .jvmArgsAppend(jvmArgs.toArray(String[]::new))
                .resultFormat(ResultFormatType.JSON)
                .result(resultFile.toString());
        int[] iterations = kind.iterations();
        if (iterations != null) {
            options.warmupIterations(iterations[0]).measurementIterations(iterations[1]);
        }
        if (kind == MatrixPlan.Kind.QUICK && !p.benchmark().equals(BenchmarkContract.STEP)) {
            options.warmupTime(TimeValue.milliseconds(500)).measurementTime(TimeValue.seconds(1));
        }
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        System.setOut(jmhStream);
        System.setErr(jmhStream);
        try {
            return new Runner(options.build(), jmhOutput).run();
        } catch (RunnerException e) {
            throw new KvbenchException("JMH failed: " + KvbenchException.firstLine(e.getMessage()), e);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** The part's a-priori duration in seconds, from the iteration counts and times JMH will use. */
    public double estimateSeconds(MatrixPart p) {
        Class<?> c;
        try {
            c = Class.forName(BenchmarkContract.PACKAGE + "." + p.benchmark());
        } catch (ClassNotFoundException e) {
            return 30; // not on this class path (a test); any positive figure keeps the estimate's scale
        }
        Warmup w = c.getAnnotation(Warmup.class);
        Measurement m = c.getAnnotation(Measurement.class);
        BenchmarkMode mode = c.getAnnotation(BenchmarkMode.class);
        boolean singleShot = mode != null && List.of(mode.value()).contains(Mode.SingleShotTime);
        int[] overrides = kind.iterations();
        int wi = overrides != null ? overrides[0] : w != null && w.iterations() >= 0 ? w.iterations() : 5;
        int mi = overrides != null ? overrides[1] : m != null && m.iterations() >= 0 ? m.iterations() : 5;
        boolean quickTimes = kind == MatrixPlan.Kind.QUICK && !p.benchmark().equals(BenchmarkContract.STEP);
        double wt = singleShot ? SINGLE_SHOT_SECONDS : quickTimes ? 0.5 : seconds(w == null ? -1 : w.time(), w == null ? null : w.timeUnit());
        double mt = singleShot ? SINGLE_SHOT_SECONDS : quickTimes ? 1 : seconds(m == null ? -1 : m.time(), m == null ? null : m.timeUnit());
        return (double) p.lengths().size() * calls.size() * forks * (FORK_SECONDS + wi * wt + mi * mt);
    }

    private static double seconds(int time, TimeUnit unit) {
        return time <= 0 ? 10 : unit.toMillis(time) / 1000.0;
    }
}
