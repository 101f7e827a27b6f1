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

    /** One request: its index in the workload, when it arrives ({@link #CLIENT_FREE}: see above), what it asks. */
    public record Request(int index, long arrivalNanos, long[] prompt, int maxNewTokens) {
        /** The same request arriving at {@code nanos}. */
        Request arrivingAt(long nanos) {
            return new Request(index, nanos, prompt, maxNewTokens);
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

    /**
     * {@code count} requests from {@code clients} closed-loop clients (no think time): the first of each client at the
     * start, every later one when its client's previous one has its last token. The prompts as {@link #poisson}'s.
     */
    public static Workload clients(Model model, int clients, int count, int promptTokens, int newTokens) {
        if (clients < 1 || clients > count) {
            throw new KvbenchException("clients must be in 1..the requests (" + count + "), got " + clients);
        }
        if (promptTokens < 2 || newTokens < 1) {
            throw new KvbenchException("requests need a prompt of at least 2 tokens and at least 1 new token");
        }
        List<long[]> prompts = prompts(model, count, promptTokens);
        List<Request> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            out.add(new Request(i, i < clients ? 0 : CLIENT_FREE, prompts.get(i), newTokens));
        }
        return new Workload(out, clients);
    }

    /**
     * {@code count} requests arriving at {@code rate} per second on average (Poisson, seeded), each a distinct fixed
     * prompt of {@code promptTokens} tokens ({@link FixedPrompts}: the prompt with its last tokens varied per request)
     * asking for {@code newTokens} tokens.
     */
    public static Workload poisson(Model model, double rate, int count, long seed, int promptTokens, int newTokens) {
        if (!(rate > 0 && Double.isFinite(rate))) {
            throw new KvbenchException("the arrival rate must be a finite number above 0 per second, got " + rate);
        }
        if (count < 1) {
            throw new KvbenchException("at least 1 request, got " + count);
        }
        if (promptTokens < 2 || newTokens < 1) {
            throw new KvbenchException("requests need a prompt of at least 2 tokens and at least 1 new token");
        }
        SplittableRandom random = new SplittableRandom(seed);
        List<long[]> prompts = prompts(model, count, promptTokens);
        List<Request> out = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < count; i++) {
            t += -Math.log(1 - random.nextDouble()) / rate; // exponential gap, mean 1 / rate
            out.add(new Request(i, (long) (t * 1e9), prompts.get(i), newTokens));
        }
        return new Workload(out);
    }

    /** {@code count} distinct prompts of {@code promptTokens}: the fixed prompt with its last (up to 4) tokens varied. */
    private static List<long[]> prompts(Model model, int count, int promptTokens) {
        long[] base = FixedPrompts.prompt(model, promptTokens);
        int varied = Math.min(4, promptTokens - 1);
        List<long[]> tails = FixedPrompts.continuations(model, count, varied);
        List<long[]> out = new ArrayList<>();
        for (long[] tail : tails) {
            long[] p = base.clone();
            System.arraycopy(tail, 0, p, promptTokens - varied, varied);
            out.add(p);
        }
        return out;
    }
}
