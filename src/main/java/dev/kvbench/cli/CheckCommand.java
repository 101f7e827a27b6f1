package dev.kvbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.decode.StrategyCheck;
import dev.kvbench.model.Layout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** What a person with a fresh export runs first: do this folder's strategies compute what no-cache computes? */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Decode a few prompts (the folder's golden.json prompts, else built-in ones) with no-cache, then feed "
                + "every other strategy the folder supports the same tokens and compare the full logits step by step. "
                + "Exit 1 when a strategy differs beyond the tolerance or cannot run.")
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model folder (Optimum / transformers.js layout).")
    Path model;

    @Option(names = "--steps", defaultValue = "32", description = "Decoding steps per prompt, 1..4096 (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--tolerance", defaultValue = "1e-3", description = "Largest absolute logit difference that still "
            + "agrees, >= 0 (default: ${DEFAULT-VALUE}).")
    double tolerance;

    @Option(names = "--decoder", defaultValue = "auto", description = "Decoder files: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Layout.DecoderFiles decoder;

    @Option(names = "--format", defaultValue = "text", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Spec
    CommandSpec spec;

    /** The options a logits comparison takes (check's and derive's), checked before any work. */
    @Override
    public Integer call() {
        Cli.checkStepsAndTolerance(model, steps, tolerance);
        List<StrategyCheck.Prompt> prompts = StrategyCheck.prompts(model);
        List<StrategyCheck.Outcome> outcomes = StrategyCheck.run(model, prompts, steps, tolerance,
                EngineOptions.defaults().withDecoderFiles(decoder), Arrays.asList(Strategy.values()));
        PrintWriter out = spec.commandLine().getOut();
        if (format == OutputFormat.JSON) {
            out.println(json(prompts, outcomes));
        } else {
            out.print(text(prompts, outcomes));
        }
        out.flush();
        boolean failed = outcomes.stream().anyMatch(o -> o.verdict() == StrategyCheck.Verdict.DIFFERS
                || o.verdict() == StrategyCheck.Verdict.CANNOT_RUN);
        return failed ? Cli.CHECK_FAILED : 0;
    }

    private String text(List<StrategyCheck.Prompt> prompts, List<StrategyCheck.Outcome> outcomes) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "check %s: %d prompt(s) (%s) x %d steps; every strategy "
                + "fed no-cache's greedy tokens, full logits compared at every step, tolerance %.3g%n", model,
                prompts.size(), prompts.get(0).name().startsWith("golden") ? "golden.json" : "built-in", steps, tolerance));
        s.append(String.format(Locale.ROOT, "%-12s %-14s %14s  %s%n", "strategy", "verdict", "max |dlogit|", "first greedy difference / reason"));
        for (StrategyCheck.Outcome o : outcomes) {
            String detail = switch (o.verdict()) {
                case AGREES, DIFFERS -> o.firstDifference() < 0 ? "none"
                        : String.format(Locale.ROOT, "%s, step %d: token %d instead of %d", o.differencePrompt(),
                        o.firstDifference(), o.token(), o.referenceToken());
                default -> o.reason();
            };
            s.append(String.format(Locale.ROOT, "%-12s %-14s %14s  %s%n", o.strategy().id(),
                    o.verdict().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                    Double.isNaN(o.maxAbsDiff()) ? "-" : String.format(Locale.ROOT, "%.3g", o.maxAbsDiff()), detail));
        }
        return s.toString();
    }

    private String json(List<StrategyCheck.Prompt> prompts, List<StrategyCheck.Outcome> outcomes) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("model", model.toString());
        root.put("reference", Strategy.NO_CACHE.id());
        root.put("steps", steps);
        root.put("tolerance", tolerance);
        root.put("prompts", prompts.size());
        ArrayNode list = root.putArray("strategies");
        for (StrategyCheck.Outcome o : outcomes) {
            ObjectNode x = list.addObject();
            x.put("strategy", o.strategy().id());
            x.put("verdict", o.verdict().name().toLowerCase(Locale.ROOT));
            Cli.putFinite(x, "max_abs_diff", o.maxAbsDiff());
            if (o.firstDifference() >= 0) {
                x.putObject("first_difference").put("prompt", o.differencePrompt()).put("step", o.firstDifference())
                        .put("reference_token", o.referenceToken()).put("token", o.token());
            } else {
                x.putNull("first_difference");
            }
            if (!o.reason().isEmpty()) {
                x.put("reason", o.reason());
            }
        }
        return root.toString();
    }
}
