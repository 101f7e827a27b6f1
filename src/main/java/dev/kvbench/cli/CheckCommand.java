package dev.kvbench.cli;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.verify.Divergence;
import dev.kvbench.verify.DtypeAccuracy;
import dev.kvbench.verify.StrategyCheck;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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

    @Option(names = "--dtype", defaultValue = "fp32", converter = DtypeOption.PerGraph.class, paramLabel = "DTYPE",
            description = "Which of the folder's graphs: " + DtypeOption.CHOICES_PER_GRAPH + " (default: ${DEFAULT-VALUE}).")
    GraphDtypes dtype;

    @Option(names = "--against", converter = DtypeOption.PerGraph.class, paramLabel = "DTYPE",
            description = "Instead of the strategies against no-cache: what --dtype costs in accuracy against this dtype "
                    + "of the same folder (greedy tokens kept, max |dlogit|, perplexity of the prompts' continuations).")
    GraphDtypes against;

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
        EngineOptions options = EngineOptions.defaults().withDecoderFiles(decoder).withDtypes(dtype);
        options.layout(model); // a dtype the folder lacks: one line naming those it has, before any work
        List<StrategyCheck.Prompt> prompts = StrategyCheck.prompts(model);
        if (against != null) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--tolerance")) {
                throw new KvbenchException("--tolerance bounds the strategies' agreement with no-cache; --against measures "
                        + "a dtype's cost in accuracy, which no tolerance decides");
            }
            if (against.equals(dtype)) {
                throw new KvbenchException("--against " + against + " is --dtype itself: name another dtype of the folder");
            }
            EngineOptions reference = options.withDtypes(against);
            reference.layout(model);
            return againstDtype(prompts, DtypeAccuracy.measure(model, prompts, steps, options, reference,
                    Arrays.asList(Strategy.values())));
        }
        List<StrategyCheck.Outcome> outcomes = StrategyCheck.run(model, prompts, steps, tolerance, options,
                Arrays.asList(Strategy.values()));
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
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "check %s%s: %d prompt(s) (%s) x %d steps; every "
                + "strategy fed no-cache's greedy tokens, full logits compared at every step, tolerance %.3g%s%n", model,
                dtype.equals(GraphDtypes.of(Dtype.FP32)) ? "" : " (" + dtype + ")", prompts.size(),
                prompts.get(0).name().startsWith("golden") ? "golden.json" : "built-in", steps, tolerance,
                dtype.decoder().float16Io() ? " or " + StrategyCheck.FLOAT16_STEPS + " float16 steps at the largest |logit|, "
                        + "whichever is larger" : ""));
        s.append(String.format(Locale.ROOT, "%-15s %-14s %14s %12s %s  %s%n", "strategy", "verdict", "max |dlogit|",
                "tokens kept", DIVERGENCE_HEADER, "first greedy difference / reason"));
        for (StrategyCheck.Outcome o : outcomes) {
            String first = o.firstDifference() < 0 ? "none" : String.format(Locale.ROOT, "%s, step %d: token %d instead of %d",
                    o.differencePrompt(), o.firstDifference(), o.token(), o.referenceToken());
            String detail = switch (o.verdict()) {
                case AGREES, DIFFERS, DRIFTS, LOSSY -> o.reason().isEmpty() ? first : first + "; " + o.reason();
                default -> o.reason();
            };
            String verdict = o.verdict() == StrategyCheck.Verdict.DRIFTS ? "differs: dynamic activation quantization"
                    : o.verdict().name().toLowerCase(Locale.ROOT).replace('_', ' ');
            s.append(String.format(Locale.ROOT, "%-15s %-14s %14s %12s %s  %s%n", o.strategy().id(),
                    o.verdict() == StrategyCheck.Verdict.DRIFTS ? "drifts" : verdict,
                    Double.isNaN(o.maxAbsDiff()) ? "-" : String.format(Locale.ROOT, "%.3g", o.maxAbsDiff()),
                    Double.isNaN(o.tokenAgreement()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * o.tokenAgreement()),
                    divergenceCells(o.divergence()), detail));
        }
        s.append(DIVERGENCE_NOTE);
        if (outcomes.stream().anyMatch(o -> o.verdict() == StrategyCheck.Verdict.DRIFTS)) {
            s.append(String.format(Locale.ROOT, "drifts = differs: dynamic activation quantization. The graph quantizes "
                    + "activations at run time (one scale per tensor, or MatMulNBits' int8 kernel, which takes other "
                    + "paths for one row than for many), so a position fed alone (a cached step) comes out differently "
                    + "than fed with its prefix (no-cache): a cache cannot give no-cache's tokens on this graph, whatever "
                    + "the engine does. Within the bound (at least %.0f%% of no-cache's greedy tokens "
                    + "kept, and agreeing with %s where it feeds the same positions): exit 0.%n",
                    100 * StrategyCheck.DRIFT_BOUND, StrategyRoles.reference()));
        }
        if (outcomes.stream().anyMatch(o -> o.verdict() == StrategyCheck.Verdict.LOSSY)) {
            s.append(String.format(Locale.ROOT, "lossy = a quantized cache's rounding, within the bounds: at least %.0f%% "
                    + "(8 bits) or %.0f%% (4 bits) of no-cache's greedy tokens kept and the perplexity of its continuations "
                    + "within ±%.0f%% (each key and value is stored as round(x / scale), the scales calibrated by derive): "
                    + "exit 0.%n", 100 * StrategyCheck.QUANTIZED_CACHE_TOKENS, 100 * StrategyCheck.QUANTIZED_CACHE_TOKENS_4BIT,
                    100 * StrategyCheck.QUANTIZED_CACHE_PERPLEXITY));
        }
        return s.toString();
    }

    private static final String DIVERGENCE_HEADER = String.format(Locale.ROOT, "%10s %10s %8s %13s", "KLD mean",
            "KLD p99", "RMS dp", "matching");

    private static final String DIVERGENCE_NOTE = "tokens kept = top-1 agreement under teacher forcing; KLD = "
            + "KL(reference || this) of the next-token distributions per step, in nats (mean, 99th percentile);\nRMS dp = "
            + "root mean square change of the reference token's probability; matching = greedy tokens before the first "
            + "difference, mean/min over the prompts, of the steps run\n";

    /** The divergence columns of one row ({@link Divergence}), dashes where the strategy did not run. */
    static String divergenceCells(Divergence d) {
        if (Double.isNaN(d.meanKl())) {
            return String.format(Locale.ROOT, "%10s %10s %8s %13s", "-", "-", "-", "-");
        }
        return String.format(Locale.ROOT, "%10.3g %10.3g %7.2f%% %13s", d.meanKl(), d.p99Kl(), 100 * d.rmsDeltaP(),
                String.format(Locale.ROOT, "%.1f/%d of %d", d.matchingMean(), d.matchingMin(), d.steps()));
    }

    /** The divergence fields of one strategy's JSON object (absent figures are null). */
    static void putDivergence(ObjectNode x, Divergence d) {
        Cli.putFinite(x, "kl_divergence_mean", d.meanKl());
        Cli.putFinite(x, "kl_divergence_p99", d.p99Kl());
        Cli.putFinite(x, "top1_agreement", x.path("token_agreement").isNumber() ? x.path("token_agreement").asDouble()
                : Double.NaN);
        Cli.putFinite(x, "rms_delta_p", d.rmsDeltaP());
        Cli.putFinite(x, "matching_prefix_mean", d.matchingMean());
        if (d.matchingMin() >= 0) {
            x.put("matching_prefix_min", d.matchingMin());
        } else {
            x.putNull("matching_prefix_min");
        }
    }

    /** {@code --against}: the dtype's accuracy cost, one line per strategy and the perplexities; exit 1 if one cannot run. */
    private Integer againstDtype(List<StrategyCheck.Prompt> prompts, DtypeAccuracy.Result r) {
        PrintWriter out = spec.commandLine().getOut();
        if (format == OutputFormat.JSON) {
            ObjectNode root = JsonFiles.MAPPER.createObjectNode();
            root.put("model", model.toString()).put("dtype", dtype.id()).put("against", against.id()).put("steps", steps)
                    .put("prompts", prompts.size());
            Cli.putFinite(root, "perplexity", r.perplexity());
            Cli.putFinite(root, "against_perplexity", r.againstPerplexity());
            Cli.putFinite(root, "relative_perplexity_delta", r.relativePerplexityDelta());
            ArrayNode list = root.putArray("strategies");
            for (StrategyCheck.Outcome o : r.outcomes()) {
                // A measurement, not a check: no tolerance decides, so there is no verdict, only whether it ran.
                ObjectNode x = list.addObject().put("strategy", o.strategy().id()).put("status",
                        o.verdict() == StrategyCheck.Verdict.CANNOT_RUN || o.verdict() == StrategyCheck.Verdict.NOT_AVAILABLE
                                ? o.verdict().name().toLowerCase(Locale.ROOT) : "measured");
                Cli.putFinite(x, "max_abs_diff", o.maxAbsDiff());
                Cli.putFinite(x, "token_agreement", o.tokenAgreement());
                Cli.putFinite(x, "perplexity_change", o.perplexityChange());
                putDivergence(x, o.divergence());
                if (!o.reason().isEmpty()) {
                    x.put("reason", o.reason());
                }
            }
            out.println(root);
        } else {
            out.printf(Locale.ROOT, "check %s --dtype %s --against %s: %d prompt(s) x %d steps, each strategy on %s fed %s "
                    + "no-cache's greedy tokens%n", model, dtype, against, prompts.size(), steps, dtype, against);
            out.printf(Locale.ROOT, "%-15s %14s %12s %s%n", "strategy", "max |dlogit|", "tokens kept", DIVERGENCE_HEADER);
            for (StrategyCheck.Outcome o : r.outcomes()) {
                out.printf(Locale.ROOT, "%-15s %14s %12s %s%s%n", o.strategy().id(),
                        Double.isNaN(o.maxAbsDiff()) ? "-" : String.format(Locale.ROOT, "%.3g", o.maxAbsDiff()),
                        Double.isNaN(o.tokenAgreement()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * o.tokenAgreement()),
                        divergenceCells(o.divergence()), o.reason().isEmpty() ? "" : "  " + o.reason());
            }
            out.print(DIVERGENCE_NOTE);
            out.printf(Locale.ROOT, "perplexity of %s's %d-token continuations of the %d prompt(s): %s %.4f, %s %.4f "
                    + "(%+.2f%%)%n", against, steps, prompts.size(), dtype, r.perplexity(), against, r.againstPerplexity(),
                    100 * r.relativePerplexityDelta());
        }
        out.flush();
        return r.outcomes().stream().anyMatch(o -> o.verdict() == StrategyCheck.Verdict.CANNOT_RUN) ? Cli.CHECK_FAILED : 0;
    }

    private String json(List<StrategyCheck.Prompt> prompts, List<StrategyCheck.Outcome> outcomes) {
        ObjectMapper m = JsonFiles.MAPPER;
        ObjectNode root = m.createObjectNode();
        root.put("model", model.toString());
        root.put("dtype", dtype.id());
        root.put("reference", Strategy.NO_CACHE.id());
        root.put("drift_bound", StrategyCheck.DRIFT_BOUND);
        root.put("quantized_cache_token_bound", StrategyCheck.QUANTIZED_CACHE_TOKENS);
        root.put("quantized_cache_token_bound_4bit", StrategyCheck.QUANTIZED_CACHE_TOKENS_4BIT);
        root.put("quantized_cache_perplexity_bound", StrategyCheck.QUANTIZED_CACHE_PERPLEXITY);
        root.put("steps", steps);
        root.put("tolerance", tolerance);
        root.put("prompts", prompts.size());
        ArrayNode list = root.putArray("strategies");
        for (StrategyCheck.Outcome o : outcomes) {
            ObjectNode x = list.addObject();
            x.put("strategy", o.strategy().id());
            x.put("verdict", o.verdict().name().toLowerCase(Locale.ROOT));
            Cli.putFinite(x, "max_abs_diff", o.maxAbsDiff());
            Cli.putFinite(x, "token_agreement", o.tokenAgreement());
            Cli.putFinite(x, "perplexity_change", o.perplexityChange());
            putDivergence(x, o.divergence());
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
