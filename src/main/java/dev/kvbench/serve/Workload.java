package dev.kvbench.serve;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.model.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The requests a serving run replays: each with its arrival (nanoseconds after the run starts), its prompt and its
 * token limit. Open-loop arrivals: a Poisson process at a rate (exponential gaps, seeded), so the same seed gives the
 * same arrivals on every strategy and policy. Closed loop ({@code clients} above 0): C clients, each sending its next
 * request the moment its last one finished; request i is client i mod C's, and its arrival is known only when client's
 * previous request ends ({@link #CLIENT_FREE}).
 */
public record Workload(List<Request> requests, int clients) {
    /** The arrival of a closed-loop request after its client's first: when the client's previous request ends. */
    public static final long CLIENT_FREE = -1;

    /**
     * One request: its index in the workload, when it arrives ({@link #CLIENT_FREE}: see above), what it asks, and
     * after how many tokens its client cancels it ({@code 0}: never; a cancelled request frees its row at the next step).
     */
    public record Request(int index, long arrivalNanos, long[] prompt, int maxNewTokens, int cancelAfter) {
        public Request {
            if (maxNewTokens < 1 || cancelAfter < 0) {
                throw new IllegalArgumentException("request " + index + ": " + maxNewTokens + " new tokens, cancel after "
                        + cancelAfter);
            }
        }

        /** A request its client does not cancel. */
        public Request(int index, long arrivalNanos, long[] prompt, int maxNewTokens) {
            this(index, arrivalNanos, prompt, maxNewTokens, 0);
        }

        /** The same request arriving at {@code nanos}. */
        Request arrivingAt(long nanos) {
            return new Request(index, nanos, prompt, maxNewTokens, cancelAfter);
        }

        /** The tokens it gets: its limit, or fewer where its client cancels first. */
        public int tokensWanted() {
            return cancelAfter > 0 ? Math.min(cancelAfter, maxNewTokens) : maxNewTokens;
        }
    }

    public Workload {
        requests = List.copyOf(requests);
        if (clients < 0) {
            throw new IllegalArgumentException("clients " + clients);
        }
    }

    /** An open-loop workload. */
    public Workload(List<Request> requests) {
        this(requests, 0);
    }

    /** A length fixed ({@code min == max}) or drawn uniformly from {@code [min, max]} per request, seeded. */
    public record Lengths(int min, int max) {
        public Lengths {
            if (min < 1 || max < min) {
                throw new KvbenchException("a length range needs 1 <= min <= max, got " + min + ".." + max);
            }
        }

        public static Lengths fixed(int n) {
            return new Lengths(n, n);
        }

        int draw(SplittableRandom random) {
            return min == max ? min : min + random.nextInt(max - min + 1);
        }

        @Override
        public String toString() {
            return min == max ? String.valueOf(min) : min + ".." + max;
        }
    }

    /**
     * {@code count} requests from {@code clients} closed-loop clients (no think time): the first of each client at the
     * start, every later one when its client's previous one has its last token. The prompts as {@link #poisson}'s.
     */
    public static Workload clients(Model model, int clients, int count, int promptTokens, int newTokens) {
        return clients(model, clients, count, 0, Lengths.fixed(promptTokens), Lengths.fixed(newTokens));
    }

    /** Closed-loop clients with prompt and answer lengths drawn per request (seeded). */
    public static Workload clients(Model model, int clients, int count, long seed, Lengths promptTokens, Lengths newTokens) {
        if (clients < 1 || clients > count) {
            throw new KvbenchException("clients must be in 1..the requests (" + count + "), got " + clients);
        }
        requireLengths(promptTokens);
        SplittableRandom lengths = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new Request(i, i < clients ? 0 : CLIENT_FREE, prompt(model, i, promptTokens.draw(lengths)),
                    newTokens.draw(lengths)));
        }
        return new Workload(out, clients);
    }

    /**
     * {@code count} requests arriving at {@code rate} per second on average (Poisson, seeded), each a distinct fixed
     * prompt of {@code promptTokens} tokens ({@link FixedPrompts}: the prompt with its last tokens varied per request)
     * asking for {@code newTokens} tokens.
     */
    public static Workload poisson(Model model, double rate, int count, long seed, int promptTokens, int newTokens) {
        return poisson(model, rate, count, seed, Lengths.fixed(promptTokens), Lengths.fixed(newTokens));
    }

    /** Poisson arrivals with prompt and answer lengths drawn per request (from a stream of their own, seeded). */
    public static Workload poisson(Model model, double rate, int count, long seed, Lengths promptTokens, Lengths newTokens) {
        if (!(rate > 0 && Double.isFinite(rate))) {
            throw new KvbenchException("the arrival rate must be a finite number above 0 per second, got " + rate);
        }
        if (count < 1) {
            throw new KvbenchException("at least 1 request, got " + count);
        }
        requireLengths(promptTokens);
        SplittableRandom random = new SplittableRandom(seed);
        SplittableRandom lengths = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Request> out = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < count; i++) {
            t += -Math.log(1 - random.nextDouble()) / rate; // exponential gap, mean 1 / rate
            out.add(new Request(i, (long) (t * 1e9), prompt(model, i, promptTokens.draw(lengths)), newTokens.draw(lengths)));
        }
        return new Workload(out);
    }

    private static void requireLengths(Lengths promptTokens) {
        if (promptTokens.min() < 2) {
            throw new KvbenchException("requests need a prompt of at least 2 tokens and at least 1 new token");
        }
    }

    /** Request i's prompt of {@code length} tokens: the fixed prompt with its last (up to 4) tokens varied by i. */
    static long[] prompt(Model model, int i, int length) {
        long[] p = FixedPrompts.prompt(model, length);
        int varied = Math.min(4, length - 1);
        long[] tail = FixedPrompts.continuations(model, i + 1, varied).get(i);
        System.arraycopy(tail, 0, p, length - varied, varied);
        return p;
    }
}
