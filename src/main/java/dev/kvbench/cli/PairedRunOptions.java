package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The options {@code ab} and {@code bisect} share: what to measure, how many rounds and pairs, the verdict's limits. */
final class PairedRunOptions {
    static final int MAX_ROUNDS = 100;

    @Option(names = "-p", paramLabel = "NAME=V1,V2",
            description = "What is measured, repeatable: model=, strategy=, newTokens=, batchSize=, dtype= (several values: "
                    + "one configuration each); with --strategies also context= (the generation starts at that context: a "
                    + "prompt of context - newTokens tokens taken as cached, not computed) (default: -p strategy=kv "
                    + "-p newTokens=64 -p model=tiny-llama).")
    List<String> params = new ArrayList<>(List.of("strategy=kv", "newTokens=64", "model=tiny-llama"));

    @Option(names = "--rounds", defaultValue = "8", description = "Interleaved rounds, 2.." + MAX_ROUNDS + "; each is one "
            + "JVM per side and configuration, the independent unit of the test (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--pairs", defaultValue = "30", description = "generations method: measured generation pairs per "
            + "configuration and round, 5..10000 (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--warmup-ops", defaultValue = "15", description = "generations method: warm-up generations per side, "
            + "configuration and round, 1..10000 (default: ${DEFAULT-VALUE}).")
    int warmupOps;

    @Option(names = "--threshold", defaultValue = "5", description = "Regression threshold in percent (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "The git repository (default: the kvbench checkout).")
    Path root;

    void validate() {
        if (rounds < 2 || rounds > MAX_ROUNDS) {
            throw new KvbenchException("--rounds must be in 2.." + MAX_ROUNDS + ", got " + rounds);
        }
        if (pairs < 5 || pairs > 10000) {
            throw new KvbenchException("--pairs must be in 5..10000, got " + pairs);
        }
        if (warmupOps < 1 || warmupOps > 10000) {
            throw new KvbenchException("--warmup-ops must be in 1..10000, got " + warmupOps);
        }
        Cli.checkThresholds(threshold, alpha);
        for (String p : params) {
            int eq = p.indexOf('=');
            if (eq < 1 || eq == p.length() - 1) {
                throw new KvbenchException("-p takes NAME=VALUE[,VALUE...], got '" + p + "'");
            }
        }
    }

    Path repo() {
        return root.toAbsolutePath().normalize();
    }
}
