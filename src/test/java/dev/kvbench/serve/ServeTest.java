package dev.kvbench.serve;

import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Serving replays: every request's greedy tokens are what it gets decoded alone, one at a time or in static batches
 * (prompts of one length: rows of a batch compute what they compute alone); the timings are in order; the arrivals
 * are the seed's.
 */
class ServeTest {
    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"KV", "STATIC", "STATIC_GQA", "STATIC_GQA_INT8"})
    void eachRequestGetsItsTokensAloneWhateverThePolicy(Strategy s) {
        try (Engine engine = new Engine(TestModels.LLAMA, s)) {
            // 1,000 requests per second: they queue, so static batches fill.
            Workload w = Workload.poisson(engine.model(), 1000, 8, 3, 12, 6);
            for (Scheduler.Settings settings : List.of(new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0),
                    new Scheduler.Settings(Policy.STATIC_BATCH, 4, 50))) {
                List<Served> served = Scheduler.run(engine.generator(), w, settings);
                assertEquals(8, served.size());
                int widest = 0;
                for (Served r : served) {
                    int[] alone = engine.generator().generate(r.request().prompt(), 6, true, Sampler.greedy(), null).tokens();
                    assertArrayEquals(alone, r.tokens(), s + " " + settings.policy() + " request " + r.request().index());
                    assertTrue(r.startNanos() >= r.request().arrivalNanos() && r.ttftNanos() > 0, r.toString());
                    for (int i = 1; i < r.tokenNanos().length; i++) {
                        assertTrue(r.tokenNanos()[i] >= r.tokenNanos()[i - 1]);
                    }
                    assertEquals(6, r.tokenNanos().length);
                    assertTrue(r.e2eNanos() >= r.ttftNanos() && r.tpotNanos() >= 0);
                    widest = Math.max(widest, r.rows());
                }
                if (settings.policy() == Policy.SEQUENTIAL) {
                    assertEquals(1, widest);
                } else {
                    assertTrue(widest > 1 && widest <= 4, "requests queued at 1,000 per second share steps: " + widest);
                }
            }
        }
    }

    /** Closed loop: each client's next request arrives the moment its previous one has its last token. */
    @Test
    void aClosedLoopClientSendsItsNextRequestWhenItsLastEnds() {
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.STATIC_GQA)) {
            Workload w = Workload.clients(engine.model(), 3, 9, 8, 4);
            assertEquals(3, w.clients());
            for (Scheduler.Settings settings : List.of(new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0),
                    new Scheduler.Settings(Policy.STATIC_BATCH, 3, 5))) {
                List<Served> served = Scheduler.run(engine.generator(), w, settings);
                for (Served r : served) {
                    int i = r.request().index();
                    long expected = i < 3 ? 0 : served.get(i - 3).tokenNanos()[3];
                    assertEquals(expected, r.request().arrivalNanos(), settings.policy() + " request " + i);
                    int[] alone = engine.generator().generate(r.request().prompt(), 4, true, Sampler.greedy(), null).tokens();
                    assertArrayEquals(alone, r.tokens());
                }
                if (settings.policy() == Policy.STATIC_BATCH) {
                    assertTrue(served.stream().allMatch(r -> r.rows() == 3), "the three clients' requests go together");
                }
            }
            assertThrows(KvbenchException.class, () -> Workload.clients(engine.model(), 0, 4, 8, 4));
            assertThrows(KvbenchException.class, () -> Workload.clients(engine.model(), 5, 4, 8, 4));
        }
    }

    @Test
    void arrivalsAreTheSeedsAndBadSettingsAreOneLine() {
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.KV)) {
            Workload a = Workload.poisson(engine.model(), 4, 20, 7, 8, 4);
            Workload b = Workload.poisson(engine.model(), 4, 20, 7, 8, 4);
            long[] at = a.requests().stream().mapToLong(Workload.Request::arrivalNanos).toArray();
            assertArrayEquals(at, b.requests().stream().mapToLong(Workload.Request::arrivalNanos).toArray());
            assertNotEquals(Arrays.toString(at), Arrays.toString(Workload.poisson(engine.model(), 4, 20, 8, 8, 4)
                    .requests().stream().mapToLong(Workload.Request::arrivalNanos).toArray()));
            for (int i = 1; i < at.length; i++) {
                assertTrue(at[i] > at[i - 1]);
            }
            // 20 arrivals at 4 per second: about 5 s (a Poisson process: well within 1.5 to 12 s).
            assertTrue(at[19] > 1.5e9 && at[19] < 12e9, String.valueOf(at[19]));
            assertNotEquals(Arrays.toString(a.requests().get(0).prompt()), Arrays.toString(a.requests().get(1).prompt()));
            assertThrows(KvbenchException.class, () -> Workload.poisson(engine.model(), 0, 4, 0, 8, 4));
            assertThrows(KvbenchException.class, () -> Workload.poisson(engine.model(), 1, 0, 0, 8, 4));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.SEQUENTIAL, 4, 0));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.STATIC_BATCH, 0, 0));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.STATIC_BATCH, 4, -1));
            assertThrows(KvbenchException.class, () -> Scheduler.run(engine.generator(),
                    Workload.poisson(engine.model(), 1000, 2, 0, 8, 4000), new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0)),
                    "beyond the positions: refused before the clock starts");
            assertEquals(Policy.STATIC_BATCH, Policy.parse("static-batch"));
            assertThrows(KvbenchException.class, () -> Policy.parse("continuous"));
        }
    }
}
