package dev.kvbench.matrix;

import dev.kvbench.TestModels;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default run's shared-prompt verdict on real engines: reuse and recompute score the same, the rounds are paired,
 * and the text says what was compared. Timing is not asserted (that is the benchmarks' job).
 */
class SharedPromptVerdictTest {
    @Test
    void reuseAgainstRecomputeScoresTheSameAndSaysSo() {
        for (Strategy s : new Strategy[] {Strategy.KV, Strategy.STATIC_GQA_INT8}) {
            SharedPromptVerdict.Outcome o = SharedPromptVerdict.run(TestModels.LLAMA, GraphDtypes.of(Dtype.FP32), s, 3, 64);
            assertEquals(3, o.paired().rounds());
            assertEquals(64, o.promptTokens());
            assertTrue(o.scoreDifference() <= SharedPromptVerdict.tolerance(s), s + ": " + o.scoreDifference());
            assertTrue(o.reuseMs() > 0 && o.recomputeMs() > 0);
            String text = o.text();
            assertTrue(text.contains("re-ranking 16 candidates of 16 tokens given a 64-token prompt, " + s + ", 3 interleaved "
                    + "paired rounds"), text);
            assertTrue(text.contains("the same scores"), text);
        }
        // An encoder-decoder model: the source is the prompt, cut to its positions.
        SharedPromptVerdict.Outcome marian = SharedPromptVerdict.run(TestModels.MARIAN, GraphDtypes.of(Dtype.FP32), Strategy.STATIC, 2, 4096);
        assertTrue(marian.promptTokens() < 4096 && marian.scoreDifference() <= 1e-4, marian.toString());
    }
}
