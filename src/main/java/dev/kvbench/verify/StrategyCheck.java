package dev.kvbench.verify;


import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphNodes;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import dev.kvbench.model.ModelConfig;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.DeriveHint;
import dev.kvbench.results.ErrorWording;
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.runtime.LogitsSink;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Proves that a folder's strategies agree: the no-cache strategy decodes each prompt greedily for N steps and its full
 * logits are kept per step; every other strategy the folder supports is then fed the same tokens (teacher-forced along
 * the reference's choices), and its logits are compared step by step with the reference's: the largest absolute
 * difference, and the first step where its greedy choice would differ. A strategy that cannot run gets one line,
 * in the words of the mistakes people make with exports ({@link #explain}).
 */
public final class StrategyCheck {

    /** A prompt: a decoder-only prompt or an encoder-decoder source, as ids. */
    public record Prompt(String name, long[] ids) {
    }

    /**
     * {@code DRIFTS}: differs from no-cache by what the graph's dynamic activation quantization does to a position fed
     * alone rather than with its prefix, within {@link #DRIFT_BOUND}, while agreeing with {@code kv} wherever it feeds
     * kv's positions: what a user of that file gets, not a fault of the strategy.
     */
    public enum Verdict { AGREES, DRIFTS, LOSSY, DIFFERS, CANNOT_RUN, NOT_AVAILABLE }

    /**
     * {@link Verdict#LOSSY}: a strategy with an int8 cache ({@link Strategy#quantizedCache()}) keeps at least this
     * share of no-cache's greedy tokens (teacher-forced, as every check), and the perplexity of no-cache's greedy
     * continuations under it changes by at most {@link #QUANTIZED_CACHE_PERPLEXITY}. Measured with calibrated
     * per-channel scales over 32 steps: 98.4% on the bundled tiny-llama, 100% on the Hugging Face Qwen2 fixture; scales
     * planted 20x too coarse keep 94.3% and 98.1%, 20x too fine (saturating) 14% and 56%.
     */
    public static final double QUANTIZED_CACHE_TOKENS = 0.95;

    /**
     * The token bound of a 4-bit cache (15 levels a value, not 255): measured 92.7% on tiny-llama's fp32 graph, 95.3%
     * on its q4 graph, 96.4% on its q8 graph (the saturating planted scales stay far below).
     */
    public static final double QUANTIZED_CACHE_TOKENS_4BIT = 0.90;

    /**
     * How far, either way, a quantized cache may move the perplexity of no-cache's greedy continuations (measured
     * +0.03% and +0.33% for the int8 caches above, -0.6% to +2.0% at 4 bits; the planted coarse scales -0.2% and -8.9%,
     * the saturating ones +2,100% and +3,700%).
     */
    public static final double QUANTIZED_CACHE_PERPLEXITY = 0.05;

    /** Steps per prompt a quantized cache is checked over at least: its bounds are shares of tokens, so they need some. */
    public static final int QUANTIZED_CHECK_STEPS = 32;

    /** The share of no-cache's greedy tokens a quantized cache must keep: by its bit width. */
    public static double quantizedCacheTokens(Strategy s) {
        return s.variant().cacheBits() <= 4 ? QUANTIZED_CACHE_TOKENS_4BIT : QUANTIZED_CACHE_TOKENS;
    }

    /**
     * The least share of greedy tokens (teacher-forced steps whose argmax equals the reference's) a strategy on a
     * dynamically quantized graph must keep to be called {@link Verdict#DRIFTS} rather than {@link Verdict#DIFFERS}.
     * Measured on the bundled q8 graphs: see docs/models.md.
     */
    public static final double DRIFT_BOUND = 0.9;

    /**
     * On a dynamically quantized graph, how far the perplexity a cached (incremental) pass gives may be from the full
     * pass's to be called drifting rather than disagreeing ({@code score}; {@code check}'s counterpart is
     * {@link #DRIFT_BOUND} on greedy tokens): the activations of one position are quantized with other scales than
     * the whole sequence's. Measured on the bundled q8 tiny-llama: 0.03% to 2.6% over 40 lines of text (kv, static,
     * static-gqa; hybrid up to 1.6%); a cache that breaks (wrong positions, a stale entry) moves it by tens of percent.
     */
    public static final double DRIFT_PERPLEXITY = 0.05;

    /**
     * On a dynamically quantized graph, how close a strategy that feeds kv's positions must stay to kv: within this
     * share of kv's own largest logit difference from no-cache (and every greedy token equal). The quantization
     * rounds kernel-level differences into larger ones, more with depth: measured, static and static-gqa stay within
     * 0.03 and 0.07 of kv's drift on the bundled 4-layer q8 tiny-llama, 0.30 and 0.36 on a 24-layer Qwen2.5-0.5B-shaped
     * q8 graph, 0.95 and 1.17 on that shape's q4 graph at accuracy level 4 (its drift is itself such rounding); a
     * planted variant with another dtype's weights reaches 4.3 (docs/dtypes.md). A fault smaller than about twice the
     * quantization's own drift cannot be told from it by the logits.
     */
    public static final double ROUNDING_SHARE = 2.0;

    /**
     * On a graph with float16 logits (fp16, q4f16), the tolerance is at least this many float16 steps (units in the
     * last place) at the reference's largest |logit|: float16 keeps 11 significant bits, so logits near 10 are
     * 0.0078 apart, and a strategy that computes the same values in another order (kv's concatenation against
     * no-cache's full sequence) lands a step or two away. Measured on the bundled tiny-llama fp16: kv, static and
     * static-gqa 1 step (0.0078 at |logit| below 16) over 12 prompts x 32 steps, every greedy token kept.
     */
    public static final int FLOAT16_STEPS = 4;

    /** The tolerance for float16 logits whose largest magnitude is {@code maxAbsLogit}: see {@link #FLOAT16_STEPS}. */
    public static double float16Tolerance(double tolerance, double maxAbsLogit) {
        int exponent = Math.getExponent((float) Math.max(maxAbsLogit, Math.scalb(1.0, -14)));
        return Math.max(tolerance, FLOAT16_STEPS * Math.scalb(1.0, exponent - 10));
    }

    /** The tolerance against kv on a dynamically quantized graph whose kv differs from no-cache by {@code drift}. */
    public static double roundingTolerance(double tolerance, double drift) {
        return Double.isNaN(drift) ? tolerance : Math.max(tolerance, ROUNDING_SHARE * drift);
    }

    /**
     * Whether an outcome against kv on a dynamically quantized graph is the quantization's rounding: its logits within
     * {@code bound} ({@link #roundingTolerance}). Its greedy tokens are reported, not required: the rounding flips
     * near-ties, of which random-weight models (synth) have many; a rewrite fault moves the logits far beyond the bound.
     */
    public static boolean withinRounding(Outcome vsKv, double bound) {
        return vsKv.verdict() == Verdict.AGREES || vsKv.verdict() == Verdict.DIFFERS && vsKv.maxAbsDiff() <= bound;
    }

    /**
     * One strategy's outcome. {@code firstDifference} is -1 when every greedy choice matched; then
     * {@code referenceToken}/{@code token} are -1 too. {@code tokenAgreement}: the share of steps whose greedy choice
     * equals the reference's (NaN when it did not run).
     */
    public record Outcome(Strategy strategy, Verdict verdict, double maxAbsDiff, int firstDifference, String differencePrompt,
                          int referenceToken, int token, double tokenAgreement, double perplexityChange, String reason,
                          Divergence divergence) {
        /** An outcome without distributions compared (it did not run). */
        public Outcome(Strategy strategy, Verdict verdict, double maxAbsDiff, int firstDifference, String differencePrompt,
                       int referenceToken, int token, double tokenAgreement, double perplexityChange, String reason) {
            this(strategy, verdict, maxAbsDiff, firstDifference, differencePrompt, referenceToken, token, tokenAgreement,
                    perplexityChange, reason, Divergence.NONE);
        }

        public Outcome as(Verdict v, String why) {
            return new Outcome(strategy, v, maxAbsDiff, firstDifference, differencePrompt, referenceToken, token,
                    tokenAgreement, perplexityChange, why, divergence);
        }
    }

    private StrategyCheck() {
    }

    /** The folder's golden.json prompts when it has them, else two built-in prompts (8 and 3 tokens). */
    public static List<Prompt> prompts(Path folder) {
        Path golden = folder.resolve("golden.json");
        List<Prompt> prompts = new ArrayList<>();
        if (Files.isRegularFile(golden)) {
            {
                JsonNode cases = JsonFiles.read(golden, "golden file").path("cases");
                for (JsonNode c : cases) {
                    JsonNode ids = c.path("prompt_ids");
                    if (ids.isArray() && ids.size() > 0) {
                        long[] p = new long[ids.size()];
                        for (int i = 0; i < p.length; i++) {
                            p[i] = ids.get(i).asLong();
                        }
                        prompts.add(new Prompt("golden " + (prompts.size() + 1), p));
                    }
                }
            }
        }
        if (prompts.isEmpty()) {
            prompts.add(new Prompt("built-in 1", FixedPrompts.prompt(folder, 8)));
            prompts.add(new Prompt("built-in 2", FixedPrompts.prompt(folder, 3)));
        }
        return prompts;
    }

    /**
     * Runs the check against no-cache; {@code strategies} in order, no-cache among them or not. On a graph that
     * quantizes activations at run time ({@link dev.kvbench.model.GraphNodes#dynamicActivationQuantization}), a
     * strategy that differs from no-cache is compared with {@code kv} too where it feeds kv's positions: agreeing
     * there and keeping {@link #DRIFT_BOUND} of no-cache's greedy tokens, it {@link Verdict#DRIFTS}; otherwise it
     * differs, with the reason.
     */
    public static List<Outcome> run(Path folder, List<Prompt> prompts, int steps, double tolerance, EngineOptions options,
                                    List<Strategy> strategies) {
        String quantizer = GraphNodes.dynamicActivationQuantization(options.layout(folder).decoderGraphs());
        // A quantized cache's bounds are shares of tokens, stated over QUANTIZED_CHECK_STEPS steps: it runs over at least
        // those (where the prompts leave room), the others over the steps asked for.
        List<Strategy> quantized = strategies.stream().filter(Strategy::quantizedCache).toList();
        int quantizedSteps = Math.max(steps, QUANTIZED_CHECK_STEPS);
        int positions = quantized.isEmpty() ? 0 : ModelConfig.read(folder).maxPositions();
        boolean room = positions <= 0 || prompts.stream().allMatch(p -> (long) p.ids().length + quantizedSteps <= positions);
        List<Outcome> measured = new ArrayList<>(run(folder, prompts, steps, tolerance, options, Strategy.NO_CACHE,
                quantized.isEmpty() || !room ? strategies : strategies.stream().filter(s -> !s.quantizedCache()).toList()));
        if (!quantized.isEmpty() && room) {
            // On a graph that quantizes its activations, no-cache differs from every cache by that drift already: a
            // quantized cache is then measured against static-gqa, the float cache of the same graph and positions, so
            // the bounds see the cache's own rounding.
            boolean againstFloatCache = quantizer != null && Strategy.STATIC_GQA.availableIn(options.layout(folder));
            measured.addAll(run(folder, prompts, quantizedSteps, tolerance, options,
                    againstFloatCache ? Strategy.STATIC_GQA : Strategy.NO_CACHE, quantized));
        }
        List<Outcome> vsNoCache = strategies.stream().flatMap(s -> measured.stream().filter(o -> o.strategy() == s))
                .map(o -> quantizedCache(o, quantizer, o.strategy().quantizedCache() && room ? quantizedSteps : steps)).toList();
        if (quantizer == null) {
            return vsNoCache;
        }
        List<Strategy> likeKv = new ArrayList<>();
        for (Outcome o : vsNoCache) {
            if (o.verdict() == Verdict.DIFFERS && !o.strategy().refeedsHistory() && o.strategy() != StrategyRoles.reference()
                    && !o.strategy().quantizedCache()) {
                likeKv.add(o.strategy());
            }
        }
        // The rounding of dynamic quantization turns kernel-level differences (1e-6) into larger ones: a strategy that
        // feeds kv's positions agrees with kv when every greedy token is equal and its logits stay within a share of
        // kv's own distance from no-cache (ROUNDING_SHARE; a fault differs by more).
        double drift = vsNoCache.stream().filter(o -> o.strategy() == StrategyRoles.reference()).mapToDouble(Outcome::maxAbsDiff)
                .findFirst().orElseGet(() -> run(folder, prompts, steps, tolerance, options, Strategy.NO_CACHE,
                        List.of(StrategyRoles.reference())).get(0).maxAbsDiff());
        double bound = roundingTolerance(tolerance, drift);
        // MatMulNBits at accuracy level 4 alone: the rounding is per position, so the logits cannot tell a variant's
        // kernel from a fault (derive tells them apart at level 0); the greedy tokens' bound decides here.
        boolean perPositionRounding = GraphNodes.onlyInt8MatMulNBits(options.layout(folder).decoderGraphs());
        List<Outcome> vsKv = likeKv.isEmpty() ? List.of()
                : run(folder, prompts, steps, bound, options, StrategyRoles.reference(), likeKv);
        List<Outcome> out = new ArrayList<>();
        for (Outcome o : vsNoCache) {
            if (o.verdict() != Verdict.DIFFERS || o.strategy().quantizedCache()) {
                out.add(o);
                continue;
            }
            Outcome k = vsKv.stream().filter(x -> x.strategy() == o.strategy()).findFirst().orElse(null);
            String agreement = String.format(java.util.Locale.ROOT, "%.1f%% of no-cache's greedy tokens kept",
                    100 * o.tokenAgreement());
            if (k != null && !withinRounding(k, bound) && !perPositionRounding) {
                out.add(o.as(Verdict.DIFFERS, "also differs from " + StrategyRoles.reference() + ", which feeds the same "
                        + "positions (max |dlogit| " + String.format(java.util.Locale.ROOT, "%.3g", k.maxAbsDiff())
                        + "): not explained by the graph's dynamic quantization (" + quantizer + ")"));
            } else if (o.tokenAgreement() < DRIFT_BOUND) {
                out.add(o.as(Verdict.DIFFERS, "dynamic activation quantization (" + quantizer + "), but beyond the drift "
                        + "bound: " + agreement + ", at least " + Math.round(100 * DRIFT_BOUND) + "% expected"));
            } else {
                String kvNote = k == null ? "" : withinRounding(k, bound) ? "; agrees with " + StrategyRoles.reference()
                        + " (max |dlogit| " + String.format(java.util.Locale.ROOT, "%.3g", k.maxAbsDiff()) + ")"
                        : "; " + String.format(java.util.Locale.ROOT, "%.3g", k.maxAbsDiff()) + " from "
                        + StrategyRoles.reference() + ": the int8 rounding of its other attention kernel's float-level "
                        + "differences (derive checks the rewrite at accuracy level 0, where there is no such rounding)";
                out.add(o.as(Verdict.DRIFTS, "dynamic activation quantization (" + quantizer + "); " + agreement + kvNote));
            }
        }
        return out;
    }

    /**
     * A quantized cache's outcome, held to the quantized-cache bounds: {@link Verdict#LOSSY} within them,
     * {@link Verdict#DIFFERS} (with the figures) beyond. The outcome is against no-cache, or, on a graph that also
     * quantizes its activations ({@code quantizer} not null), against static-gqa (that graph's float cache), so the
     * bounds measure the cache's rounding alone. Other outcomes pass unchanged.
     */
    static Outcome quantizedCache(Outcome o, String quantizer, int steps) {
        if (!o.strategy().quantizedCache() || o.verdict() != Verdict.DIFFERS && o.verdict() != Verdict.AGREES) {
            return o;
        }
        double tokens = quantizedCacheTokens(o.strategy());
        String against = quantizer == null ? Strategy.NO_CACHE.id() : Strategy.STATIC_GQA.id();
        String figures = String.format(java.util.Locale.ROOT, "%d-bit cache over %d steps: %.1f%% of %s's greedy "
                + "tokens kept, perplexity %+.2f%%", o.strategy().variant().cacheBits(), steps, 100 * o.tokenAgreement(),
                against, 100 * o.perplexityChange());
        String bounds = String.format(java.util.Locale.ROOT, "(bounds: at least %.0f%% kept, within ±%.0f%%%s)", 100 * tokens,
                100 * QUANTIZED_CACHE_PERPLEXITY, quantizer == null ? "" : "; measured against " + against
                        + ", the float cache of the same graph, which quantizes activations: " + quantizer);
        boolean within = o.tokenAgreement() >= tokens && Math.abs(o.perplexityChange()) <= QUANTIZED_CACHE_PERPLEXITY;
        return within ? o.as(Verdict.LOSSY, figures + " " + bounds)
                : o.as(Verdict.DIFFERS, figures + ", beyond the bounds " + bounds + ": a bad calibration? derive it "
                + "again (--calibration-file, --cache-scales)");
    }

    /** Runs the check against {@code reference} (no-cache, or kv where positions fed must match); no explanation. */
    public static List<Outcome> run(Path folder, List<Prompt> prompts, int steps, double tolerance, EngineOptions options,
                                    Strategy reference, List<Strategy> strategies) {
        return run(folder, prompts, steps, tolerance, options, reference, options, strategies);
    }

    /**
     * Runs {@code strategies} with {@code options} against {@code reference} run with {@code referenceOptions} (another
     * dtype of the same folder, for {@code check --against}); {@code reference} itself is compared only when the
     * options differ.
     */
    public static List<Outcome> run(Path folder, List<Prompt> prompts, int steps, double tolerance,
                                    EngineOptions referenceOptions, Strategy referenceStrategy, EngineOptions options,
                                    List<Strategy> strategies) {
        List<float[][]> referenceLogits = new ArrayList<>();
        List<int[]> referenceTokens = new ArrayList<>();
        boolean float16;
        try (Engine reference = new Engine(folder, referenceStrategy, referenceOptions)) {
            float16 = reference.model().logitsElement() == ai.onnxruntime.OnnxJavaType.FLOAT16;
            checkLengths(reference.model(), prompts, steps);
            // The check feeds ids, but users feed text: a tokenizer.json that is broken or of another model is bad input.
            if (java.nio.file.Files.isRegularFile(folder.resolve("tokenizer.json"))) {
                TextTokenizer.load(folder, reference.model().vocab()).close();
            }
            for (Prompt p : prompts) {
                float[][] rows = new float[steps][];
                int[] tokens = new int[steps];
                reference.generator().generate(p.ids(), steps, true, (logits, row, i) -> {
                    rows[i] = row(logits);
                    tokens[i] = argmax(rows[i]);
                    return tokens[i];
                }, null);
                referenceLogits.add(rows);
                referenceTokens.add(tokens);
            }
        }
        if (float16) {
            double maxAbs = 0;
            for (float[][] rows : referenceLogits) {
                for (float[] row : rows) {
                    for (float v : row) {
                        maxAbs = Math.max(maxAbs, Math.abs(v));
                    }
                }
            }
            tolerance = float16Tolerance(tolerance, maxAbs);
        }
        List<Outcome> outcomes = new ArrayList<>();
        Layout layout = options.layout(folder);
        for (Strategy s : strategies) {
            if (s == referenceStrategy && referenceOptions.equals(options)) {
                continue;
            }
            if (!s.availableIn(layout)) {
                outcomes.add(new Outcome(s, Verdict.NOT_AVAILABLE, Double.NaN, -1, null, -1, -1, Double.NaN, Double.NaN,
                        DeriveHint.unavailable(s.variant(), folder, layout)));
                continue;
            }
            // Near-ties are float16's rounding for a float cache; a quantized cache's flips are its own, shown as they are.
            outcomes.add(compare(folder, s, prompts, steps, tolerance, float16 && !s.quantizedCache() ? tolerance : 0,
                    options, referenceLogits, referenceTokens));
        }
        return outcomes;
    }

    /**
     * One strategy against the reference. A greedy choice that differs where the reference's own logits for the two
     * tokens are within {@code tieMargin} is a near-tie flipped by rounding (float16 graphs: the tolerance), counted
     * in the tokens kept but not as the first difference.
     */
    private static Outcome compare(Path folder, Strategy s, List<Prompt> prompts, int steps, double tolerance,
                                   double tieMargin, EngineOptions options, List<float[][]> refLogits,
                                   List<int[]> refTokens) {
        double max = 0;
        int firstStep = -1;
        String firstPrompt = null;
        int refToken = -1;
        int token = -1;
        int[] agreeing = {0, 0, 0}; // steps whose choice is the reference's, steps, near-ties flipped
        double[] logLikelihood = {0, 0}; // of the reference's tokens: under this strategy, under the reference
        Divergence.Accumulator divergence = new Divergence.Accumulator();
        try (Engine engine = new Engine(folder, s, options)) {
            for (int c = 0; c < prompts.size(); c++) {
                float[][] ref = refLogits.get(c);
                int[] forced = refTokens.get(c);
                double[] caseMax = {0};
                int[] caseFirst = {-1, -1};
                engine.generator().generate(prompts.get(c).ids(), steps, true, (logits, row, i) -> {
                    float[] mine = row(logits);
                    for (int t = 0; t < mine.length; t++) {
                        caseMax[0] = Math.max(caseMax[0], Math.abs(mine[t] - ref[i][t]));
                    }
                    divergence.step(ref[i], mine, forced[i], i);
                    int choice = argmax(mine);
                    logLikelihood[0] += logProbability(mine, forced[i]);
                    logLikelihood[1] += logProbability(ref[i], forced[i]);
                    agreeing[0] += choice == forced[i] ? 1 : 0;
                    agreeing[1]++;
                    boolean tie = choice != forced[i] && ref[i][forced[i]] - ref[i][choice] <= tieMargin;
                    agreeing[2] += tie ? 1 : 0;
                    if (choice != forced[i] && caseFirst[0] < 0 && !tie) {
                        caseFirst[0] = i;
                        caseFirst[1] = choice;
                    }
                    return forced[i]; // teacher-forced along the reference, so every step compares the same context
                }, null);
                divergence.endPrompt(steps);
                max = Math.max(max, caseMax[0]);
                if (caseFirst[0] >= 0 && firstStep < 0) {
                    firstStep = caseFirst[0];
                    firstPrompt = prompts.get(c).name();
                    refToken = forced[caseFirst[0]];
                    token = caseFirst[1];
                }
            }
        } catch (RuntimeException e) {
            return new Outcome(s, Verdict.CANNOT_RUN, Double.NaN, -1, null, -1, -1, Double.NaN, Double.NaN, explain(ErrorWording.of(e)));
        }
        boolean agrees = max <= tolerance && firstStep < 0;
        return new Outcome(s, agrees ? Verdict.AGREES : Verdict.DIFFERS, max, firstStep, firstPrompt, refToken, token,
                agreeing[1] == 0 ? Double.NaN : (double) agreeing[0] / agreeing[1],
                agreeing[1] == 0 ? Double.NaN : Math.exp((logLikelihood[1] - logLikelihood[0]) / agreeing[1]) - 1,
                agreeing[2] == 0 ? "" : String.format(java.util.Locale.ROOT, "%d near-tie(s) flipped: the reference's "
                        + "two tokens within %.3g of each other, float16's rounding", agreeing[2], tieMargin),
                divergence.result());
    }

    /** log softmax(row)[token], computed stably. */
    static double logProbability(float[] row, int token) {
        return row[token] - Divergence.logSumExp(row);
    }

    private static void checkLengths(Model model, List<Prompt> prompts, int steps) {
        for (Prompt p : prompts) {
            long positions = (model.encoderDecoder() ? 1 : p.ids().length) + (long) steps;
            if (positions > model.maxPositions()) {
                throw new KvbenchException(p.name() + ": " + (model.encoderDecoder() ? "1 start token" : p.ids().length + " prompt tokens")
                        + " + --steps " + steps + " = " + positions + " positions, beyond the model's " + model.maxPositions());
            }
        }
    }

    static float[] row(LogitsSink logits) {
        float[] r = new float[logits.vocab()];
        for (int t = 0; t < r.length; t++) {
            r[t] = logits.get(t);
        }
        return r;
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int t = 1; t < row.length; t++) {
            if (row[t] > row[best]) {
                best = t;
            }
        }
        return best;
    }

    /** An ONNX Runtime error, said in the words of the export mistakes that cause it. */
    public static String explain(String error) {
        String e = error == null ? "" : error;
        String lower = e.toLowerCase(java.util.Locale.ROOT);
        String hint;
        if (lower.contains("use_cache_branch")) {
            hint = "the merged decoder's use_cache_branch must be false on the first step (zero-length past) and true after";
        } else if (lower.contains("reshape") && lower.contains("0")) {
            hint = "past shapes: a step's past must be [batch, kv_heads, past_length, head_dim], zero-length on the first "
                    + "step, with the branch flag matching";
        } else if (lower.contains("invalid dimensions") || lower.contains("kv_heads") || lower.contains("num_heads")) {
            hint = "KV head count: past tensors take the model's KV heads (GQA: fewer than the query heads), read from the "
                    + "graph's past inputs";
        } else if (lower.contains("zero") && lower.contains("past")) {
            hint = "zero-length past: the first step of a cached model needs [batch, kv_heads, 0, head_dim] pasts";
        } else {
            return e;
        }
        return e + " -- likely cause: " + hint;
    }
}
