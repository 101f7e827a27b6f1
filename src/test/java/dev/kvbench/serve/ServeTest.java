package dev.kvbench.serve;

import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Sampler;
import dev.kvbench.decode.Strategy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Serving replays: every request's greedy tokens are what it gets decoded alone, one at a time, in static batches or
 * joining and leaving a running batch (prompts and answers of different lengths, so rows join and leave mid-batch);
 * no request is lost or served twice; the timings are in order; the arrivals are the seed's; a cancelled request frees
 * its row; an overloaded run stops by itself and says what it left.
 */
class ServeTest {
    static List<Arguments> strategies() {
        return List.of(Arguments.of(TestModels.LLAMA, Strategy.KV), Arguments.of(TestModels.LLAMA, Strategy.STATIC),
                Arguments.of(TestModels.LLAMA, Strategy.STATIC_GQA), Arguments.of(TestModels.LLAMA, Strategy.STATIC_GQA_INT8),
                Arguments.of(TestModels.LLAMA, Strategy.STATIC_GQA_INT4), Arguments.of(TestModels.LLAMA, Strategy.KV_ALLOC),
                Arguments.of(TestModels.LLAMA, Strategy.KV_COPY), Arguments.of(TestModels.LLAMA, Strategy.HYBRID),
                Arguments.of(TestModels.LLAMA, Strategy.NO_CACHE), Arguments.of(TestModels.MARIAN, Strategy.KV),
                Arguments.of(TestModels.MARIAN, Strategy.STATIC), Arguments.of(TestModels.MARIAN, Strategy.KV_ALLOC),
                Arguments.of(TestModels.MARIAN, Strategy.NO_CACHE));
    }

