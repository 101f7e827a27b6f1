package dev.kvbench.matrix;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.StepFailedException;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.ErrorWording;
import dev.kvbench.results.ServingResults;
import dev.kvbench.results.ServingSummary;
import dev.kvbench.serve.Policy;
import dev.kvbench.serve.Scheduler;
import dev.kvbench.serve.Workload;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The bench's small serving sweep (what {@code kvbench serve} measures, sized to the run): closed-loop clients
 * (1, 4, 16; 1 and 8 for a quick run) sending requests of {@link #PROMPT_TOKENS} + {@link #NEW_TOKENS} tokens, served
 * by each policy (sequential, static-batch, continuous; up to {@link #MAX_BATCH} rows) with the reference strategy,
 * the first recommended one and a strategy with a slot per row (static-gqa) where the model has one, each load run
 * {@code repeat} times. The figures go into the run's result file as serving figures ({@link ServingResults}) under the
 * targets {@link #SLO}, where the summary's "Serving" section reads them.
 */
public final class ServingSweep {
    public static final int PROMPT_TOKENS = 64;
    public static final int NEW_TOKENS = 32;
    public static final int MAX_BATCH = 16;
    /** Latency targets of the sweep's goodput: a service's users' (vLLM's serving benchmark's example figures). */
    public static final String SLO = "ttft=200,tpot=50";
    private static final double TTFT_MS = 200;
    private static final double TPOT_MS = 50;
    /** A run's time limit: no request is started after it (an overloaded configuration stops by itself). */
    private static final long LIMIT_NANOS = 60_000_000_000L;

    /** What a sweep runs. */
    public record Plan(List<Strategy> strategies, List<Policy> policies, List<Integer> clients, int repeat) {
        public Plan {
            strategies = List.copyOf(strategies);
            policies = List.copyOf(policies);
            clients = List.copyOf(clients);
        }

        /** Runs in all. */
        public int runs() {
            return strategies.size() * policies.size() * clients.size() * repeat;
        }
    }

    private ServingSweep() {
    }

    /**
     * The sweep of a {@code kind} run: the reference, the first recommended strategy that keeps a cache, and the first
     * runnable one with a slot per row (static-gqa and its quantized caches, decoder-only), at most three.
     */
    public static Plan plan(MatrixPlan.Kind kind, Strategy reference, List<String> picks, List<Strategy> runnable,
                            boolean encoderDecoder) {
        Set<Strategy> chosen = new LinkedHashSet<>();
        if (runnable.contains(reference)) { // a reference that failed its preflight is not swept
            chosen.add(reference);
        }
        picks.stream().map(Strategy::parse).filter(s -> !s.quadratic() && runnable.contains(s)).findFirst()
                .ifPresent(chosen::add);
        if (!encoderDecoder) {
            runnable.stream().filter(s -> s.id().startsWith("static-gqa")).findFirst().ifPresent(chosen::add);
        }
        if (chosen.isEmpty() && !runnable.isEmpty()) {
            chosen.add(runnable.get(0));
        }
        List<Strategy> strategies = new ArrayList<>(chosen).subList(0, Math.min(3, chosen.size()));
        return kind == MatrixPlan.Kind.QUICK
                ? new Plan(strategies, List.of(Policy.SEQUENTIAL, Policy.CONTINUOUS), List.of(1, 8), 1)
                : new Plan(strategies, List.of(Policy.SEQUENTIAL, Policy.STATIC_BATCH, Policy.CONTINUOUS), List.of(1, 4, 16), 3);
    }

    /**
     * Runs {@code plan} on the model in {@code folder}, one engine per strategy; each configuration's figures come to
     * {@code entries} as they finish, each failure to {@code failures} (the others go on).
     */
    public static void run(Path folder, GraphDtypes dtype, int threads, Plan plan, PrintWriter console,
                           List<ServingResults.Entry> entries, List<String> failures) {
        ServingSummary.Targets targets = new ServingSummary.Targets(TTFT_MS, TPOT_MS);
        int done = 0;
        long t0 = System.nanoTime();
        for (Strategy s : plan.strategies()) {
            try (Engine engine = new Engine(folder, s, EngineOptions.defaults().withThreads(threads).withDtypes(dtype))) {
                int prompt = engine.model().encoderDecoder() ? Math.min(PROMPT_TOKENS, 32) : PROMPT_TOKENS;
                // Untimed first: every policy once at 4 clients, so the engine's first seconds (JIT, ONNX Runtime's first
                // runs of each shape) do not fall on whichever configuration comes first.
                for (Policy p : plan.policies()) {
                    Scheduler.run(engine.generator(), Workload.clients(engine.model(), 4, 8, 99,
                            Workload.Lengths.fixed(prompt), Workload.Lengths.fixed(NEW_TOKENS)),
                            new Scheduler.Settings(p, p == Policy.SEQUENTIAL ? 1 : MAX_BATCH, 0, LIMIT_NANOS));
                }
                for (Policy p : plan.policies()) {
                    int batch = p == Policy.SEQUENTIAL ? 1 : MAX_BATCH;
                    Scheduler.Settings settings = new Scheduler.Settings(p, batch, p == Policy.STATIC_BATCH ? 10 : 0,
                            LIMIT_NANOS);
                    for (int clients : plan.clients()) {
                        List<ServingSummary> runs = new ArrayList<>();
                        for (int k = 0; k < plan.repeat(); k++) {
                            Workload w = Workload.clients(engine.model(), clients, Math.max(8, 2 * clients), k,
                                    Workload.Lengths.fixed(prompt), Workload.Lengths.fixed(NEW_TOKENS));
                            runs.add(ServingSummary.of(Scheduler.run(engine.generator(), w, settings), targets));
                            done++;
                        }
                        entries.add(new ServingResults.Entry(folder.getFileName().toString(), s.id(), dtype.toString(),
                                p.id(), batch, 0, false, "clients", clients, SLO, runs));
                        double left = (System.nanoTime() - t0) / 1e9 / done * (plan.runs() - done);
                        console.printf(Locale.ROOT, "[serving] %s %s, %d client(s): %.1f output tokens/s, TPOT p95 %.1f ms"
                                + "%s%n", s, p, clients, runs.stream().mapToDouble(ServingSummary::tokensPerSecond)
                                        .average().orElse(Double.NaN), runs.stream()
                                        .mapToDouble(r -> r.tpotMs().p95()).average().orElse(Double.NaN),
                                done < plan.runs() ? String.format(Locale.ROOT, "; about %.0f s left", left) : "");
                        console.flush();
                    }
                }
            } catch (KvbenchException | StepFailedException e) {
                failures.add("serving sweep (" + s + "): " + ErrorWording.of(e));
                done += plan.policies().size() * plan.clients().size() * plan.repeat();
            }
        }
    }
}
