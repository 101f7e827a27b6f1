package dev.kvbench.results;

import dev.kvbench.runtime.MachineProbe;
import dev.kvbench.TestModels;
import dev.kvbench.cli.CliTestSupport;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The roofline arithmetic against hand-computed examples (the bundled models' config.json), and the probe. */
class RooflineTest {

    @Test
    void decoderOnlyStepByHand() {
        // tiny-llama: 4 layers, hidden 256, 8 heads, 2 KV heads, head dim 32, MLP 768, vocab 4096, no attention bias.
        // Per layer: q 256x256 + k, v 2 x 256x64 + o 256x256 = 163,840; MLP 3 x 256x768 = 589,824; 2 norms 512.
        // Weights read: 4 x 754,176 + logits 4096x256 + final norm and one embedding row 512 = 4,065,792 floats.
        Roofline.Shape s = Roofline.Shape.read(TestModels.LLAMA);
        Roofline.Cost c = s.step(100, 8);
        assertEquals(4_065_792.0 * 4, c.weightBytes());
        // Attention at 100 positions: 2 x 8 heads x 32 x 100 = 51,200 multiply-adds per layer; K and V read:
        // 2 x 2 KV heads x 32 x 100 = 12,800 floats per layer.
        assertEquals(4 * (163_840 + 589_824 + 51_200) + 4096 * 256.0, c.macs());
        assertEquals(4 * 12_800 * 4.0, c.kvBytes());
        // At 20 GB/s and 40 G multiply-adds/s: reading 16,467,968 bytes takes 823.3984 us, computing 106.7008 us.
        MachineProbe.Limits limits = new MachineProbe.Limits(20e9, 40e9);
        assertEquals(823.3984e-6, c.seconds(limits), 1e-12);
        assertEquals("memory", c.bound(limits));
        assertEquals("compute", c.bound(new MachineProbe.Limits(20e12, 40e9)));
    }

    @Test
    void encoderDecoderStepByHand() {
        // tiny-marian decoder: 2 layers, d 128, FFN 512, vocab 4096. Per layer 6 d^2 + 2 d ffn = 229,376 (self q, k,
        // v, o; cross q, o) plus 2,176 of biases and norms; logits 4096x128 + bias 4096; one embedding row 128.
        Roofline.Cost c = Roofline.Shape.read(TestModels.MARIAN).step(10, 8);
        assertEquals((2 * (229_376 + 2_176) + 4096 * 128 + 4096 + 128) * 4.0, c.weightBytes());
        assertEquals(2 * (229_376 + 2 * 128 * 10 + 2 * 128 * 8) + 4096 * 128.0, c.macs());
        assertEquals(2 * (2 * 128 * 10 + 2 * 128 * 8) * 4.0, c.kvBytes());
        // StepBenchmark at context 64 on it: the prompt is the source (64 - 9 = 55 tokens), the decoder at 2..9.
        assertEquals(Roofline.Shape.read(TestModels.MARIAN).step(5.5, 55).macs(),
                Roofline.Shape.read(TestModels.MARIAN).stepBenchmarkCost(64).macs());
    }

    @Test
    void theStepBenchmarksMeanContextAndTheProbe() {
        assertEquals(60.5, Roofline.meanContext(64)); // 8 steps ending at position 64: 57..64
        CliTestSupport.Run r = CliTestSupport.run("probe");
        assertEquals(0, r.code(), r.err());
        Matcher m = Pattern.compile("read bandwidth ([0-9.]+) GB/s .* MatMul ([0-9.]+) G multiply-adds/s").matcher(r.out());
        assertTrue(m.find(), r.out());
        // Plausible for any machine this runs on: between 0.5 and 500 GB/s, 0.5 and 5000 G multiply-adds/s.
        double gbs = Double.parseDouble(m.group(1));
        double gmacs = Double.parseDouble(m.group(2));
        assertTrue(gbs > 0.5 && gbs < 500, r.out());
        assertTrue(gmacs > 0.5 && gmacs < 5000, r.out());
    }
}
