package dev.kvbench.matrix;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.paired.Progress;
import dev.kvbench.paired.Recommendation;
import dev.kvbench.paired.StrategyVerdicts;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.results.Summary;
import dev.kvbench.runtime.MachineProbe;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;

/**
 * One bench run on one model folder, from the first part to the summary: runs the planned parts with progress lines
 * ({@code [14/43] ... 6 m 12 s left}), merges each part's results into the result file (rewritten after every part, so
 * what finished survives a failure or an interrupt), runs the peak-memory pass, and writes the metadata and the
 * summary. An interrupt (Ctrl-C) keeps what finished, marks the run interrupted in its metadata, writes the summary of
 * what finished, removes the run's temporary files and says so. JMH's own output goes to the run's log.
 */
public final class BenchRun {
    private static final ObjectMapper JSON = JsonFiles.MAPPER;

    private final RunFiles files;
    private final Path folder;
    private final GraphDtypes dtype;
    private final RunRecord meta;
    private final String header;
    private final MachineProbe.Limits limits;
    private final List<String> notAvailable;
    private final List<String> skipped;
    private final List<String> failed;
    private final PrintWriter console;
    private final Path work;
    private final ArrayNode all = JSON.createArrayNode();
    private final StringBuilder memory = new StringBuilder();
    private StrategyVerdicts verdicts;
    private Recommendation recommendation;
    private String latency = "";
    /** The shared-prompt verdict's lines (default run), "" until it ran. */
    private String sharedPrompts = "";
    /** The accuracy of the lossy (quantized-cache) candidates, printed under the verdict. */
    private String lossyAccuracy = "";
    private final Object state = new Object();
    private volatile boolean done;
    private int finishedParts;
    private int totalParts;
    private List<OrtRuntime.RunCall> calls = List.of();
    /** What a default run left out, with the option that runs it (the summary's last section but one). */
    private final List<String> leftOut = new ArrayList<>();

    /**
     * @param header       the summary's first lines (matrix, model, forks, threads, machine)
     * @param notAvailable strategies whose variant graph is missing, one line each
     * @param skipped      configurations left out by rule (this run appends the peak-memory ones)
     * @param failed       preflight failures (this run appends the configurations that produced no result)
     */
    public BenchRun(RunFiles files, Path folder, GraphDtypes dtype, RunRecord meta, String header,
                    MachineProbe.Limits limits, List<String> notAvailable, List<String> skipped, List<String> failed,
                    PrintWriter console) {
        this.files = files;
        this.folder = folder;
        this.dtype = dtype;
        this.meta = meta;
        this.header = header;
        this.limits = limits;
        this.notAvailable = notAvailable;
        this.skipped = skipped;
        this.failed = failed;
        this.console = console;
        try {
            this.work = AtomicFiles.workFolder(files.results().getParent(), ".kvbench-bench-");
        } catch (IOException e) {
            throw new KvbenchException("cannot write in " + files.results().getParent() + ": " + e.getMessage());
        }
    }

    /**
     * Runs {@code parts} then {@code peaks}; returns 0 when every configuration produced a result, else 1. The
     * {@code runner} writes JMH's output where the caller pointed it (the run's log).
     */
    public int execute(List<MatrixPart> parts, JmhPartRunner runner, List<OrtRuntime.RunCall> calls, List<MatrixPlan.PeakRun> peaks,
                       Path repo) {
        return execute(parts, runner, calls, null, peaks, repo);
    }

    /**
     * The whole run, JMH parts first: JMH parts, the verdict rounds (and the per-token latency from their generations'
     * steps), peak memory, the recommendation, the summary.
     */
    public int execute(List<MatrixPart> parts, JmhPartRunner runner, List<OrtRuntime.RunCall> calls,
                       MatrixPlan.VerdictPlan verdictPlan, List<MatrixPlan.PeakRun> peaks, Path repo) {
        return run(() -> {
            runParts(parts, runner);
            if (verdictPlan != null) {
                verdictRounds(verdictPlan, repo);
            }
            peakMemory(peaks, repo);
            List<Strategy> strategies = parts.stream().filter(p -> p.axis().equals("strategy")).map(MatrixPart::value)
                    .distinct().map(Strategy::parse).toList();
            servingSweep(List.of(), verdictPlan == null ? StrategyRoles.reference() : verdictPlan.reference(), strategies);
        }, calls);
    }

    /** What a default run measures after its verdict, for the strategies the verdict picked: see {@link #executeAnswerFirst}. */
    public record FollowUp(List<MatrixPart> parts, List<MatrixPlan.PeakRun> peaks, List<String> skipped, List<String> leftOut) {
    }

