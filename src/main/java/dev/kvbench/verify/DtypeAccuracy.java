package dev.kvbench.verify;

import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.decode.Strategy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a dtype costs in accuracy against another dtype of the same folder ({@code check --dtype q4 --against fp32}):
 * each strategy on the dtype teacher-forced along the other dtype's no-cache greedy tokens (the share of greedy tokens
 * kept, the largest logit difference, as {@link StrategyCheck} reports them), and the perplexity both give the same
 * texts: each prompt followed by the other dtype's greedy continuation, scored in one pass by no-cache.
 */
public final class DtypeAccuracy {
    /** The comparison: per-strategy outcomes against {@code against}'s no-cache, and the two perplexities. */
    public record Result(List<StrategyCheck.Outcome> outcomes, double perplexity, double againstPerplexity, int texts,
                         int tokens) {
        /** (perplexity - against) / against. */
        public double relativePerplexityDelta() {
            return (perplexity - againstPerplexity) / againstPerplexity;
        }
    }

    private DtypeAccuracy() {
    }

    public static Result measure(Path folder, List<StrategyCheck.Prompt> prompts, int steps, EngineOptions options,
                                 EngineOptions against, List<Strategy> strategies) {
        List<StrategyCheck.Outcome> outcomes = StrategyCheck.run(folder, prompts, steps, Double.POSITIVE_INFINITY, against,
                Strategy.NO_CACHE, options, strategies);
        List<long[]> continuations = new ArrayList<>();
        try (Engine reference = new Engine(folder, Strategy.NO_CACHE, against)) {
            for (StrategyCheck.Prompt p : prompts) {
                long[] tokens = new long[steps];
                reference.generator().generate(p.ids(), steps, true, (logits, row, i) -> {
                    int choice = StrategyCheck.argmax(StrategyCheck.row(logits));
                    tokens[i] = choice;
                    return choice;
                }, null);
                continuations.add(tokens);
            }
        }
        double mine = perplexity(folder, options, prompts, continuations);
        double theirs = perplexity(folder, against, prompts, continuations);
        return new Result(outcomes, mine, theirs, prompts.size(), steps * prompts.size());
    }

    /**
     * Perplexity of the continuations given their prompts, every text's continuation tokens together: the same tokens
     * each strategy's {@code perplexityChange} is over, so the two figures agree in sign. Decoder-only: the
     * log-likelihood of prompt then continuation in one pass less that of the prompt alone (scoring is causal, so the
     * prompt's tokens score alike in both); encoder-decoder: the target given the source.
     */
    private static double perplexity(Path folder, EngineOptions options, List<StrategyCheck.Prompt> prompts,
                                     List<long[]> continuations) {
        try (Engine e = new Engine(folder, Strategy.NO_CACHE, options)) {
            List<Perplexity.Score> scores;
            if (e.model().encoderDecoder()) {
                scores = Perplexity.fullPass(e.generator(), prompts.stream().map(StrategyCheck.Prompt::ids).toList(),
                        continuations);
            } else {
                List<long[]> texts = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) {
                    long[] p = prompts.get(i).ids();
                    long[] t = java.util.Arrays.copyOf(p, p.length + continuations.get(i).length);
                    System.arraycopy(continuations.get(i), 0, t, p.length, continuations.get(i).length);
                    texts.add(t);
                }
                scores = Perplexity.fullPass(e.generator(), texts);
                List<long[]> alone = prompts.stream().map(StrategyCheck.Prompt::ids).filter(p -> p.length > 1).toList();
                double[] whole = sum(scores);
                double[] prompt = alone.isEmpty() ? new double[2] : sum(Perplexity.fullPass(e.generator(), alone));
                return Math.exp(-(whole[0] - prompt[0]) / (whole[1] - prompt[1]));
            }
            double[] total = sum(scores);
            return Math.exp(-total[0] / total[1]);
        }
    }

    /** Log-likelihood and token count of {@code scores} together. */
    private static double[] sum(List<Perplexity.Score> scores) {
        double[] total = new double[2];
        for (Perplexity.Score s : scores) {
            total[0] += s.logLikelihood();
            total[1] += s.tokens();
        }
        return total;
    }
}
