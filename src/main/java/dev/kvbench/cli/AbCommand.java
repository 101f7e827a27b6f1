package dev.kvbench.cli;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.paired.AbMeasurement;
import dev.kvbench.paired.Side;
import dev.kvbench.paired.PairedTable;
import dev.kvbench.paired.StrategyVerdicts;
import dev.kvbench.paired.TokenLatency;
import dev.kvbench.report.Charts;
import dev.kvbench.report.PngCharts;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.PairedComparison;
import dev.kvbench.results.RoundMerge;
import dev.kvbench.results.RunMeta;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Same-machine A/B of two commits ({@link AbMeasurement}), compared round by round with the paired test of
 * {@link PairedComparison}. On a machine whose speed changes from second to second this is the only fair comparison of
 * absolute times. Writes both sides' merged results, their metadata and an A/B chart.
 */
@Command(name = "ab", mixinStandardHelpOptions = true,
        description = {"Build BASE_REF and HEAD_REF, run their benchmarks interleaved in rounds on this machine, and compare "
                + "them round by round (paired t-test on log ratios). Exit 1 on a significant regression beyond the threshold.",
                "With --strategies A,B instead: two strategies of this build, B against A, in the same paired rounds, with "
                        + "A against itself as a control; exit 1 when B is significantly slower than A beyond the threshold."})
