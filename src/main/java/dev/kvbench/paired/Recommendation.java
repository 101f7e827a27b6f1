package dev.kvbench.paired;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.support.JsonFiles;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What to ship, per configuration of the verdict rounds: the strategy significantly fastest against the reference
 * (or the reference itself when none is), the others tied with it (their intervals overlap), what the runner-up
 * costs, and the pick's peak memory, KV bytes held and accuracy status where the run measured them.
 *
 * @param memory   per strategy id, one row's peak resident set and KV bytes per row (null when not measured)
 * @param accuracy per strategy id, the check verdict against no-cache (null when not checked)
 */
public record Recommendation(List<Pick> picks) {

    /** One configuration's pick. */
    public record Pick(String configuration, String strategy, double ratio, double low, double high, List<String> tied,
                       String runnerUp, double runnerUpCostPercent, String memory, String accuracy) {
    }

    public static Recommendation of(StrategyVerdicts v, Function<String, String> memory, Function<String, String> accuracy) {
        Map<String, List<StrategyVerdicts.Verdict>> byConfig = new LinkedHashMap<>();
        for (StrategyVerdicts.Verdict x : v.verdicts()) {
            byConfig.computeIfAbsent(x.configuration(), k -> new ArrayList<>()).add(x);
        }
        List<Pick> picks = new ArrayList<>();
        for (var e : byConfig.entrySet()) {
            List<StrategyVerdicts.Verdict> faster = e.getValue().stream().filter(StrategyVerdicts.Verdict::faster)
                    .sorted(Comparator.comparingDouble(StrategyVerdicts.Verdict::ratio)).toList();
            String reference = v.a().id();
            if (faster.isEmpty()) {
                List<String> tied = e.getValue().stream().filter(x -> !x.word().equals("slower")).map(StrategyVerdicts.Verdict::b).toList();
                picks.add(new Pick(e.getKey(), reference, 1, 1, 1, tied, null, Double.NaN, memory.apply(reference),
                        accuracy.apply(reference)));
                continue;
            }
            StrategyVerdicts.Verdict best = faster.get(0);
            List<String> tied = faster.stream().skip(1).filter(x -> x.low() <= best.high()).map(StrategyVerdicts.Verdict::b).toList();
            StrategyVerdicts.Verdict second = faster.size() > 1 ? faster.get(1) : null;
            String runnerUp = second != null ? second.b() : reference;
            double cost = (second != null ? second.ratio() : 1) / best.ratio() * 100 - 100;
            picks.add(new Pick(e.getKey(), best.b(), best.ratio(), best.low(), best.high(), tied, runnerUp, cost,
                    memory.apply(best.b()), accuracy.apply(best.b())));
        }
        return new Recommendation(List.copyOf(picks));
    }

    /** A short paragraph per configuration, for the summary. */
    public String text(String reference) {
        StringBuilder s = new StringBuilder("\nRecommendation (from the verdict above)\n");
        for (Pick p : picks) {
            if (p.strategy().equals(reference)) {
                s.append(String.format(Locale.ROOT, "  %s: %s; no strategy was significantly faster%s.", p.configuration(),
                        reference, p.tied().isEmpty() ? "" : " (indistinguishable: " + String.join(", ", p.tied()) + ")"));
            } else {
                s.append(String.format(Locale.ROOT, "  %s: %s, %.3f x %s's time [%.3f, %.3f]%s; the runner-up, %s, takes "
                                + "%.0f%% longer.", p.configuration(), p.strategy(), p.ratio(), reference, p.low(), p.high(),
                        p.tied().isEmpty() ? "" : ", tied with " + String.join(", ", p.tied()), p.runnerUp(),
                        p.runnerUpCostPercent()));
            }
            if (p.memory() != null) {
                s.append(" Memory: ").append(p.memory()).append('.');
            }
            if (p.accuracy() != null) {
                s.append(" Tokens: ").append(p.accuracy()).append('.');
            }
            s.append('\n');
        }
        return s.toString();
    }

    public JsonNode json() {
        ArrayNode a = JsonFiles.MAPPER.createArrayNode();
        for (Pick p : picks) {
            ObjectNode o = a.addObject();
            o.put("configuration", p.configuration());
            o.put("strategy", p.strategy());
            o.put("ratio", p.ratio());
            o.put("ratio_ci95_low", p.low());
            o.put("ratio_ci95_high", p.high());
            p.tied().forEach(o.putArray("tied")::add);
            o.put("runner_up", p.runnerUp());
            if (Double.isFinite(p.runnerUpCostPercent())) {
                o.put("runner_up_cost_percent", p.runnerUpCostPercent());
            }
            o.put("memory", p.memory());
            o.put("accuracy", p.accuracy());
        }
        return a;
    }
}
