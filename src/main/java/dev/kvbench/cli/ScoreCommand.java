package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.decode.Strategy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Perplexity of a text: one pass over an empty past, and incrementally through the cache of --strategy.")
final class ScoreCommand implements Callable<Integer> {
    static final double TOLERANCE = 1e-4;

    @Mixin
    ModelOptionsMixin options;

    @Option(names = "--format", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ModelOptions o = options.get();
        if (o.strategy == Strategy.NO_CACHE) {
            throw new KvbenchException("score compares a full pass with a cached strategy: choose one other than no-cache");
        }
        double incremental;
        long[] ids;
        try (Engine engine = o.open()) {
            ids = o.promptIds(engine.model());
            incremental = Perplexity.incremental(engine.generator(), ids);
        }
        double full;
        try (Engine engine = new Engine(o.model, Strategy.NO_CACHE, o.engineOptions())) {
            full = Perplexity.fullPass(engine.generator(), ids);
        }
        double relative = Math.abs(full - incremental) / full;
        boolean agree = relative <= TOLERANCE;
        var out = spec.commandLine().getOut();
        if (format == OutputFormat.JSON) {
            out.printf("{\"tokens\": %d, \"perplexity_full\": %.9g, \"perplexity_incremental\": %.9g, \"strategy\": \"%s\", "
                    + "\"relative_difference\": %.3g, \"agree\": %s}%n", ids.length, full, incremental, o.strategy, relative, agree);
        } else {
            out.printf("tokens:                      %d%n", ids.length);
            out.printf("perplexity (full pass):      %.6f%n", full);
            out.printf("perplexity (incremental, %s): %.6f%n", o.strategy, incremental);
            out.printf("relative difference:         %.3g (%s, tolerance %.0e)%n", relative, agree ? "agree" : "DISAGREE", TOLERANCE);
        }
        out.flush();
        return agree ? 0 : 1;
    }
}
