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
 * same arrivals on every strategy and policy.
 */
public record Workload(List<Request> requests) {

    /** One request: its index in the workload, when it arrives, what it asks. */
    public record Request(int index, long arrivalNanos, long[] prompt, int maxNewTokens) {
    }

    public Workload {
        requests = List.copyOf(requests);
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
        long[] base = FixedPrompts.prompt(model, promptTokens);
        int varied = Math.min(4, promptTokens - 1);
        List<long[]> tails = FixedPrompts.continuations(model, count, varied);
        List<Request> out = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < count; i++) {
            t += -Math.log(1 - random.nextDouble()) / rate; // exponential gap, mean 1 / rate
            long[] p = base.clone();
            System.arraycopy(tails.get(i), 0, p, promptTokens - varied, varied);
            out.add(new Request(i, (long) (t * 1e9), p, newTokens));
        }
        return new Workload(out);
    }
}
