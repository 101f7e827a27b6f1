package dev.kvbench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.StepFailedException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.paired.Recommendation;
import dev.kvbench.paired.StrategyVerdicts;
import dev.kvbench.results.ErrorWording;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.StrategyRoles;
import dev.kvbench.verify.Divergence;
import dev.kvbench.verify.StrategyCheck;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A bench run's recommendation from its verdicts: per configuration the pick, with its peak memory (the run's one-row
 * peak-memory figures) and its tokens checked against no-cache (8 steps of the folder's prompts, as {@code check});
 * and every lossy (quantized-cache) candidate's accuracy beside its verdict, picked or not.
 */
final class RecommendationPhase {
    private RecommendationPhase() {
    }

    /** The recommendation, the lossy candidates' accuracy as summary lines, and the same for the run record. */
    record Outcome(Recommendation recommendation, String lossyText, List<RunRecord.LossyAccuracy> lossy) {
    }

    static Outcome of(StrategyVerdicts verdicts, List<JsonNode> peakMemory, Path folder, GraphDtypes dtype) {
        Map<String, String> memoryById = new HashMap<>();
        for (JsonNode f : peakMemory == null ? List.<JsonNode>of() : peakMemory) {
            if (f.path("rows").asInt() == 1) {
                memoryById.put(f.path("strategy").asText(), String.format(Locale.ROOT, "peak resident set %.0f MiB over "
                                + "%d tokens, %.2f MiB of KV held", f.path("vmhwm_after_kib").asDouble() / 1024,
                        f.path("tokens").asInt(), f.path("kv_bytes_held_per_row").asDouble() / (1 << 20)));
            }
        }
        Map<String, String> accuracy = new HashMap<>();
        Recommendation r = Recommendation.of(verdicts, memoryById::get,
                id -> accuracy.computeIfAbsent(id, x -> checkTokens(x, folder, dtype)));
        StringBuilder loss = new StringBuilder();
        List<RunRecord.LossyAccuracy> lossy = new ArrayList<>();
        verdicts.verdicts().stream().map(StrategyVerdicts.Verdict::b).distinct().map(Strategy::parse)
                .filter(Strategy::quantizedCache).forEach(q -> {
                    String words = accuracy.computeIfAbsent(q.id(), x -> checkTokens(x, folder, dtype));
                    loss.append(String.format(Locale.ROOT, "  %s is lossy: its tokens %s%n", q, words));
                    lossy.add(new RunRecord.LossyAccuracy(q.id(), words));
                });
        return new Outcome(r, loss.toString(), lossy);
    }

    /** The strategy's tokens against no-cache's on this folder, in a few words (what `check` would say). */
    static String checkTokens(String id, Path folder, GraphDtypes dtype) {
        Strategy s = Strategy.parse(id);
        if (s == StrategyRoles.baseline()) {
            return "the baseline itself";
        }
        try {
            List<StrategyCheck.Outcome> o = StrategyCheck.run(folder, StrategyCheck.prompts(folder), 8, 1e-3,
                    EngineOptions.defaults().withDtypes(dtype), List.of(s));
            if (o.isEmpty()) {
                return "not checked";
            }
            String verdict = switch (o.get(0).verdict()) {
                case AGREES -> "agree with";
                case DRIFTS -> String.format(Locale.ROOT, "drift from (dynamic activation quantization, %.0f%% kept)",
                        100 * o.get(0).tokenAgreement());
                case LOSSY -> null;
                default -> "DIFFER from";
            };
            if (verdict == null) {
                Divergence d = o.get(0).divergence();
                return String.format(Locale.ROOT, "keep %.1f%% of no-cache's greedy tokens, perplexity %+.2f%%, KL divergence "
                        + "%.2g (p99 %.2g), greedy prefix matched %.1f tokens on average, %d at least (%d-bit cache within "
                        + "its bounds; check, %d steps, max |dlogit| %.2g)", 100 * o.get(0).tokenAgreement(),
                        100 * o.get(0).perplexityChange(), d.meanKl(), d.p99Kl(), d.matchingMean(), d.matchingMin(),
                        s.variant().cacheBits(), StrategyCheck.QUANTIZED_CHECK_STEPS, o.get(0).maxAbsDiff());
            }
            return String.format(Locale.ROOT, "%s no-cache (check, 8 steps, max |dlogit| %.2g)", verdict,
                    o.get(0).maxAbsDiff());
        } catch (KvbenchException | StepFailedException e) {
            return "not checked (" + ErrorWording.of(e) + ")";
        }
    }
}
