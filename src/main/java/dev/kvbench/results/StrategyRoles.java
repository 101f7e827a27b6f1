package dev.kvbench.results;

import dev.kvbench.decode.Strategy;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What each strategy is there for in the workbench, which decides where the bench matrix measures it and what results
 * are compared with: the engine's {@link Strategy} knows what a strategy computes, not how it is benchmarked.
 */
public final class StrategyRoles {
    /**
     * The baseline every cache is measured against, the caches a user would ship (also measured in batches and at real
     * shapes), and the ablations that show what one design choice of {@code kv} costs.
     */
    public enum Role {
        BASELINE, CACHE, ABLATION
    }

    private static final Map<Strategy, Role> ROLES = new EnumMap<>(Map.of(
            Strategy.NO_CACHE, Role.BASELINE,
            Strategy.KV, Role.CACHE,
            Strategy.KV_ALLOC, Role.ABLATION,
            Strategy.KV_COPY, Role.ABLATION,
            Strategy.HYBRID, Role.ABLATION,
            Strategy.STATIC, Role.CACHE,
            Strategy.STATIC_GQA, Role.CACHE,
            Strategy.STATIC_GQA_INT8, Role.CACHE,
            Strategy.STATIC_GQA_INT4, Role.ABLATION));

    private StrategyRoles() {
    }

    /** The strategy's role; every strategy has one (a new strategy without one fails here, and in StrategyFactsTest). */
    public static Role of(Strategy s) {
        Role r = ROLES.get(s);
        if (r == null) {
            throw new IllegalStateException("strategy " + s + " has no role in StrategyRoles");
        }
        return r;
    }

    /** The strategy results are compared with by default: the first dynamic cache a user would ship. */
    public static Strategy reference() {
        return Arrays.stream(Strategy.values()).filter(s -> of(s) == Role.CACHE).findFirst().orElseThrow();
    }

    /** The baseline every cache is measured against (no-cache). */
    public static Strategy baseline() {
        return withRole(Role.BASELINE).get(0);
    }

    /** The strategies of these roles, in declaration order. */
    public static List<Strategy> withRole(Role... roles) {
        List<Role> wanted = List.of(roles);
        return Arrays.stream(Strategy.values()).filter(s -> wanted.contains(of(s))).toList();
    }
}
