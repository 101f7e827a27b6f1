package dev.kvbench.verify;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The divergence figures on cases whose answers are known by hand. */
class DivergenceTest {
    private static final float LN3 = (float) Math.log(3);
    private static final float[] EVEN = {0, 0};

    @Test
    void identicalDistributionsDivergeByNothingAndMatchEveryStep() {
        Divergence.Accumulator a = new Divergence.Accumulator();
        float[] row = {1.5f, -2f, 0.25f, 7f};
        for (int i = 0; i < 5; i++) {
            a.step(row, row.clone(), 3, i);
        }
        a.endPrompt(5);
        Divergence d = a.result();
        assertEquals(0, d.meanKl(), 0);
        assertEquals(0, d.p99Kl(), 0);
        assertEquals(0, d.rmsDeltaP(), 0);
        assertEquals(5, d.matchingMin());
        assertEquals(5.0, d.matchingMean());
    }

    /** Three steps: the same, then (0.75, 0.25), then (0.25, 0.75) against the reference's (0.5, 0.5), token 0. */
    private static void threeSteps(Divergence.Accumulator a) {
        a.step(EVEN, new float[] {0, 0}, 0, 0);
        a.step(EVEN, new float[] {LN3, 0}, 0, 1);
        a.step(EVEN, new float[] {0, LN3}, 0, 2);
        a.endPrompt(3);
    }

    /**
     * KL = 0.5 ln(4/3) for either perturbation, the reference token's probability moves by 0.25; the third step's
     * greedy token is the other one, so the prefix matches for 2 steps.
     */
    @Test
    void aPlantedPerturbationHasItsKnownDivergenceAndAnEarlierFirstDifference() {
        Divergence.Accumulator one = new Divergence.Accumulator();
        threeSteps(one);
        double kl = 0.5 * Math.log(4.0 / 3);
        Divergence d = one.result();
        assertEquals(2 * kl / 3, d.meanKl(), 1e-6);
        assertEquals(kl, d.p99Kl(), 1e-6);
        assertEquals(Math.sqrt(2 * 0.25 * 0.25 / 3), d.rmsDeltaP(), 1e-6);
        assertEquals(2, d.matchingMin(), "the first difference at step 2");
        assertEquals(3, d.steps());

        Divergence.Accumulator two = new Divergence.Accumulator();
        threeSteps(two);
        two.step(EVEN, new float[] {0, 0}, 0, 0);
        two.endPrompt(1);
        Divergence both = two.result();
        assertEquals(2 * kl / 4, both.meanKl(), 1e-6);
        assertEquals(1, both.matchingMin(), "the second prompt ran one step and matched it");
        assertEquals(1.5, both.matchingMean(), 1e-12);
    }
}
