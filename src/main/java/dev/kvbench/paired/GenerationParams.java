package dev.kvbench.paired;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.StrategyRoles;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The generations method's {@code -p NAME=V1,V2} grammar: the configurations a paired run measures. */
public final class GenerationParams {
    /** Longest generation a quadratic strategy (no-cache) runs in strategy rounds (minutes per round beyond it). */
    static final int QUADRATIC_MAX_TOKENS = 64;

    private GenerationParams() {
    }

    /**
     * The configurations of strategies of one build compared in pairs: per {@code -p} configuration, {@code base}
     * against each of {@code heads} (a quadratic one only up to {@link #QUADRATIC_MAX_TOKENS} new tokens), then the
     * A/A control, {@code base} against itself. The strategies are the pair, so {@code -p strategy=} is refused.
     */
    public static List<GenerationRounds.Config> strategyConfigs(List<String> params, Strategy base, List<Strategy> heads) {
        List<GenerationRounds.Config> configs = new ArrayList<>();
        for (GenerationRounds.Config c : configs(params)) {
            if (!c.baseStrategy().equals(StrategyRoles.reference().id()) || params.stream().anyMatch(p -> p.startsWith("strategy="))) {
                throw new KvbenchException("with --strategies, -p takes model=, newTokens=, batchSize=, dtype= and context= only (the strategies "
                        + "are the pair)");
            }
            for (Strategy head : heads) {
                if (head.quadratic() && c.newTokens() > QUADRATIC_MAX_TOKENS) {
                    continue; // the JMH passes measure it
                }
                configs.add(c.with(base.id(), head.id()));
            }
            configs.add(c.with(base.id(), base.id()));
        }
        return configs;
    }

    /**
     * The configurations {@code -p} values name: every combination of model, strategy, newTokens, batchSize, dtype and
     * context (defaults tiny-llama, the reference strategy, 64, 1, fp32, none). A value listed twice, an unknown name,
     * a number out of range and a context too short for its new tokens are each one line of bad input.
     */
    public static List<GenerationRounds.Config> configs(List<String> params) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        for (String p : params) {
            int eq = p.indexOf('=');
            List<String> listed = p.substring(0, eq).equals("dtype") ? GraphDtypes.splitList(p.substring(eq + 1))
                    : List.of(p.substring(eq + 1).split(","));
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String v : listed) {
                if (!seen.add(v.strip())) {
                    throw new KvbenchException("-p " + p.substring(0, eq) + " lists " + v.strip()
                            + " twice: each value is one configuration");
                }
            }
            values.put(p.substring(0, eq), listed);
        }
        for (String name : values.keySet()) {
            if (!List.of("model", "strategy", "newTokens", "batchSize", "dtype", "context").contains(name)) {
                throw new KvbenchException("the generations method takes -p model=, strategy=, newTokens=, batchSize=, dtype= and context=, not "
                        + name + " (use --method jmh for other benchmark parameters)");
            }
        }
        List<GenerationRounds.Config> configs = new ArrayList<>();
        for (String model : values.getOrDefault("model", List.of("tiny-llama"))) {
            for (String strategy : values.getOrDefault("strategy", List.of(StrategyRoles.reference().id()))) {
                Strategy.parse(strategy);
                for (String tokens : values.getOrDefault("newTokens", List.of("64"))) {
                    int n = parameter("newTokens", tokens, Integer.MAX_VALUE);
                    for (String b : values.getOrDefault("batchSize", List.of("1"))) {
                        for (String d : values.getOrDefault("dtype", List.of("fp32"))) {
                            for (String x : values.getOrDefault("context", List.of("0"))) {
                                int context = x.strip().equals("0") ? 0 : parameter("context", x, Integer.MAX_VALUE);
                                if (context > 0 && context < n + 2) {
                                    throw new KvbenchException("-p context=" + context + " must be at least newTokens + 2 ("
                                            + (n + 2) + "): the assumed prompt is context - newTokens tokens, at least 2");
                                }
                                configs.add(new GenerationRounds.Config(model, strategy, strategy, n, parameter("batchSize", b, 256),
                                        GraphDtypes.parse(d).id(), context));
                            }
                        }
                    }
                }
            }
        }
        return configs;
    }

    /** A whole-number -p value in 1..max, or the one-line error. */
    private static int parameter(String name, String value, int max) {
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new KvbenchException("-p " + name + ": '" + value + "' is not a number");
        }
        if (n < 1 || n > max) {
            throw new KvbenchException("-p " + name + " must be in 1.." + max + ", got " + n);
        }
        return n;
    }
}
