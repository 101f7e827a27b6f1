package dev.kvbench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.StepFailedException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.paired.AbMeasurement;
import dev.kvbench.paired.StrategyVerdicts;
import dev.kvbench.paired.TokenLatency;
import dev.kvbench.results.ErrorWording;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A bench run's verdict phase: every candidate against the reference in paired generations of worker JVMs, and the
 * A/A control, group by group (each group its own rounds), as {@code ab --strategies} measures them.
 */
final class VerdictPhase {
    /** Threshold and significance level of the strategy verdicts (those of {@code ab}). */
    static final double THRESHOLD_PERCENT = 5;
    static final double ALPHA = 0.05;

    private VerdictPhase() {
    }

    /**
     * What the rounds found: the verdicts, their JSON for the run record (with the wall time, rounds and pairs), and
     * the time per output token from the same generations' steps.
     */
    record Outcome(StrategyVerdicts verdicts, JsonNode json, TokenLatency latency) {
    }

    /**
     * Runs the plan's groups; a group whose rounds fail goes to {@code failure} (one line) and the others go on. Null
     * when no group produced a verdict.
     */
    static Outcome run(MatrixPlan.VerdictPlan plan, Path repo, Path folder, GraphDtypes dtype, PrintWriter console,
                       Consumer<String> failure) throws IOException {
        long t0 = System.nanoTime();
        List<StrategyVerdicts.Verdict> verdictRows = new ArrayList<>();
        List<StrategyVerdicts.Verdict> controlRows = new ArrayList<>();
        TokenLatency steps = new TokenLatency(List.of());
        for (MatrixPlan.Group g : plan.groups()) {
            String tokens = g.newTokens().stream().map(String::valueOf).collect(Collectors.joining(","));
            console.printf(Locale.ROOT, "[verdict] %s against %s at %s new tokens%s: %d interleaved rounds of %d paired "
                            + "generations per configuration, with %s against itself as the control ...%n",
                    plan.candidates().stream().map(Strategy::id).collect(Collectors.joining(", ")), plan.reference(), tokens,
                    g.rows() > 1 ? ", " + g.rows() + " rows" : "", plan.rounds(), plan.pairs(), plan.reference());
            console.flush();
            AbMeasurement m = new AbMeasurement(AbMeasurement.Method.GENERATIONS, "", List.of("model=" + folder,
                    "newTokens=" + tokens, "batchSize=" + g.rows(), "dtype=" + dtype), plan.rounds(), plan.pairs(),
                    plan.warmupOps(), 1, 1, 1);
            try {
                AbMeasurement.Sides sides = m.measureStrategies(repo, plan.reference(), plan.candidates(), console);
                StrategyVerdicts v = StrategyVerdicts.of(m.time(sides, THRESHOLD_PERCENT, ALPHA), plan.reference());
                verdictRows.addAll(v.verdicts());
                controlRows.addAll(v.controls());
                steps = steps.and(TokenLatency.of(sides));
            } catch (KvbenchException | StepFailedException e) {
                failure.accept("strategy verdict rounds" + (g.rows() > 1 ? " at " + g.rows() + " rows" : "") + ": "
                        + ErrorWording.of(e));
            }
        }
        if (verdictRows.isEmpty() && controlRows.isEmpty()) {
            return null;
        }
        StrategyVerdicts v = new StrategyVerdicts(plan.reference(), THRESHOLD_PERCENT, List.copyOf(verdictRows),
                List.copyOf(controlRows));
        double wall = (System.nanoTime() - t0) / 1e9;
        return new Outcome(v, v.json(wall).put("rounds", plan.rounds()).put("pairs", plan.pairs()), steps);
    }
}