    /**
     * The default run, the answer first: the verdict rounds, then, for the reference and the strategies the
     * recommendation picks ({@link MatrixPlan#followUp}), the parts and peak-memory runs {@code followUp} plans for
     * them, then the recommendation and the summary, which lists what the run left out.
     */
    public int executeAnswerFirst(MatrixPlan.VerdictPlan verdictPlan, java.util.function.Function<List<Strategy>, FollowUp> followUp,
                                  List<Strategy> runnable, JmhPartRunner runner, List<OrtRuntime.RunCall> calls, Path repo) {
        return run(() -> {
            if (verdictPlan != null) {
                verdictRounds(verdictPlan, repo);
            }
            List<String> picks = verdicts == null ? List.of() : Recommendation.of(verdicts, id -> null, id -> null).picks()
                    .stream().map(Recommendation.Pick::strategy).toList();
            List<Strategy> measured = MatrixPlan.followUp(verdictPlan == null ? StrategyRoles.reference() : verdictPlan.reference(),
                    picks, runnable);
            FollowUp f = followUp.apply(measured);
            synchronized (state) {
                skipped.addAll(f.skipped());
                leftOut.addAll(f.leftOut());
            }
            if (!picks.isEmpty()) {
                console.println("[recommended] " + String.join(", ", new java.util.LinkedHashSet<>(picks)) + ": measuring time "
                        + "to first token, steps for the roofline and peak memory of " + measured.stream().map(Strategy::id)
                        .collect(Collectors.joining(", ")));
            }
            runParts(f.parts(), runner);
            peakMemory(f.peaks(), repo);
            sharedPromptVerdict(picks, verdictPlan == null ? StrategyRoles.reference() : verdictPlan.reference(),
                    verdictPlan == null ? SharedPromptVerdict.ROUNDS : verdictPlan.sharedRounds(),
                    verdictPlan == null ? SharedPromptVerdict.PROMPT_TOKENS : verdictPlan.sharedPromptTokens());
            servingSweep(picks, verdictPlan == null ? StrategyRoles.reference() : verdictPlan.reference(), runnable);
        }, calls);
    }

    /**
     * The serving sweep ({@link ServingSweep}) of this run's kind, in this process; its figures join the result file.
     * Not on a step-only run, and on shard 1 only of a split run (the merged file holds it once).
     */
    private void servingSweep(List<String> picks, Strategy reference, List<Strategy> runnable) throws IOException {
        MatrixPlan.Kind kind = java.util.Arrays.stream(MatrixPlan.Kind.values()).filter(k -> k.id.equals(meta.matrix))
                .findFirst().orElse(null);
        if (kind == null || kind == MatrixPlan.Kind.REAL_SHAPES || meta.shard != null && !meta.shard.startsWith("1/")
                || runnable.isEmpty()) {
            return;
        }
        boolean encoderDecoder = dev.kvbench.model.Layout.detectAny(folder).encoderDecoder();
        List<Strategy> cached = runnable.stream().filter(s -> !s.quadratic()).toList();
        ServingSweep.Plan plan = ServingSweep.plan(kind, reference, picks, cached.isEmpty() ? runnable : cached,
                encoderDecoder);
        console.println("[serving] " + plan.runs() + " runs: closed-loop clients " + plan.clients() + " x "
                + plan.policies().stream().map(Object::toString).collect(Collectors.joining(", ")) + " x "
                + plan.strategies().stream().map(Strategy::id).collect(Collectors.joining(", ")) + ", targets "
                + ServingSweep.SLO + " ms ...");
        console.flush();
        int threads = meta.threads == null ? 1 : meta.threads.onnxruntimeIntraOp();
        List<dev.kvbench.results.ServingResults.Entry> entries = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        ServingSweep.run(folder, dtype, threads, plan, console, entries, failures);
        synchronized (state) {
            failed.addAll(failures);
            dev.kvbench.results.ServingResults.toJson(entries).forEach(all::add);
            if (!all.isEmpty()) {
                AtomicFiles.write(files.results(), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
                AtomicFiles.write(files.meta(), meta.bytes());
            }
        }
    }

    /**
     * Re-ranking with the prompt reused against recomputed, in paired rounds ({@link SharedPromptVerdict}), for the
     * first recommended strategy that keeps a cache, else {@code reference}; a failure is listed, not fatal.
     */
    private void sharedPromptVerdict(List<String> picks, Strategy reference, int rounds, int promptTokens) {
        Strategy s = picks.stream().map(Strategy::parse).filter(p -> !p.quadratic()).findFirst().orElse(reference);
        if (s.quadratic()) {
            return;
        }
        console.println("[shared prompts] re-ranking with the prompt reused against recomputed, " + s + ", " + rounds
                + " paired rounds ...");
        console.flush();
        try {
            String text = SharedPromptVerdict.run(folder, dtype, s, rounds, promptTokens).text();
            synchronized (state) {
                sharedPrompts = text;
            }
            console.print(text);
        } catch (KvbenchException | dev.kvbench.decode.StepFailedException e) {
            synchronized (state) {
                failed.add("shared-prompt verdict (" + s + "): " + dev.kvbench.results.ErrorWording.of(e));
            }
        }
    }

    /** A run's phases, which may throw on a failed write. */
    private interface Phases {
        void run() throws IOException;
    }

    /** Runs the phases under the interrupt hook, then the recommendation and the summary; cleans up on every path. */
    private int run(Phases phases, List<OrtRuntime.RunCall> calls) {
        this.calls = calls;
        Thread hook = new Thread(this::interrupted, "kvbench-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            phases.run();
            if (verdicts != null) {
                recommend();
            }
            String summary;
            synchronized (state) {
                if (!all.isEmpty()) {
                    AtomicFiles.write(files.meta(), meta.bytes());
                }
                summary = summary();
                done = true;
            }
            console.println();
            console.println(summary);
            if (all.isEmpty()) {
                console.println("no benchmark produced a result");
            } else {
                AtomicFiles.write(files.summary(), summary);
                console.printf("results: %s%nmeta:    %s%nsummary: %s%nlog:     %s%n", files.results(), files.meta(),
                        files.summary(), files.log());
            }
            console.flush();
            return failed.isEmpty() && !all.isEmpty() ? 0 : 1;
        } catch (IOException e) {
            throw new KvbenchException("cannot write the results: " + e.getMessage(), e);
        } finally {
            done = true;
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs
            }
            AtomicFiles.deleteTree(work);
        }
    }