    @ParameterizedTest
    @MethodSource("strategies")
    void eachRequestGetsItsTokensAloneWhateverThePolicy(Path model, Strategy s) {
        try (Engine engine = new Engine(model, s)) {
            // 1,000 requests per second: they queue, so batches fill; lengths drawn, so rows join and leave mid-batch.
            Workload w = Workload.poisson(engine.model(), 1000, 10, 3, new Workload.Lengths(6, 14), new Workload.Lengths(2, 7));
            assertTrue(w.requests().stream().mapToInt(Workload.Request::maxNewTokens).distinct().count() > 1);
            List<Scheduler.Settings> all = new ArrayList<>(List.of(new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0),
                    new Scheduler.Settings(Policy.STATIC_BATCH, 4, 50), new Scheduler.Settings(Policy.CONTINUOUS, 3, 0)));
            if (engine.generator().admitsRows()) { // slots: prompts also in chunks of 4, and with the prompt cache
                all.add(new Scheduler.Settings(Policy.CONTINUOUS, 3, 0, Long.MAX_VALUE, 4));
                all.add(new Scheduler.Settings(Policy.CONTINUOUS, 3, 0, Long.MAX_VALUE, 0, true));
                all.add(new Scheduler.Settings(Policy.CONTINUOUS, 3, 0, Long.MAX_VALUE, 4, true));
            } else {
                assertThrows(KvbenchException.class, () -> Scheduler.run(engine.generator(), w,
                        new Scheduler.Settings(Policy.CONTINUOUS, 3, 0, Long.MAX_VALUE, 0, true)), "no slots, no prompt cache");
                assertThrows(KvbenchException.class, () -> Scheduler.run(engine.generator(), w,
                        new Scheduler.Settings(Policy.CONTINUOUS, 3, 0, Long.MAX_VALUE, 4)), "no slots, no chunks");
            }
            for (Scheduler.Settings settings : all) {
                Scheduler.Run run = Scheduler.run(engine.generator(), w, settings);
                assertEquals(10, run.served().size(), "none lost");
                assertEquals(0, run.unserved());
                double widest = 0;
                for (int i = 0; i < run.served().size(); i++) {
                    Served r = run.served().get(i);
                    assertEquals(i, r.request().index(), "each once, in request order");
                    int n = r.request().maxNewTokens();
                    int[] alone = engine.generator().generate(r.request().prompt(), n, true, Sampler.greedy(), null).tokens();
                    assertArrayEquals(alone, r.tokens(), model.getFileName() + " " + s + " " + settings.policy()
                            + " request " + i);
                    assertTrue(r.startNanos() >= r.request().arrivalNanos() && r.ttftNanos() > 0, r.toString());
                    for (int k = 1; k < r.tokenNanos().length; k++) {
                        assertTrue(r.tokenNanos()[k] >= r.tokenNanos()[k - 1]);
                    }
                    assertEquals(n, r.tokenNanos().length);
                    assertTrue(r.e2eNanos() >= r.ttftNanos() && r.tpotNanos() >= 0);
                    widest = Math.max(widest, r.rows());
                }
                if (settings.policy() == Policy.SEQUENTIAL) {
                    assertEquals(1, widest);
                } else {
                    assertTrue(widest > 1 && widest <= settings.maxBatch(), "queued requests share steps: " + widest);
                }
                // The workload's prompts share all but their last tokens: with the prompt cache most of each is reused.
                assertEquals(settings.promptCache(), run.served().stream().anyMatch(r -> r.reusedTokens() > 0),
                        settings.toString());
                if (settings.policy() == Policy.CONTINUOUS && engine.generator().batchesUnequalRows()) {
                    assertTrue(run.served().stream().anyMatch(r -> java.util.stream.IntStream.range(0,
                            r.gapHadPrefill().length).anyMatch(k -> r.gapHadPrefill()[k])), "some request saw another join");
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
                    new Scheduler.Settings(Policy.STATIC_BATCH, 3, 5), new Scheduler.Settings(Policy.CONTINUOUS, 3, 0))) {
                List<Served> served = Scheduler.run(engine.generator(), w, settings).served();
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

    /**
     * A client that cancels frees its row at the next step: with one row, the request queued behind a cancelled one
     * starts right after the cancelled one's last token, not after the tokens it asked for.
     */
    @Test
    void aCancelledRequestFreesItsRowAtTheNextStep() {
        for (Strategy s : List.of(Strategy.STATIC_GQA, Strategy.KV)) {
            try (Engine engine = new Engine(TestModels.LLAMA, s)) {
                long[] a = Workload.prompt(engine.model(), 0, 8);
                long[] b = Workload.prompt(engine.model(), 1, 8);
                Workload w = new Workload(List.of(new Workload.Request(0, 0, a, 40, 3), new Workload.Request(1, 0, b, 5)));
                Scheduler.Run run = Scheduler.run(engine.generator(), w, new Scheduler.Settings(Policy.CONTINUOUS, 1, 0));
                Served cancelled = run.served().get(0);
                Served next = run.served().get(1);
                assertTrue(cancelled.cancelled() && !next.cancelled());
                assertEquals(3, cancelled.tokens().length);
                int[] alone = engine.generator().generate(a, 3, true, Sampler.greedy(), null).tokens();
                assertArrayEquals(alone, cancelled.tokens());
                assertTrue(next.startNanos() >= cancelled.tokenNanos()[2], "waited for the row");
                assertEquals(1.0, next.rows(), "alone in the batch: the cancelled row left");
                assertArrayEquals(engine.generator().generate(b, 5, true, Sampler.greedy(), null).tokens(), next.tokens());
            }
        }
    }

    /** Far more requests than the policy sustains: the run stops starting them at its limit and says what it left. */
    @Test
    void anOverloadedRunStopsByItselfAndReportsItsQueue() {
        try (Engine engine = new Engine(TestModels.LLAMA, Strategy.KV)) {
            Workload w = Workload.poisson(engine.model(), 100_000, 400, 0, 8, 64);
            long t0 = System.nanoTime();
            Scheduler.Run run = Scheduler.run(engine.generator(), w,
                    new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0, 300_000_000L));
            assertTrue(System.nanoTime() - t0 < 60e9, "stopped by itself");
            assertTrue(run.unserved() > 0 && run.served().size() + run.unserved() == 400, run.unserved() + " left");
            assertTrue(run.maxQueue() > 300, "the queue grew: " + run.maxQueue());
            List<Integer> indices = new ArrayList<>();
            run.served().forEach(r -> indices.add(r.request().index()));
            assertEquals(java.util.stream.IntStream.range(0, indices.size()).boxed().toList(), indices, "first come first served");
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0, 0));
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
            Workload drawn = Workload.poisson(engine.model(), 4, 200, 7, new Workload.Lengths(4, 9), new Workload.Lengths(1, 3));
            assertEquals(java.util.Set.of(4, 5, 6, 7, 8, 9), drawn.requests().stream().map(r -> r.prompt().length)
                    .collect(java.util.stream.Collectors.toSet()), "every length of the range drawn");
            assertArrayEquals(at, Workload.poisson(engine.model(), 4, 20, 7, new Workload.Lengths(4, 9),
                    new Workload.Lengths(1, 3)).requests().stream().mapToLong(Workload.Request::arrivalNanos).toArray(),
                    "drawn lengths leave the arrivals as they are");
            assertThrows(KvbenchException.class, () -> new Workload.Lengths(0, 3));
            assertThrows(KvbenchException.class, () -> new Workload.Lengths(5, 3));
            assertThrows(KvbenchException.class, () -> Workload.poisson(engine.model(), 0, 4, 0, 8, 4));
            assertThrows(KvbenchException.class, () -> Workload.poisson(engine.model(), 1, 0, 0, 8, 4));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.SEQUENTIAL, 4, 0));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.STATIC_BATCH, 4, 0, 1, 8));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.CONTINUOUS, 4, 0, 1, -1));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.STATIC_BATCH, 4, 0, 1, 0, true));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.STATIC_BATCH, 0, 0));
            assertThrows(KvbenchException.class, () -> new Scheduler.Settings(Policy.STATIC_BATCH, 4, -1));
            assertThrows(KvbenchException.class, () -> Scheduler.run(engine.generator(),
                    Workload.poisson(engine.model(), 1000, 2, 0, 8, 4000), new Scheduler.Settings(Policy.SEQUENTIAL, 1, 0)),
                    "beyond the positions: refused before the clock starts");
            assertEquals(Policy.STATIC_BATCH, Policy.parse("static-batch"));
            assertEquals(Policy.CONTINUOUS, Policy.parse("continuous"));
            assertThrows(KvbenchException.class, () -> Policy.parse("paged"));
        }
    }
}
