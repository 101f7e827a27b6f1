package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;

/**
 * no-cache reproduces every PyTorch golden of tiny-llama in full, the six 512-token generations included: O(n^2) work,
 * about a minute, so a class of its own beside {@link GoldenTest} (which runs every other strategy on the same cases).
 */
class NoCacheGoldenTest {
    @Test
    void tinyLlamaInFull() {
        GoldenTest.assertReproduces(TestModels.LLAMA, Strategy.NO_CACHE, Layout.DecoderFiles.AUTO, true);
    }
}
