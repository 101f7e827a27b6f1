package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;

/**
 * no-cache reproduces the PyTorch goldens of tiny-llama at their full 512 tokens for the shortest and the longest
 * prompt (2 and 47 tokens), and the other four 512-token cases' first tokens (every 128-token case in full): O(n^2)
 * work, so a class of its own beside {@link GoldenTest}, which runs every other strategy on all twelve cases in full.
 * (All six in full took 67 s of the suite beside another JVM; the two ends of the prompt lengths cover what the other
 * four add: the same positions, the same one graph fed the whole history.)
 */
class NoCacheGoldenTest {
    @Test
    void tinyLlamaAtBothPromptLengthsInFull() {
        java.util.List<TestModels.Golden> cases = TestModels.golden(TestModels.LLAMA);
        int shortest = 0;
        int longest = 0;
        for (int i = 0; i < cases.size(); i++) {
            if (cases.get(i).maxNewTokens() > GoldenTest.NO_CACHE_PREFIX) {
                shortest = cases.get(i).promptIds().length < cases.get(shortest).promptIds().length ? i : shortest;
                longest = cases.get(i).promptIds().length > cases.get(longest).promptIds().length ? i : longest;
            }
        }
        GoldenTest.assertReproduces(TestModels.LLAMA, Strategy.NO_CACHE, Layout.DecoderFiles.AUTO,
                java.util.Set.of(shortest, longest));
    }
}
