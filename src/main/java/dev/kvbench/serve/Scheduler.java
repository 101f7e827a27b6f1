package dev.kvbench.serve;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.BatchResult;
import dev.kvbench.decode.Generator;
import dev.kvbench.decode.Sampler;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays a workload against one generator in real time, on the calling thread: requests arrive at their times
 * (the scheduler sleeps until the next one while idle), wait in a queue, and are decoded by the policy: one at a time,
 * or in static batches of up to {@code maxBatch} rows, started when the batch is full or its first request has waited
 * {@code maxWaitMillis} (or no request is left to come). Greedy decoding, EOS ignored, so every request makes its
 * token limit and a request's tokens are what it gets decoded alone (rows of a batch compute what they compute alone).
 * The workload's requests share one token limit. One untimed batch warms the engine up before the clock starts.
 */
public final class Scheduler {
    /** The policy and its batch settings ({@code maxBatch} 1 and no wait for sequential). */
    public record Settings(Policy policy, int maxBatch, double maxWaitMillis) {
        public Settings {
            if (maxBatch < 1 || maxBatch > 4096) {
                throw new KvbenchException("the batch size must be in 1..4096, got " + maxBatch);
            }
            if (!(maxWaitMillis >= 0 && Double.isFinite(maxWaitMillis))) {
                throw new KvbenchException("the batch wait must be a finite number of milliseconds >= 0, got " + maxWaitMillis);
            }
            if (policy == Policy.SEQUENTIAL && maxBatch != 1) {
                throw new KvbenchException("sequential decodes one request at a time: a batch size of " + maxBatch
                        + " does nothing with it");
            }
        }
    }

    private Scheduler() {
    }

    /** Every request of {@code workload} served, in request order. */
    public static List<Served> run(Generator generator, Workload workload, Settings settings) {
        for (Workload.Request r : workload.requests()) {
            generator.check(r.prompt(), r.maxNewTokens()); // every request is checked before the clock starts
        }
        List<Workload.Request> pending = new ArrayList<>(workload.requests());
        Served[] served = new Served[pending.size()];
        Sampler greedy = Sampler.greedy();
        // One untimed batch first: the JIT and ONNX Runtime's first runs are not what a running service's users see.
        List<Workload.Request> warm = pending.subList(0, Math.min(settings.maxBatch(), pending.size()));
        generator.generate(warm.stream().map(Workload.Request::prompt).toList(), warm.get(0).maxNewTokens(), true, greedy,
                null);
        long t0 = System.nanoTime();
        int next = 0;
        while (next < pending.size()) {
            long now = System.nanoTime() - t0;
            Workload.Request first = pending.get(next);
            if (first.arrivalNanos() == Workload.CLIENT_FREE) {
                throw new IllegalStateException("request " + first.index() + " has no arrival: its client's previous "
                        + "request was not served");
            }
            if (first.arrivalNanos() > now) {
                sleep(first.arrivalNanos() - now); // idle until the next request arrives
                continue;
            }
            int size = 1;
            if (settings.policy() == Policy.STATIC_BATCH) {
                long deadline = first.arrivalNanos() + (long) (settings.maxWaitMillis() * 1e6);
                while (true) {
                    now = System.nanoTime() - t0;
                    size = 0;
                    while (next + size < pending.size() && size < settings.maxBatch() && arrived(pending.get(next + size), now)) {
                        size++;
                    }
                    boolean full = size == settings.maxBatch();
                    boolean noneToCome = next + size == pending.size()
                            || pending.get(next + size).arrivalNanos() == Workload.CLIENT_FREE; // waits on this batch
                    if (full || noneToCome || now >= deadline) {
                        break;
                    }
                    sleep(Math.min(deadline, pending.get(next + size).arrivalNanos()) - now);
                }
            }
            List<Workload.Request> batch = pending.subList(next, next + size);
            long start = System.nanoTime() - t0;
            long[][] times = new long[size][];
            int[] produced = new int[size];
            for (int r = 0; r < size; r++) {
                times[r] = new long[batch.get(r).maxNewTokens()];
            }
            BatchResult result = generator.generate(batch.stream().map(Workload.Request::prompt).toList(),
                    batch.get(0).maxNewTokens(), true, greedy, (row, token) -> {
                        if (produced[row] < times[row].length) {
                            times[row][produced[row]++] = System.nanoTime() - t0;
                        }
                    });
            for (int r = 0; r < size; r++) {
                Workload.Request q = batch.get(r);
                served[q.index()] = new Served(q, start, times[r], result.tokens()[r], size);
                int following = q.index() + workload.clients(); // closed loop: the client's next request arrives now
                if (workload.clients() > 0 && following < pending.size()) {
                    pending.set(following, pending.get(following).arrivingAt(times[r][times[r].length - 1]));
                }
            }
            next += size;
        }
        return List.of(served);
    }

    private static boolean arrived(Workload.Request r, long now) {
        return r.arrivalNanos() != Workload.CLIENT_FREE && r.arrivalNanos() <= now;
    }

    private static void sleep(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvbenchException("interrupted while waiting for the next request");
        }
    }
}