final class AbCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "BASE_REF", description = "The reference commit (any git revision).")
    String baseRef;

    @Option(names = "--strategies", paramLabel = "A,B", split = ",", converter = StrategyOption.Converter.class,
            description = "Compare two strategies of this build instead of two commits: A the reference, B the candidate.")
    List<Strategy> strategies;

    @Parameters(index = "1", arity = "0..1", paramLabel = "HEAD_REF", defaultValue = "HEAD",
            description = "The candidate commit (default: ${DEFAULT-VALUE}).")
    String headRef;

    @Option(names = "--method", defaultValue = "generations", description = "generations: single generations alternating "
            + "between two worker JVMs (parameters strategy, newTokens, model); jmh: a JMH run per side and round, any "
            + "benchmark, and -p takes any of its parameters (default: ${DEFAULT-VALUE}).")
    AbMeasurement.Method method;

    @Option(names = "--bench", defaultValue = BenchmarkContract.PACKAGE + "." + BenchmarkContract.GENERATION,
            description = "jmh method: JMH include pattern (default: ${DEFAULT-VALUE}).")
    String bench;

    @Option(names = "--warmup", defaultValue = "3", description = "jmh method: warm-up iterations per JVM, >= 1 (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", defaultValue = "3", description = "jmh method: measurement iterations per JVM, >= 1 (default: ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--time", defaultValue = "1", paramLabel = "SECONDS",
            description = "jmh method: seconds per warm-up and measurement iteration, 1..60 (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--format", defaultValue = "text", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    TableFormat format;

    @Option(names = "--out", description = "Folder for the merged result files (default: results/ in the repository).")
    Path outDir;

    @Mixin
    PairedRunOptions run;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        validate();
        if (strategies != null) {
            return compareStrategies();
        }
        if (baseRef == null) {
            throw new KvbenchException("give BASE_REF (and HEAD_REF) to compare commits, or --strategies A,B to compare strategies");
        }
        long started = System.nanoTime();
        Path repo = run.repo();
        String base = AbMeasurement.resolve(repo, baseRef);
        String head = AbMeasurement.resolve(repo, headRef);
        // Progress (builds, rounds, time left) goes to stderr; the verdict table to stdout, or to stderr beside JSON.
        PrintWriter console = format == TableFormat.JSON ? spec.commandLine().getErr() : spec.commandLine().getOut();
        PrintWriter progress = spec.commandLine().getErr();
        PrintWriter answer = spec.commandLine().getOut();
        Path results = outDir != null ? outDir.toAbsolutePath() : repo.resolve("results");
        Cli.checkCanWrite(results);
        AbMeasurement measurement = measurement();
        AbMeasurement.Sides sides = measurement.measure(repo, base, head, progress);
        String stem = "ab-" + base.substring(0, 8) + "-" + head.substring(0, 8) + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path[] written = writeSides(results, stem, sides, "-ab.png");
        Path baseFile = written[0];
        Path headFile = written[1];
        stem = written[2].getFileName().toString();
        // The checksums were taken while the worktrees existed (they are gone now).
        RunMeta.modelWarnings(sides.meta().get(Side.BASE).models, sides.meta().get(Side.HEAD).models, "base", "head")
                .forEach(w -> spec.commandLine().getErr().println("kvbench: warning: " + w));
        PairedComparison.Result time = measurement.time(sides, run.threshold, run.alpha);
        List<List<JmhResult>> baseRounds = sides.bySide().get(Side.BASE);
        PairedComparison.Result alloc = baseRounds.get(0).stream().anyMatch(r -> r.metric("gc.alloc.rate.norm") != null)
                ? PairedComparison.compare(baseRounds, sides.bySide().get(Side.HEAD), "gc.alloc.rate.norm", run.threshold, run.alpha)
                : null;
        Path chart = results.resolve(stem + "-ab.png");
        try {
            AtomicFiles.writeNew(chart, PngCharts.png(Charts.ab(time, base.substring(0, 8), head.substring(0, 8))));
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new KvbenchException(chart + " appeared while this run wrote its results beside it: nothing was "
                    + "overwritten; the figures are in " + baseFile + " and " + headFile);
        }
        double wall = (System.nanoTime() - started) / 1e9;
        switch (format) {
            case JSON -> answer.println(json(base, head, time, alloc, wall));
            default -> {
                console.print(PairedTable.render(time, format == TableFormat.MARKDOWN));
                if (alloc != null) {
                    console.print(PairedTable.render(alloc, format == TableFormat.MARKDOWN));
                }
                console.printf(Locale.ROOT, "base %s, head %s: %s method, %d rounds, %s, %.0f s%n",
                        base.substring(0, 8), head.substring(0, 8), method, run.rounds, measurement.describe(), wall);
                console.printf("base: %s%nhead: %s%nchart: %s%n", baseFile, headFile, chart);
            }
        }
        console.flush();
        answer.flush();
        boolean regressed = !time.regressions().isEmpty() || alloc != null && !alloc.regressions().isEmpty();
        return regressed ? Cli.CHECK_FAILED : 0;
    }

    /** {@code --strategies A,B}: B against A (and A against A) in paired rounds of this build; verdicts in words. */
    private Integer compareStrategies() throws IOException {
        if (baseRef != null || spec.commandLine().getParseResult().hasMatchedPositional(1)) {
            throw new KvbenchException("--strategies compares strategies of this build: give no BASE_REF or HEAD_REF");
        }
        if (strategies.size() != 2 || strategies.get(0) == strategies.get(1)) {
            throw new KvbenchException("--strategies takes two different strategies, A,B (A the reference), got "
                    + strategies.stream().map(Strategy::id).toList());
        }
        long started = System.nanoTime();
        Strategy a = strategies.get(0);
        Strategy b = strategies.get(1);
        Path repo = run.repo();
        PrintWriter console = format == TableFormat.JSON ? spec.commandLine().getErr() : spec.commandLine().getOut();
        PrintWriter progress = spec.commandLine().getErr();
        Path results = outDir != null ? outDir.toAbsolutePath() : repo.resolve("results");
        Cli.checkCanWrite(results);
        AbMeasurement measurement = measurement();
        AbMeasurement.Sides sides = measurement.measureStrategies(repo, a, List.of(b), progress);
        String stem = "ab-" + a.id() + "-vs-" + b.id() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path[] written = writeSides(results, stem, sides);
        Path baseFile = written[0];
        Path headFile = written[1];
        PairedComparison.Result time = measurement.time(sides, run.threshold, run.alpha);
        StrategyVerdicts verdicts = StrategyVerdicts.of(time, a);
        TokenLatency latency = TokenLatency.of(sides);
        double wall = (System.nanoTime() - started) / 1e9;
        if (format == TableFormat.JSON) {
            var json = verdicts.json(wall).put("candidate", b.id());
            json.set("token_latency", latency.json());
            spec.commandLine().getOut().println(json);
        } else {
            console.print(PairedTable.render(time, format == TableFormat.MARKDOWN));
            console.print(verdicts.text());
            console.print(latency.text());
            console.printf(Locale.ROOT, "%s against %s: %d rounds, %s, %.0f s%nbase: %s%nhead: %s%n", b, a, run.rounds,
                    measurement.describe(), wall, baseFile, headFile);
        }
        console.flush();
        spec.commandLine().getOut().flush();
        return verdicts.slower() ? Cli.CHECK_FAILED : 0;
    }

    /**
     * Both sides' rounds merged into {@code stem-base.json} and {@code stem-head.json}, each with its .meta.json, and
     * the returned stem for any further file. Nothing is overwritten: when a file of the stem exists (a run in the same
     * second, or a file already there), the stem gets a suffix, -2, -3, ..., until every name is new; each file is
     * created only if its name is new, so two runs at once cannot replace each other's files either.
     */
    static Path[] writeSides(Path results, String stem, AbMeasurement.Sides sides, String... otherSuffixes) {
        Side[] names = Side.values();
        for (int n = 1; n <= 1000; n++) {
            String s = n == 1 ? stem : stem + "-" + n;
            Path[] files = {results.resolve(s + "-base.json"), results.resolve(s + "-head.json")};
            boolean free = java.util.Arrays.stream(otherSuffixes).noneMatch(x -> Files.exists(results.resolve(s + x)));
            for (Path f : files) {
                free &= !Files.exists(f) && !Files.exists(RunMeta.sidecar(f, ".meta.json"));
            }
            if (!free) {
                continue;
            }
            try {
                // The first file claims the stem; a run that claimed it meanwhile makes this one take the next.
                AtomicFiles.writeNew(files[0], RoundMerge.merge(sides.raw().get(names[0])).toPrettyString());
            } catch (java.nio.file.FileAlreadyExistsException e) {
                continue;
            }
            try {
                AtomicFiles.writeNew(RunMeta.sidecar(files[0], ".meta.json"), sides.meta().get(names[0]).tree().toPrettyString());
                AtomicFiles.writeNew(files[1], RoundMerge.merge(sides.raw().get(names[1])).toPrettyString());
                AtomicFiles.writeNew(RunMeta.sidecar(files[1], ".meta.json"), sides.meta().get(names[1]).tree().toPrettyString());
            } catch (java.nio.file.FileAlreadyExistsException e) {
                throw new KvbenchException(e.getFile() + " appeared while this run wrote its results beside it: nothing "
                        + "was overwritten; " + files[0] + " holds this run's base side");
            }
            return new Path[] {files[0], files[1], results.resolve(s)};
        }
        throw new KvbenchException("no free name for " + stem + " in " + results + " after 1000 tries");
    }

    AbMeasurement measurement() {
        return new AbMeasurement(method, bench, run.params, run.rounds, run.pairs, run.warmupOps, warmup, iterations, seconds);
    }

    private void validate() {
        if (warmup < 1 || warmup > 100) {
            throw new KvbenchException("--warmup must be in 1..100, got " + warmup);
        }
        if (iterations < 1 || iterations > 100) {
            throw new KvbenchException("--iterations must be in 1..100, got " + iterations);
        }
        if (seconds < 1 || seconds > 60) {
            throw new KvbenchException("--time must be in 1..60 seconds, got " + seconds);
        }
        run.validate();
        measurement().validate();
    }

    private static String json(String base, String head, PairedComparison.Result time, PairedComparison.Result alloc, double wall) {
        ObjectMapper m = JsonFiles.MAPPER;
        ObjectNode root = m.createObjectNode();
        root.put("base", base);
        root.put("head", head);
        root.put("wall_seconds", wall);
        ArrayNode results = root.putArray("comparisons");
        for (PairedComparison.Result r : alloc == null ? List.of(time) : List.of(time, alloc)) {
            ObjectNode o = results.addObject();
            o.put("metric", r.metric());
            o.put("threshold_percent", r.thresholdPercent());
            o.put("alpha", r.alpha());
            ArrayNode rows = o.putArray("rows");
            for (PairedComparison.Row row : r.rows()) {
                ObjectNode x = rows.addObject();
                x.put("benchmark", row.key());
                x.put("unit", row.unit());
                ArrayNode b = x.putArray("base_rounds");
                for (double v : row.base()) {
                    b.add(v);
                }
                ArrayNode h = x.putArray("head_rounds");
                for (double v : row.head()) {
                    h.add(v);
                }
                x.put("ratio", row.paired().ratio());
                Cli.putFinite(x, "ratio_ci95_low", row.paired().low());
                Cli.putFinite(x, "ratio_ci95_high", row.paired().high());
                Cli.putFinite(x, "p_value", row.paired().p());
                x.put("significant", row.significant());
                x.put("regression", row.regression());
            }
            r.missing().forEach(o.putArray("missing")::add);
            o.put("regressions", r.regressions().size());
        }
        return root.toString();
    }


}
