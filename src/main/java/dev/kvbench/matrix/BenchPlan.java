package dev.kvbench.matrix;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Layout;
import dev.kvbench.results.DeriveHint;
import dev.kvbench.results.StrategyRoles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * What one bench run on a model folder does, planned before any measurement: which strategies it offers (and which
 * are not available in the folder), then, from those that passed preflight, the JMH parts, the reference, this
 * shard's strategies, what the rules skip, the peak-memory runs and the verdict plan; for the default run, what to
 * measure once the verdict has picked. Pure: no model is opened, nothing runs.
 */
public record BenchPlan(MatrixPlan.Kind kind, MatrixPlan.Plan plan, Strategy reference, List<Strategy> shardStrategies,
                        List<String> skipped, List<MatrixPlan.PeakRun> peaks, MatrixPlan.VerdictPlan verdictPlan,
                        Settings settings) {
    /** The settings a plan is made with: the no-cache limit, the model's positions and kind, the shard. */
    public record Settings(int noCacheMaxTokens, int maxPositions, boolean encoderDecoder, int shardK, int shardN) {
    }

    /** The strategies a run offers on a layout: those it will preflight, and one line for each that is not available. */
    public record Offered(List<Strategy> strategies, List<String> notAvailable) {
    }

    /**
     * The strategies of {@code kind} that the folder has the variants of (each missing one listed), or exactly
     * {@code chosen} when the user named them (a missing one is then bad input).
     */
    public static Offered offered(MatrixPlan.Kind kind, List<Strategy> chosen, Path folder, Layout layout) {
        List<String> notAvailable = new ArrayList<>();
        if (chosen != null) {
            List<Strategy> distinct = List.copyOf(new LinkedHashSet<>(chosen));
            for (Strategy s : distinct) {
                if (!s.availableIn(layout)) {
                    throw new KvbenchException(s + " is not available: " + DeriveHint.unavailable(s.variant(), folder, layout));
                }
            }
            return new Offered(distinct, notAvailable);
        }
        List<Strategy> among = MatrixPlan.candidates(kind);
        List<Strategy> available = Strategy.availableIn(layout, among);
        for (Strategy s : among) {
            if (!available.contains(s)) {
                notAvailable.add(s + ": not available -- " + DeriveHint.unavailable(s.variant(), folder, layout));
            }
        }
        return new Offered(available, notAvailable);
    }

    /**
     * The run's plan for the strategies that passed preflight: kv the reference when it is among them, else the first;
     * {@code explicit} when the user chose the strategies (every one gets a verdict).
     */
    public static BenchPlan of(MatrixPlan.Kind kind, List<Strategy> runnable, Settings settings, boolean explicit) {
        MatrixPlan.Plan plan = MatrixPlan.plan(kind, runnable, settings.noCacheMaxTokens(), settings.maxPositions(),
                settings.encoderDecoder());
        Strategy reference = runnable.contains(StrategyRoles.reference()) || runnable.isEmpty() ? StrategyRoles.reference()
                : runnable.get(0);
        plan = MatrixPlan.shard(plan, reference, settings.shardK(), settings.shardN());
        List<Strategy> shardStrategies = runnable.stream()
                .filter(s -> MatrixPlan.inShard(s.id(), reference, settings.shardK(), settings.shardN())).toList();
        List<String> skipped = new ArrayList<>(kind.answerFirst() ? List.of() : plan.skipped());
        List<MatrixPlan.PeakRun> peaks = kind.answerFirst() ? List.of()
                : MatrixPlan.peakRuns(kind, shardStrategies, settings.noCacheMaxTokens(), skipped);
        return new BenchPlan(kind, plan, reference, shardStrategies, skipped, peaks,
                MatrixPlan.verdictPlan(kind, shardStrategies, explicit), settings);
    }

    /** The default run's follow-up: the parts and peak-memory runs for the reference and the picks, in this shard. */
    public BenchRun.FollowUp followUp(List<Strategy> measured) {
        MatrixPlan.Plan p = MatrixPlan.shard(MatrixPlan.plan(kind, measured, settings.noCacheMaxTokens(),
                settings.maxPositions(), settings.encoderDecoder()), reference, settings.shardK(), settings.shardN());
        List<String> ruled = new ArrayList<>(p.skipped());
        List<MatrixPlan.PeakRun> runs = MatrixPlan.peakRuns(kind, measured, settings.noCacheMaxTokens(), ruled);
        return new BenchRun.FollowUp(p.parts(), runs, ruled, p.leftOut());
    }
}
