package dev.kvbench.results;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Each configuration as a multiple of the reference strategy's time in the same run ({@code --normalize kv}): the
 * samples of {@code static-gqa} at 256 tokens divided by the mean of {@code kv} at 256 tokens of the same file. Machine
 * drift between runs moves both alike and cancels; a change of one strategy's code against the reference remains.
 * The reference's own rows (all 1) and rows without a reference to divide by are left out and counted.
 */
public final class Normalization {
    /** The normalized results, and how many rows had no reference in their run. */
    public record Normalized(List<JmhResult> results, int withoutReference) {
    }

    private Normalization() {
    }

    public static Normalized byStrategy(List<JmhResult> results, String reference) {
        Strategy.parse(reference);
        Map<String, JmhResult> refs = new LinkedHashMap<>();
        for (JmhResult r : results) {
            if (reference.equals(r.param("strategy")) || reference.equals(r.param("variant"))) {
                refs.put(keyWithout(r), r);
            }
        }
        if (refs.isEmpty()) {
            throw new KvbenchException("--normalize " + reference + ": the result has no " + reference + " configuration to "
                    + "divide by");
        }
        List<JmhResult> out = new ArrayList<>();
        int without = 0;
        for (JmhResult r : results) {
            if (reference.equals(r.param("strategy")) || reference.equals(r.param("variant"))) {
                continue;
            }
            JmhResult ref = refs.get(keyWithout(r));
            if (ref == null) {
                without++;
                continue;
            }
            double mean = Statistics.mean(ref.primary().samples());
            List<List<Double>> raw = new ArrayList<>();
            for (List<Double> fork : r.primary().raw()) {
                raw.add(fork.stream().map(x -> x / mean).toList());
            }
            JmhResult.Metric m = new JmhResult.Metric(r.primary().score() / mean, r.primary().error() / mean,
                    "x " + reference, raw);
            out.add(new JmhResult(r.benchmark(), r.mode(), r.params(), m, Map.of()));
        }
        return new Normalized(List.copyOf(out), without);
    }

    /** The result's key with the strategy (or hybrid variant) left out: what it shares with its reference. */
    private static String keyWithout(JmhResult r) {
        TreeMap<String, String> p = new TreeMap<>(r.params());
        p.remove("strategy");
        p.remove("variant");
        p.computeIfPresent("model", (k, v) -> JmhResult.modelName(v));
        p.remove("batchSize", "1");
        return r.shortName() + p;
    }
}
