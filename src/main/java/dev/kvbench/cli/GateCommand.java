package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.RegressionGate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The CI regression gate: heap bytes per op against a baseline, and the in-run kv/no-cache speedup floor. */
@Command(name = "gate", mixinStandardHelpOptions = true,
        description = "Fail (exit 1) on an allocation regression against BASELINE, a baseline configuration missing from "
                + "RESULT, a kv speedup below the floor, or a serving figure (serve --out) significantly worse than "
                + "--serving-threshold.")
final class GateCommand implements Callable<Integer> {
    /** Floor for kv's speedup over no-cache at 256 new tokens, measured within one run (docs/comparing-commits.md, "CI regression gate"). */
    static final String DEFAULT_MIN_SPEEDUP = "6";

    @Parameters(index = "0", paramLabel = "BASELINE.json", description = "The recorded baseline (JMH JSON with -prof gc).")
    Path baseline;

    @Parameters(index = "1", paramLabel = "RESULT.json", description = "The new run (JMH JSON with -prof gc).")
    Path result;

    @Option(names = "--alloc-tolerance", defaultValue = "10", description = "Allowed heap-bytes-per-op increase, percent (default: ${DEFAULT-VALUE}).")
    double allocTolerance;

    @Option(names = "--min-speedup", defaultValue = DEFAULT_MIN_SPEEDUP, description = "Floor for kv vs no-cache (default: ${DEFAULT-VALUE}).")
    double minSpeedup;

    @Option(names = "--speedup-tokens", defaultValue = "256", description = "New tokens at which the speedup is taken (default: ${DEFAULT-VALUE}).")
    int speedupTokens;

    @Option(names = "--serving-threshold", defaultValue = "10", description = "Serving figures (from serve --out): how "
            + "much worse, percent, a significant change may be (default: ${DEFAULT-VALUE}).")
    double servingThreshold;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!(allocTolerance >= 0)) {
            throw new KvbenchException("--alloc-tolerance must be >= 0, got " + allocTolerance);
        }
        if (!(minSpeedup > 0)) {
            throw new KvbenchException("--min-speedup must be > 0, got " + minSpeedup);
        }
        if (!(servingThreshold >= 0) || Double.isInfinite(servingThreshold)) {
            throw new KvbenchException("--serving-threshold must be a finite number >= 0, got " + servingThreshold);
        }
        if (speedupTokens < 1) {
            throw new KvbenchException("--speedup-tokens must be >= 1, got " + speedupTokens);
        }
        RunMeta.modelWarnings(baseline, result).forEach(w -> spec.commandLine().getErr().println("kvbench: warning: " + w));
        RegressionGate.Outcome o = RegressionGate.check(JmhResults.read(baseline), JmhResults.read(result), allocTolerance,
                minSpeedup, speedupTokens, servingThreshold);
        var out = spec.commandLine().getOut();
        out.print(o.report());
        out.println(o.passed() ? "gate: PASS" : "gate: FAIL");
        o.failures().forEach(f -> out.println("  - " + f));
        out.flush();
        return o.passed() ? 0 : Cli.CHECK_FAILED;
    }
}
