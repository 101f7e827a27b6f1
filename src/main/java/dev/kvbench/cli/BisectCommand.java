package dev.kvbench.cli;

import dev.kvbench.paired.AbMeasurement;
import dev.kvbench.KvbenchException;
import dev.kvbench.paired.PairedTable;
import dev.kvbench.support.Processes;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.PairedComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The first commit between GOOD and BAD where a configuration regresses, as airspeed velocity's {@code asv find}:
 * binary search over the commits on the ancestry path, each candidate measured against GOOD with the interleaved
 * same-machine A/B of {@code ab} (paired generations, paired t-test over rounds). Jars are cached by build inputs, so
 * GOOD is built once and commits that change no code share a jar.
 */
@Command(name = "bisect", mixinStandardHelpOptions = true,
        description = "Find the first commit after GOOD_REF, up to BAD_REF, whose measurement regresses against GOOD_REF "
                + "(interleaved A/B runs as `ab`, binary search). Prints each step and the culprit; exit 1 when BAD_REF "
                + "does not regress against GOOD_REF.")
final class BisectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "GOOD_REF", description = "A commit (any git revision) known not to regress.")
    String goodRef;

    @Parameters(index = "1", paramLabel = "BAD_REF", description = "A later commit that regresses against GOOD_REF.")
    String badRef;

    @Mixin
    PairedRunOptions run;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        run.validate();
        AbMeasurement measurement = new AbMeasurement(AbMeasurement.Method.GENERATIONS,
                BenchmarkContract.PACKAGE + "." + BenchmarkContract.GENERATION, run.params, run.rounds, run.pairs, run.warmupOps, 1, 1, 1);
        measurement.validate();
        Path repo = run.repo();
        String good = AbMeasurement.resolve(repo, goodRef);
        String bad = AbMeasurement.resolve(repo, badRef);
        Processes.Outcome path = Processes.run(repo, 60, List.of("git", "rev-list", "--ancestry-path", "--reverse", good + ".." + bad));
        List<String> commits = path.ok() ? path.output().lines().map(String::trim).filter(l -> !l.isEmpty()).toList() : List.of();
        if (commits.isEmpty()) {
            throw new KvbenchException(badRef + " is not a descendant of " + goodRef + " (no commits between them)");
        }
        PrintWriter out = spec.commandLine().getOut();
        int steps = 1 + (int) Math.ceil(Math.log(commits.size()) / Math.log(2));
        out.printf(Locale.ROOT, "bisect: %d commit(s) after %s up to %s; about %d A/B step(s) of %d rounds against %s%n",
                commits.size(), good.substring(0, 8), bad.substring(0, 8), steps, run.rounds, good.substring(0, 8));
        out.flush();
        int step = 1;
        if (!regresses(measurement, repo, good, bad, step++, out)) {
            out.printf("no regression beyond %.1f%% between %s and %s at alpha %.3g: nothing to bisect%n", run.threshold,
                    good.substring(0, 8), bad.substring(0, 8), run.alpha);
            out.flush();
            return Cli.CHECK_FAILED;
        }
        int lo = -1; // the last index known not to regress (-1: GOOD itself)
        int hi = commits.size() - 1; // the first index known to regress
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (regresses(measurement, repo, good, commits.get(mid), step++, out)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        String culprit = commits.get(hi);
        out.printf("first regressing commit: %s %s%n", culprit, subject(repo, culprit));
        out.flush();
        return 0;
    }

    private boolean regresses(AbMeasurement measurement, Path repo, String good, String candidate, int step, PrintWriter out)
            throws IOException {
        out.printf("step %d: %s vs %s %s%n", step, good.substring(0, 8), candidate.substring(0, 8), subject(repo, candidate));
        out.flush();
        PairedComparison.Result r = measurement.time(measurement.measure(repo, good, candidate, out), run.threshold, run.alpha);
        out.print(PairedTable.render(r, false));
        boolean regressed = !r.regressions().isEmpty();
        out.printf("step %d: %s %s%n", step, candidate.substring(0, 8), regressed ? "REGRESSES" : "does not regress");
        out.flush();
        return regressed;
    }

    private static String subject(Path repo, String sha) {
        Processes.Outcome o = Processes.run(repo, 60, List.of("git", "log", "-1", "--format=%s", sha));
        return o.ok() ? o.output().trim() : "";
    }
}