    /** The JMH parts with progress lines; each part's results merged into the result file as it finishes. */
    private void runParts(List<MatrixPart> parts, JmhPartRunner runner) throws IOException {
        if (parts.isEmpty()) {
            return;
        }
        totalParts = parts.size();
        double[] estimates = parts.stream().mapToDouble(runner::estimateSeconds).toArray();
        Progress progress = new Progress(estimates);
        console.printf(Locale.ROOT, "%d parts, about %s (estimated from their iteration counts; refined as they finish)%n",
                parts.size(), Progress.duration(progress.secondsLeft()));
        Path partFile = work.resolve("part.json");
        Path failureFile = work.resolve("failures.txt");
        for (int i = 0; i < parts.size(); i++) {
            MatrixPart p = parts.get(i);
            String tag = String.format(Locale.ROOT, "[%d/%d]", i + 1, parts.size());
            console.println(tag + " " + p.description() + " ...");
            console.flush();
            long t0 = System.nanoTime();
            Files.deleteIfExists(partFile);
            Collection<RunResult> results = runner.run(p, partFile, failureFile);
            List<String> missing = missing(p, results, calls, BenchmarkContract.readFailures(failureFile));
            List<JmhResult> finished = List.of();
            synchronized (state) {
                // A part whose every fork crashed leaves an empty array: listed under Failed below, not an error.
                JsonNode part = Files.isRegularFile(partFile) && Files.size(partFile) > 2 ? JSON.readTree(partFile.toFile()) : null;
                if (part != null && part.size() > 0) {
                    part.forEach(all::add);
                    finished = JmhResults.parse(part, p.label());
                }
                failed.addAll(missing);
                Files.deleteIfExists(failureFile);
                finishedParts = i + 1;
                if (!all.isEmpty()) {
                    AtomicFiles.write(files.results(), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
                    AtomicFiles.write(files.meta(), meta.bytes());
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            progress.finished(seconds);
            console.println(tag + " " + outcome(p, finished, missing) + " in " + Progress.duration(seconds)
                    + (i + 1 < parts.size() ? "; about " + Progress.duration(progress.secondsLeft()) + " left" : ""));
            console.flush();
        }
    }

    /** The scores of a finished part, or what failed: {@code 64: 1.04 ± 0.10 ms/op, 256: ...}. */
    static String outcome(MatrixPart p, List<JmhResult> finished, List<String> missing) {
        String scores = finished.stream().sorted(Comparator.comparing((JmhResult r) -> Integer.parseInt(
                        r.params().getOrDefault(p.lengthParam(), "0")))
                        .thenComparing(r -> r.params().getOrDefault("ortCall", "")))
                .map(r -> r.params().getOrDefault(p.lengthParam(), "?") + ": " + Summary.scoreWithError(r))
                .collect(Collectors.joining(", "));
        String failures = missing.isEmpty() ? "" : (scores.isEmpty() ? "" : "; ") + missing.size() + " failed";
        return (scores.isEmpty() && failures.isEmpty() ? "no result" : scores + failures);
    }

    /** Configurations of a part that produced no result, each with its reason from the failure file when there is one. */
    static List<String> missing(MatrixPart p, Collection<RunResult> done, List<OrtRuntime.RunCall> calls, List<String> reasons) {
        Set<String> finished = done.stream().map(r -> r.getParams().getParam(p.lengthParam()) + "/" + r.getParams().getParam("ortCall"))
                .collect(Collectors.toSet());
        List<String> out = new ArrayList<>();
        for (int length : p.lengths()) {
            for (OrtRuntime.RunCall call : calls) {
                if (!finished.contains(length + "/" + call.label())) {
                    String config = p.label() + " " + p.lengthParam() + "=" + length + (calls.size() > 1 ? " ortCall=" + call.label() : "");
                    String reason = reasons.stream().filter(r -> r.contains(p.lengthParam() + "=" + length)).findFirst()
                            .map(r -> r.substring(r.indexOf(": ") + 2)).orElse("failed (see the run's log)");
                    out.add(config + ": " + reason);
                }
            }
        }
        return out;
    }

    /** The verdict phase ({@link VerdictPhase}); its outcome kept for the recommendation, summary and record. */
    private void verdictRounds(MatrixPlan.VerdictPlan plan, Path repo) throws IOException {
        VerdictPhase.Outcome o = VerdictPhase.run(plan, repo, folder, dtype, console, line -> {
            synchronized (state) {
                failed.add(line);
            }
        });
        if (o == null) {
            return;
        }
        synchronized (state) {
            verdicts = o.verdicts();
            meta.strategyVerdicts = o.json();
            latency = o.latency().text();
            meta.tokenLatency = o.latency().json();
        }
    }

    /** The recommendation phase ({@link RecommendationPhase}) from the verdicts and this run's peak memory. */
    private void recommend() {
        RecommendationPhase.Outcome o = RecommendationPhase.of(verdicts, meta.peakMemory, folder, dtype);
        synchronized (state) {
            recommendation = o.recommendation();
            meta.recommendation = o.recommendation().json();
            lossyAccuracy = o.lossyText();
            if (!o.lossy().isEmpty()) {
                meta.lossyAccuracy = o.lossy();
            }
        }
    }

    /** The peak-memory phase ({@link PeakMemoryPhase}); each figure and failure recorded as it comes. */
    private void peakMemory(List<MatrixPlan.PeakRun> peaks, Path repo) {
        if (peaks.isEmpty()) {
            return;
        }
        meta.peakMemory = new ArrayList<>();
        PeakMemoryPhase.run(peaks, repo, folder, dtype, console, new PeakMemoryPhase.Listener() {
            @Override
            public void measured(JsonNode figures, String tableSoFar) {
                synchronized (state) {
                    meta.addPeakMemory(figures);
                    memory.setLength(0);
                    memory.append(tableSoFar);
                }
            }

            @Override
            public void failed(String line, String tableSoFar) {
                synchronized (state) {
                    failed.add(line);
                    memory.setLength(0);
                    memory.append(tableSoFar);
                }
            }
        });
    }

    /** The summary of what is in the result file now ({@link RunSummary}). */
    private String summary() {
        return new RunSummary(header, verdicts, lossyAccuracy, recommendation, latency + sharedPrompts, all, files.results().toString(),
                folder, dtype, limits, notAvailable, skipped, failed, memory.toString(), leftOut).text();
    }

    /** The shutdown hook: on an interrupt before the end, keep and describe what finished. */
    private void interrupted() {
        if (done) {
            return;
        }
        String kept;
        synchronized (state) {
            if (done) {
                return;
            }
            done = true;
            meta.interrupted = new RunRecord.Interrupted(finishedParts, totalParts);
            if (all.isEmpty()) {
                kept = "nothing had finished; no result file written";
            } else {
                try {
                    AtomicFiles.write(files.meta(), meta.bytes());
                    String summary = "(interrupted after " + finishedParts + " of " + totalParts + " parts: the figures "
                            + "below are what finished)\n" + summary();
                    AtomicFiles.write(files.summary(), summary);
                    kept = all.size() + " configuration(s) of " + finishedParts + " finished part(s) in " + files.results()
                            + "; marked interrupted in " + files.meta() + "; summary " + files.summary();
                } catch (RuntimeException e) {
                    kept = "the results of " + finishedParts + " part(s) in " + files.results() + " (the summary could not "
                            + "be written: " + e.getMessage() + ")";
                }
            }
        }
        AtomicFiles.deleteTree(work);
        // Straight to the process's stderr: System.err points at the run's log while a part runs.
        java.io.PrintStream err = new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true,
                java.nio.charset.StandardCharsets.UTF_8);
        err.println("kvbench: interrupted: kept " + kept);
        err.flush();
    }

}
