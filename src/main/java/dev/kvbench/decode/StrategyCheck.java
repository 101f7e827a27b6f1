package dev.kvbench.decode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.KvbenchException;
import dev.kvbench.model.Model;
import dev.kvbench.results.BenchmarkContract;

import java.io.IOException;
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

    public enum Verdict { AGREES, DIFFERS, CANNOT_RUN, NOT_AVAILABLE }

    /**
     * One strategy's outcome. {@code firstDifference} is -1 when every greedy choice matched; then
     * {@code referenceToken}/{@code token} are -1 too.
     */
    public record Outcome(Strategy strategy, Verdict verdict, double maxAbsDiff, int firstDifference, String differencePrompt,
                          int referenceToken, int token, String reason) {
    }

    private StrategyCheck() {
    }

    /** The folder's golden.json prompts when it has them, else two built-in prompts (8 and 3 tokens). */
    public static List<Prompt> prompts(Path folder) {
        Path golden = folder.resolve("golden.json");
        List<Prompt> prompts = new ArrayList<>();
        if (Files.isRegularFile(golden)) {
            {
                JsonNode cases = dev.kvbench.results.JsonFiles.read(golden, "golden file").path("cases");
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
            prompts.add(new Prompt("built-in 1", BenchmarkContract.prompt(folder, 8)));
            prompts.add(new Prompt("built-in 2", BenchmarkContract.prompt(folder, 3)));
        }
        return prompts;
    }

    /** Runs the check; {@code strategies} in order, no-cache (the reference) among them or not. */
    public static List<Outcome> run(Path folder, List<Prompt> prompts, int steps, double tolerance, EngineOptions options,
                                    List<Strategy> strategies) {
        List<float[][]> referenceLogits = new ArrayList<>();
        List<int[]> referenceTokens = new ArrayList<>();
        try (Engine reference = new Engine(folder, Strategy.NO_CACHE, options)) {
            checkLengths(reference.model(), prompts, steps);
            // The check feeds ids, but users feed text: a tokenizer.json that is broken or of another model is bad input.
            if (java.nio.file.Files.isRegularFile(folder.resolve("tokenizer.json"))) {
                dev.kvbench.tokenizer.TextTokenizer.load(folder, reference.model().vocab()).close();
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
        List<Outcome> outcomes = new ArrayList<>();
        for (Strategy s : strategies) {
            if (s == Strategy.NO_CACHE) {
                continue;
            }
            if (!s.availableIn(folder)) {
                outcomes.add(new Outcome(s, Verdict.NOT_AVAILABLE, Double.NaN, -1, null, -1, -1,
                        s.variant().unavailableReason(folder)));
                continue;
            }
            outcomes.add(compare(folder, s, prompts, steps, tolerance, options, referenceLogits, referenceTokens));
        }
        return outcomes;
    }

    private static Outcome compare(Path folder, Strategy s, List<Prompt> prompts, int steps, double tolerance,
                                   EngineOptions options, List<float[][]> refLogits, List<int[]> refTokens) {
        double max = 0;
        int firstStep = -1;
        String firstPrompt = null;
        int refToken = -1;
        int token = -1;
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
                    int choice = argmax(mine);
                    if (choice != forced[i] && caseFirst[0] < 0) {
                        caseFirst[0] = i;
                        caseFirst[1] = choice;
                    }
                    return forced[i]; // teacher-forced along the reference, so every step compares the same context
                }, null);
                max = Math.max(max, caseMax[0]);
                if (caseFirst[0] >= 0 && firstStep < 0) {
                    firstStep = caseFirst[0];
                    firstPrompt = prompts.get(c).name();
                    refToken = forced[caseFirst[0]];
                    token = caseFirst[1];
                }
            }
        } catch (RuntimeException e) {
            return new Outcome(s, Verdict.CANNOT_RUN, Double.NaN, -1, null, -1, -1, explain(KvbenchException.firstLine(String.valueOf(e.getMessage()))));
        }
        boolean agrees = max <= tolerance && firstStep < 0;
        return new Outcome(s, agrees ? Verdict.AGREES : Verdict.DIFFERS, max, firstStep, firstPrompt, refToken, token, "");
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

    private static float[] row(dev.kvbench.runtime.LogitsSink logits) {
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
