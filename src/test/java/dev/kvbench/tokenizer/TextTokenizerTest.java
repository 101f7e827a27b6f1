package dev.kvbench.tokenizer;

import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** DJL's tokenizer (the Java side) and the export script's Python BPE agree on the golden prompts and texts. */
class TextTokenizerTest {
    @Test
    void encodesPromptsAndDecodesOutputsAsTheReference() {
        try (TextTokenizer tok = TextTokenizer.load(TestModels.LLAMA, 4096)) {
            for (TestModels.Golden g : TestModels.golden(TestModels.LLAMA)) {
                long[] expected = Arrays.copyOfRange(g.promptIds(), 1, g.promptIds().length); // after BOS
                assertEquals(Arrays.toString(expected), Arrays.toString(tok.encode(g.prompt())), g.prompt());
                assertEquals(g.text(), tok.decode(Arrays.stream(g.generated()).asLongStream().toArray()));
            }
        }
    }
}
