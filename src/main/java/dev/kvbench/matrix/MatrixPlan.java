package dev.kvbench.matrix;

import dev.kvbench.decode.Strategy;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.StrategyRoles;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench matrix, planned without running anything: which benchmark runs for which strategy at which lengths,
 * batch sizes and passes, and which configurations a rule leaves out (quadratic work beyond a length, contexts beyond
 * the model's positions). Pure: the same inputs give the same parts in the same order.
 */
public final class MatrixPlan {
    /**
     * Which matrix: the default run (the verdict first, then time to first token, the roofline's steps, peak memory and
     * shared prompts of the reference and the recommended strategies: about eleven minutes), the full matrix, the smoke
     * run, or the per-step latency at real shapes.
     */
    public enum Kind {
        DEFAULT("default"), FULL("full"), QUICK("quick"), REAL_SHAPES("real-shapes");

        public final String id;

        Kind(String id) {
            this.id = id;
        }

        /** JMH iteration overrides: {warmup iterations, measurement iterations}, or null for the benchmarks' own. */
        public int[] iterations() {
            return switch (this) {
                case FULL, DEFAULT -> null;
                case QUICK -> new int[] {1, 2};
                case REAL_SHAPES -> new int[] {1, 3};
            };
        }

        /** Forks per configuration unless --forks says otherwise. */
        public int defaultForks() {
            return this == FULL ? 2 : 1;
        }

        /** Whether the verdict rounds run first and decide which strategies are measured further ({@link #followUp}). */
        public boolean answerFirst() {
            return this == DEFAULT;
        }
    }

    /** Generation lengths (new tokens) of the default and quick matrices. */
    static final List<Integer> GENERATION_LENGTHS = List.of(64, 256, 1024);
    static final List<Integer> QUICK_GENERATION_LENGTHS = List.of(16);
    /** Step contexts of each matrix. */
    static final List<Integer> CONTEXTS = List.of(16, 64, 256, 1024, 2048);
    static final List<Integer> QUICK_CONTEXTS = List.of(64);
    public static final List<Integer> REAL_SHAPES_CONTEXTS = List.of(64, 512, 2048);
    /** Rounds and paired generations per configuration and round of the default run's verdict. */
    static final int DEFAULT_VERDICT_ROUNDS = 6;
    static final int DEFAULT_VERDICT_PAIRS = 16;
    /** Step contexts of the default run: the roofline at a short and a long context. */
    static final List<Integer> DEFAULT_CONTEXTS = List.of(256, 2048);
    /** Prompt lengths of the time-to-first-token benchmark. */
    static final List<Integer> PROMPT_LENGTHS = List.of(64, 512, 2048);
    static final List<Integer> QUICK_PROMPT_LENGTHS = List.of(64);
    /** Batch sizes, new tokens and step context of the batched part of the default matrix. */
    static final List<Integer> BATCH_SIZES = List.of(4, 16);
    static final int BATCH_TOKENS = 256;
    static final int BATCH_CONTEXT = 256;
    /** Rows of the batched step and peak-memory runs. */
    public static final int PEAK_BATCH = 16;
    /** Candidates of the re-ranking benchmark. */
    static final int SCORE_TEXTS = 16;
    /** Prompt (prefix) lengths of the default run's shared-prompt benchmarks, and the turns of its conversation. */
    static final List<Integer> SHARED_PROMPT_LENGTHS = List.of(512);
    static final int CONTINUATION_TURNS = 4;

    /**
     * The parts in running order, the configurations left out by rule, and (default run) what the full matrix would
     * add (one line each, for the summary).
     */
    public record Plan(List<MatrixPart> parts, List<String> skipped, List<String> leftOut) {
        public Plan(List<MatrixPart> parts, List<String> skipped) {
            this(parts, skipped, List.of());
        }
    }

    private MatrixPlan() {
    }

    /** The strategies a matrix considers when none are chosen: every one, or at real shapes the baseline and the caches. */
    public static List<Strategy> candidates(Kind kind) {
        return kind == Kind.REAL_SHAPES ? StrategyRoles.withRole(StrategyRoles.Role.BASELINE, StrategyRoles.Role.CACHE)
                : List.of(Strategy.values());
    }

    /** Strategies measured in batches: the caches a user would ship (only the reference one in a quick run). */
    public static List<Strategy> batched(Kind kind) {
        return kind == Kind.QUICK ? List.of(StrategyRoles.reference()) : StrategyRoles.withRole(StrategyRoles.Role.CACHE);
    }

    /**
     * The matrix for the strategies that passed their preflight. {@code maxPositions} <= 0: the model states none.
     * {@code encoderDecoder}: the step context includes the source, so it must fit the encoder's positions too.
     */
    public static Plan plan(Kind kind, List<Strategy> runnable, int noCacheMaxTokens, int maxPositions, boolean encoderDecoder) {
        List<String> skipped = new ArrayList<>();
        List<Integer> allContexts = switch (kind) {
            case REAL_SHAPES -> REAL_SHAPES_CONTEXTS;
            case QUICK -> QUICK_CONTEXTS;
            case DEFAULT -> DEFAULT_CONTEXTS;
            case FULL -> CONTEXTS;
        };
        List<Integer> contexts = allContexts.stream().filter(c -> maxPositions <= 0 || c <= maxPositions).toList();
        allContexts.stream().filter(c -> !contexts.contains(c)).forEach(c -> skipped.add(String.format(Locale.ROOT,
                "StepBenchmark at context %d: beyond the model's %d positions%s", c, maxPositions,
                encoderDecoder ? " (the prompt is the source)" : "")));
        List<MatrixPart> parts = new ArrayList<>();
        if (kind == Kind.REAL_SHAPES) {
            for (Strategy s : runnable) {
                List<Integer> mine = s.quadratic() ? contexts.subList(0, Math.min(1, contexts.size())) : contexts;
                if (s.quadratic()) {
                    contexts.stream().skip(1).forEach(c -> skipped.add(s + " at context " + c
                            + ": the preset runs quadratic work at the shortest context only"));
                }
                if (!mine.isEmpty()) {
                    parts.add(new MatrixPart(BenchmarkContract.STEP, "strategy", s.id(), "context", mine));
                }
            }
            return new Plan(List.copyOf(parts), List.copyOf(skipped));
        }
        if (kind == Kind.DEFAULT) {
            for (Strategy s : runnable) {
                if (!contexts.isEmpty()) {
                    parts.add(new MatrixPart(BenchmarkContract.STEP, "strategy", s.id(), "context", contexts));
                }
            }
            addPrefill(parts, skipped, runnable, PROMPT_LENGTHS, maxPositions);
            addSharedPrompts(parts, kind, runnable, encoderDecoder);
            return new Plan(List.copyOf(parts), List.copyOf(skipped), leftOut(runnable));
        }
        boolean quick = kind == Kind.QUICK;
        List<Integer> genLengths = quick ? QUICK_GENERATION_LENGTHS : GENERATION_LENGTHS;
        for (Strategy s : runnable) {
            List<Integer> lengths = genLengths;
            if (s.quadratic()) {
                lengths = genLengths.stream().filter(n -> n <= noCacheMaxTokens).toList();
                genLengths.stream().filter(n -> n > noCacheMaxTokens).forEach(n -> skipped.add(String.format(Locale.ROOT,
                        "%s generation of %d tokens: longer than --no-cache-max-tokens %d (O(n^2) work)", s, n, noCacheMaxTokens)));
            }
            if (!lengths.isEmpty()) {
                parts.add(new MatrixPart(BenchmarkContract.GENERATION, "strategy", s.id(), "newTokens", lengths));
            }
        }
        if (!contexts.isEmpty()) {
            for (Strategy s : runnable) {
                parts.add(new MatrixPart(BenchmarkContract.STEP, "strategy", s.id(), "context", contexts));
            }
        }
        addPrefill(parts, skipped, runnable, quick ? QUICK_PROMPT_LENGTHS : PROMPT_LENGTHS, maxPositions);
        // Batches: aggregate tokens per second against batch 1, padding, and whether the static caches keep up.
        for (Strategy s : runnable) {
            if (!batched(kind).contains(s)) {
                continue;
            }
            for (int b : quick ? BATCH_SIZES.subList(0, 1) : BATCH_SIZES) {
                parts.add(new MatrixPart(BenchmarkContract.GENERATION, "strategy", s.id(), "newTokens",
                        List.of(quick ? QUICK_GENERATION_LENGTHS.get(0) : BATCH_TOKENS), Map.of("batchSize", String.valueOf(b))));
            }
            if (!quick && contexts.contains(BATCH_CONTEXT)) {
                parts.add(new MatrixPart(BenchmarkContract.STEP, "strategy", s.id(), "context", List.of(BATCH_CONTEXT),
                        Map.of("batchSize", String.valueOf(PEAK_BATCH))));
            }
        }
        // Re-ranking: candidates scored in one pass and incrementally.
        for (Strategy s : runnable) {
            if (quick && s != StrategyRoles.reference()) {
                continue;
            }
            for (String pass : List.of("full", "incremental")) {
                parts.add(new MatrixPart(BenchmarkContract.SCORE, "strategy", s.id(), "texts", List.of(SCORE_TEXTS),
                        Map.of("pass", pass)));
            }
        }
        addSharedPrompts(parts, kind, runnable, encoderDecoder);
        if (runnable.contains(Strategy.HYBRID)) {
            int tokens = quick ? 64 : 256;
            List<String> variants = new ArrayList<>();
            for (int t : quick ? List.of(10) : BenchmarkContract.HYBRID_THRESHOLDS) {
                variants.add(BenchmarkContract.hybridVariant(t));
            }
            // The two ends of the sweep: always the cache, never the cache.
            if (runnable.contains(StrategyRoles.reference())) {
                variants.add(StrategyRoles.reference().id());
            }
            Strategy never = StrategyRoles.baseline();
            if (!quick && runnable.contains(never)) {
                if (tokens <= noCacheMaxTokens) {
                    variants.add(never.id());
                } else {
                    skipped.add("hybrid threshold sweep, " + never + " variant: " + tokens + " tokens is longer than --no-cache-max-tokens");
                }
            }
            for (String v : variants) {
                parts.add(new MatrixPart(BenchmarkContract.HYBRID_THRESHOLD, "variant", v, "newTokens", List.of(tokens)));
            }
        }
        return new Plan(List.copyOf(parts), List.copyOf(skipped));
    }

    /**
     * Time to first token: one prompt step of 64, 512 and 2048 tokens; the longest prompt that leaves the first new
     * token a position where 2048 does not (2047 on a 2048-position model), shorter ones beyond the positions skipped.
     */
    private static void addPrefill(List<MatrixPart> parts, List<String> skipped, List<Strategy> runnable, List<Integer> lengths,
                                   int maxPositions) {
        List<Integer> promptLengths = new ArrayList<>();
        for (int n : lengths) {
            int fits = maxPositions <= 0 ? n : Math.min(n, maxPositions - 1);
            if (fits == n || (fits > 0 && n == PROMPT_LENGTHS.get(PROMPT_LENGTHS.size() - 1) && !promptLengths.contains(fits)
                    && promptLengths.stream().allMatch(m -> m < fits))) {
                promptLengths.add(fits);
            } else {
                skipped.add(String.format(Locale.ROOT, "PrefillBenchmark at %d prompt tokens: beyond the model's %d positions",
                        n, maxPositions));
            }
        }
        if (!promptLengths.isEmpty()) {
            for (Strategy s : runnable) {
                parts.add(new MatrixPart(BenchmarkContract.PREFILL, "strategy", s.id(), "promptTokens", promptLengths, Map.of()));
            }
        }
    }

    /**
     * Shared prompts, the prompt reused against recomputed ({@code reuse} / {@code hit} on and off), for the strategies
     * that keep a cache (not the quadratic ones; in a quick run the reference only, in the full matrix the caches users
     * ship): re-ranking 16 candidates given one prompt of {@link #SHARED_PROMPT_LENGTHS} tokens (the full matrix also as
     * {@link #PEAK_BATCH} rows of one batch), and for decoder-only models a prefix-cache hit's first token (the full
     * matrix at every prefill length) and a conversation of {@link #CONTINUATION_TURNS} turns.
     */
    private static void addSharedPrompts(List<MatrixPart> parts, Kind kind, List<Strategy> runnable, boolean encoderDecoder) {
        boolean quick = kind == Kind.QUICK;
        List<Integer> lengths = quick ? QUICK_PROMPT_LENGTHS : SHARED_PROMPT_LENGTHS;
        for (Strategy s : runnable) {
            if (s.quadratic() || (quick && s != StrategyRoles.reference()) || (kind == Kind.FULL && !batched(kind).contains(s))) {
                continue;
            }
            for (String rows : kind == Kind.FULL ? List.of("1", String.valueOf(PEAK_BATCH)) : List.of("1")) {
                for (String reuse : List.of("on", "off")) {
                    parts.add(new MatrixPart(BenchmarkContract.RERANK, "strategy", s.id(), "promptTokens", lengths,
                            Map.of("reuse", reuse, "rows", rows, "candidates", "16", "candidateTokens", "16")));
                }
            }
            if (encoderDecoder) {
                continue;
            }
            for (String hit : List.of("on", "off")) {
                parts.add(new MatrixPart(BenchmarkContract.PREFIX_HIT, "strategy", s.id(), "prefixTokens",
                        kind == Kind.FULL ? PROMPT_LENGTHS : lengths, Map.of("hit", hit, "suffixTokens", "16")));
            }
            for (String reuse : List.of("on", "off")) {
                parts.add(new MatrixPart(BenchmarkContract.CONTINUATION, "strategy", s.id(), "turns",
                        List.of(quick ? 2 : CONTINUATION_TURNS), Map.of("reuse", reuse, "turnTokens", "32",
                                "replyTokens", "16")));
            }
        }
    }

    /** What the full matrix measures beyond a default run of {@code measured}, one line each; {@code bench --full} runs it. */
    static List<String> leftOut(List<Strategy> measured) {
        List<String> out = new ArrayList<>();
        out.add("GenerationBenchmark (ms per token and heap per token at " + join(GENERATION_LENGTHS) + " new tokens)");
        out.add("StepBenchmark at contexts " + join(CONTEXTS.stream().filter(c -> !DEFAULT_CONTEXTS.contains(c)).toList())
                + ", and at " + PEAK_BATCH + " rows");
        out.add("batches of " + join(BATCH_SIZES) + " rows (GenerationBenchmark, " + BATCH_TOKENS + " new tokens)");
        out.add("re-ranking (ScoreBenchmark, " + SCORE_TEXTS + " candidates, one pass and incremental)");
        out.add("the hybrid threshold sweep (HybridThresholdBenchmark)");
        out.add("shared prompts of every cache users ship: candidates as " + PEAK_BATCH + " rows of one batch, a prefix hit at "
                + join(PROMPT_LENGTHS) + "-token prefixes");
        out.add("peak memory at " + PEAK_BATCH + " rows");
        List<String> others = java.util.Arrays.stream(Strategy.values()).filter(s -> !measured.contains(s)).map(Strategy::id).toList();
        if (!others.isEmpty()) {
            out.add("time to first token, steps and peak memory of " + String.join(", ", others)
                    + " (measured here: the reference and the recommendation)");
        }
        return List.copyOf(out);
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
    }

    /**
     * The peak-memory runs after the JMH parts: each runnable strategy alone (quadratic ones only within
     * --no-cache-max-tokens, never at real shapes), then the batched strategies at {@link #PEAK_BATCH} rows (not at
     * real shapes); none in a quick run. Left-out runs go to {@code skipped}.
     */
    public record PeakRun(Strategy strategy, int rows, int tokens) {
    }

    public static List<PeakRun> peakRuns(Kind kind, List<Strategy> runnable, int noCacheMaxTokens, List<String> skipped) {
        if (kind == Kind.QUICK) {
            return List.of();
        }
        int tokens = kind == Kind.REAL_SHAPES ? REAL_SHAPES_PEAK_TOKENS : PEAK_TOKENS;
        List<PeakRun> runs = new ArrayList<>();
        for (Strategy s : runnable) {
            if (s.quadratic() && (tokens > noCacheMaxTokens || kind == Kind.REAL_SHAPES)) {
                skipped.add(s + " peak memory: " + (kind == Kind.REAL_SHAPES ? "the preset leaves quadratic work out of the "
                        + "memory run (minutes per generation at this size)" : tokens + " tokens is longer than --no-cache-max-tokens"));
                continue;
            }
            runs.add(new PeakRun(s, 1, tokens));
        }
        if (kind == Kind.FULL) {
            runnable.stream().filter(batched(kind)::contains).forEach(s -> runs.add(new PeakRun(s, PEAK_BATCH, tokens)));
        }
        return List.copyOf(runs);
    }

    /**
     * The interleaved strategy rounds the summary opens with: every candidate against the reference in paired
     * generations (as {@code ab --strategies}), with the reference against itself as the A/A control; and the default
     * run's shared-prompt rounds after its follow-up ({@code sharedRounds} paired rounds of re-ranking given a prompt of
     * {@code sharedPromptTokens}, {@link SharedPromptVerdict}).
     */
    public record VerdictPlan(Strategy reference, List<Strategy> candidates, List<Group> groups, int rounds, int pairs,
                              int warmupOps, int sharedRounds, int sharedPromptTokens) {

        /** The plan with the shared-prompt rounds' own sizes ({@link SharedPromptVerdict#ROUNDS} at its prompt length). */
        public VerdictPlan(Strategy reference, List<Strategy> candidates, List<Group> groups, int rounds, int pairs,
                           int warmupOps) {
            this(reference, candidates, groups, rounds, pairs, warmupOps, SharedPromptVerdict.ROUNDS,
                    SharedPromptVerdict.PROMPT_TOKENS);
        }

        /** The longest generation of the plan's single-row groups (for the per-token latency). */
        public int longestNewTokens() {
            return groups.stream().filter(g -> g.rows() == 1).flatMap(g -> g.newTokens().stream()).mapToInt(Integer::intValue)
                    .max().orElse(64);
        }
    }

    /** Configurations measured together: these lengths at this many rows. */
    public record Group(List<Integer> newTokens, int rows) {
    }

    /**
     * The verdict rounds for the runnable strategies, or null when fewer than two run. The reference is kv (else the
     * first runnable); the candidates are the caches a user would ship, plus the ablations and the baseline when the
     * user named them with --strategies ({@code explicit}); the baseline only at the shortest length.
     */
    public static VerdictPlan verdictPlan(Kind kind, List<Strategy> runnable, boolean explicit) {
        if (runnable.size() < 2 || kind == Kind.REAL_SHAPES) {
            return null;
        }
        Strategy reference = runnable.contains(StrategyRoles.reference()) ? StrategyRoles.reference() : runnable.get(0);
        List<Strategy> candidates = runnable.stream().filter(s -> s != reference)
                .filter(s -> explicit || StrategyRoles.of(s) == StrategyRoles.Role.CACHE).toList();
        if (candidates.isEmpty()) {
            return null;
        }
        // 64 and 256 new tokens of one row, and 16 rows at 64 (a batch's verdict can differ from one row's, and the
        // length changes static's); the default run with fewer paired generations a round than the full matrix.
        List<Group> groups = List.of(new Group(List.of(64, 256), 1), new Group(List.of(64), PEAK_BATCH));
        return switch (kind) {
            case QUICK -> new VerdictPlan(reference, candidates, List.of(new Group(List.of(64), 1)), 3, 10, 5);
            case DEFAULT -> new VerdictPlan(reference, candidates, groups, DEFAULT_VERDICT_ROUNDS, DEFAULT_VERDICT_PAIRS, 5);
            default -> new VerdictPlan(reference, candidates, groups, 6, 20, 10);
        };
    }

    /**
     * Shard {@code k} of {@code n} (1-based) of a matrix, for running it on {@code n} machines: every part of the
     * reference strategy runs in every shard (so each shard's ratios stand alone), the other strategies are dealt out
     * in declaration order, strategy i to shard i mod n + 1. The same inputs give the same split on every machine.
     */
    public static boolean inShard(String partValue, Strategy reference, int k, int n) {
        if (n == 1) {
            return true;
        }
        String id = partValue.startsWith(Strategy.HYBRID.id() + "-") ? Strategy.HYBRID.id() : partValue;
        if (id.equals(reference.id())) {
            return true;
        }
        List<Strategy> others = java.util.Arrays.stream(Strategy.values()).filter(s -> s != reference).toList();
        int i = others.indexOf(Strategy.parse(id));
        return i % n == k - 1;
    }

    /** The plan restricted to shard {@code k} of {@code n}: see {@link #inShard}. */
    public static Plan shard(Plan plan, Strategy reference, int k, int n) {
        return new Plan(plan.parts().stream().filter(p -> inShard(p.value(), reference, k, n)).toList(), plan.skipped(),
                plan.leftOut());
    }

    /**
     * The default run's strategies after its verdict: the reference and each configuration's pick (the
     * recommendation's strategies), in declaration order; the runnable ones when there was no verdict.
     */
    public static List<Strategy> followUp(Strategy reference, List<String> picks, List<Strategy> runnable) {
        if (picks.isEmpty()) {
            return runnable;
        }
        return java.util.Arrays.stream(Strategy.values()).filter(s -> s == reference || picks.contains(s.id()))
                .filter(runnable::contains).toList();
    }

    /** New tokens of the peak-memory generation: 8-token prompt + 2040 = 2048 positions; 248 at real shapes. */
    static final int PEAK_TOKENS = 2040;
    static final int REAL_SHAPES_PEAK_TOKENS = 248;
}
