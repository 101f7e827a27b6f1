package dev.kvbench.matrix;

import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.Statistics;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The default run's verdict on shared prompts: re-ranking {@link #CANDIDATES} candidates of {@link #CANDIDATE_TOKENS}
 * tokens given one prompt of {@link #PROMPT_TOKENS} tokens (fewer where the model's positions end sooner), with the prompt
 * computed once and reused against computed for every candidate, for one strategy, in interleaved paired rounds in
 * this process (the side that goes first alternates, so drift of the machine cancels in each round's ratio). It also
 * says whether the two sides scored the same.
 */
final class SharedPromptVerdict {
    static final int PROMPT_TOKENS = 512;
    static final int CANDIDATES = 16;
    static final int CANDIDATE_TOKENS = 16;
    static final int ROUNDS = 6;

    private SharedPromptVerdict() {
    }

    /**
     * The rounds' outcome: {@code paired} is reuse's time over recompute's (below 1: reuse is faster), with its 95%
     * interval; {@code scoreDifference} the largest relative difference of a candidate's log-likelihood between them.
     */
    record Outcome(Strategy strategy, int promptTokens, Statistics.Paired paired, double reuseMs, double recomputeMs,
                   double scoreDifference) {

        String text() {
            String speed;
            if (Double.isNaN(paired.low())) {
                speed = String.format(Locale.ROOT, "reuse %.1fx as fast as recompute (one round: no interval)", 1 / paired.ratio());
            } else if (paired.low() <= 1 && paired.high() >= 1) {
                speed = String.format(Locale.ROOT, "reuse and recompute not told apart (%.2fx, 95%% CI [%.2f, %.2f])",
                        1 / paired.ratio(), 1 / paired.high(), 1 / paired.low());
            } else {
                speed = String.format(Locale.ROOT, "reuse is %.1fx as fast as recompute (95%% CI [%.1f, %.1f])",
                        1 / paired.ratio(), 1 / paired.high(), 1 / paired.low());
            }
            return String.format(Locale.ROOT, "%nShared prompts: re-ranking %d candidates of %d tokens given a %d-token "
                            + "prompt, %s, %d interleaved paired rounds in this process%n  %s; median %.0f ms recomputed, %.0f ms "
                            + "reused; %s%n", CANDIDATES, CANDIDATE_TOKENS, promptTokens, strategy, paired.rounds(), speed,
                    recomputeMs, reuseMs, scoreDifference <= tolerance(strategy)
                            ? String.format(Locale.ROOT, "the same scores (largest relative difference %.1g)", scoreDifference)
                            : String.format(Locale.ROOT, "SCORES DIFFER by up to %.2g relative (bound %.0e)", scoreDifference,
                            tolerance(strategy)));
        }
    }

    /** How far reuse may move a score: float caches compute the same entries; a quantized cache rounds them. */
    static double tolerance(Strategy s) {
        return s.quantizedCache() ? 1e-3 : 1e-4;
    }

    /** {@code rounds} paired rounds at a prompt of {@code promptTokens} (fewer where the model's positions end sooner). */
    static Outcome run(Path folder, GraphDtypes dtype, Strategy strategy, int rounds, int promptTokens) {
        try (Engine engine = new Engine(folder, strategy, EngineOptions.defaults().withDtypes(dtype))) {
            promptTokens = Math.min(promptTokens, engine.model().maxPositions() - CANDIDATE_TOKENS);
            long[] prompt = FixedPrompts.prompt(engine.model(), promptTokens);
            List<long[]> candidates = FixedPrompts.continuations(engine.model(), CANDIDATES, CANDIDATE_TOKENS);
            double[] reuse = new double[rounds];
            double[] recompute = new double[rounds];
            double[][] scores = new double[2][];
            for (int i = -1; i < rounds; i++) { // round -1 warms both paths up
                for (int side = 0; side < 2; side++) {
                    boolean reused = (side == 0) == (i % 2 == 0);
                    long t0 = System.nanoTime();
                    List<Perplexity.Score> s = Perplexity.givenPrefix(engine.generator(), prompt, candidates, reused);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    scores[reused ? 0 : 1] = s.stream().mapToDouble(Perplexity.Score::logLikelihood).toArray();
                    if (i >= 0) {
                        (reused ? reuse : recompute)[i] = ms;
                    }
                }
            }
            double difference = 0;
            for (int k = 0; k < candidates.size(); k++) {
                difference = Math.max(difference, Math.abs(scores[0][k] - scores[1][k]) / Math.abs(scores[1][k]));
            }
            return new Outcome(strategy, promptTokens, Statistics.paired(recompute, reuse, 0.95),
                    Statistics.quantile(reuse, 0.5), Statistics.quantile(recompute, 0.5), difference);
        }
    }
}
