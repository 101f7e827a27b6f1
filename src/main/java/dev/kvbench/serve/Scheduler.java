package dev.kvbench.serve;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Generator;
import dev.kvbench.decode.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Replays a workload against one generator in real time, on the calling thread: requests arrive at their times (the
 * scheduler sleeps until the next one while idle), wait in a queue, and are decoded step by step by the policy:
 * <ul>
 *   <li>{@code sequential}: one request at a time;</li>
 *   <li>{@code static-batch}: up to {@code maxBatch} requests, started when the batch is full, its first request has
 *       waited {@code maxWaitMillis} or no request is left to come, decoded together until the last one ends;</li>
 *   <li>{@code continuous}: at every step boundary queued requests take the free rows of the running batch (up to
 *       {@code maxBatch}), and a request leaves at its token limit or when its client cancels. With a cache that keeps a
 *       length per row ({@link Generator#admitsRows}: {@code static-gqa} and its quantized caches) a joining request's
 *       prompt is computed into a free slot by a one-row step and the other rows keep their cache. Other caches hold
 *       shared columns: a join starts a new batch of every running row's history so far and the new prompts (the running
 *       rows' cache computed again: what joining costs them). A decoder that cannot batch rows of different lengths
 *       (Marian's merged decoder has no decoder mask) takes new rows only when its batch has drained.</li>
 * </ul>
 * Greedy decoding, EOS ignored, so every request makes its token limit and its tokens are what it gets decoded alone.
 * One untimed batch warms the engine up before the clock starts. After {@code limitNanos} no queued request is started:
 * the run reports what it served and what it left, so an overloaded run ends by itself.
 */
public final class Scheduler {
    /**
     * The policy, its batch settings ({@code maxBatch} 1 and no wait for sequential), the run's time limit, and the
     * prompt chunk of continuous batching in slots ({@code prefillChunk} tokens of a joining prompt per step; 0: whole).
     */
    public record Settings(Policy policy, int maxBatch, double maxWaitMillis, long limitNanos, int prefillChunk,
                           boolean promptCache) {
        public Settings {
            if (maxBatch < 1 || maxBatch > 4096) {
                throw new KvbenchException("the batch size must be in 1..4096, got " + maxBatch);
            }
            if (!(maxWaitMillis >= 0 && Double.isFinite(maxWaitMillis))) {
                throw new KvbenchException("the batch wait must be a finite number of milliseconds >= 0, got " + maxWaitMillis);
            }
            if (policy == Policy.SEQUENTIAL && maxBatch != 1) {
                throw new KvbenchException("sequential decodes one request at a time: a batch size of " + maxBatch
                        + " does nothing with it");
            }
            if (limitNanos <= 0) {
                throw new KvbenchException("the time limit must be above 0, got " + limitNanos + " ns");
            }
            if (prefillChunk < 0 || prefillChunk > 0 && policy != Policy.CONTINUOUS) {
                throw new KvbenchException("a prompt chunk is continuous batching's (a joining prompt computed a chunk per "
                        + "step), and at least 1 token; got " + prefillChunk + " with " + policy);
            }
            if (promptCache && policy != Policy.CONTINUOUS) {
                throw new KvbenchException("a prompt cache across requests is continuous batching's (a joining request "
                        + "reuses what a slot holds), not " + policy + "'s");
            }
        }

        /** No prompt cache. */
        public Settings(Policy policy, int maxBatch, double maxWaitMillis, long limitNanos, int prefillChunk) {
            this(policy, maxBatch, maxWaitMillis, limitNanos, prefillChunk, false);
        }

        /** Whole prompts. */
        public Settings(Policy policy, int maxBatch, double maxWaitMillis, long limitNanos) {
            this(policy, maxBatch, maxWaitMillis, limitNanos, 0, false);
        }

        /** No time limit, whole prompts. */
        public Settings(Policy policy, int maxBatch, double maxWaitMillis) {
            this(policy, maxBatch, maxWaitMillis, Long.MAX_VALUE, 0, false);
        }
    }

    /**
     * A run: the requests served (in request order), those never started because the time limit came first, the most
     * requests that waited at once, and the run's wall time (first arrival to last token, or to the limit).
     */
    public record Run(List<Served> served, int unserved, int maxQueue, long elapsedNanos) {
        public Run {
            served = List.copyOf(served);
        }
    }

    private Scheduler() {
    }

    /** Every request of {@code workload} served, or as many as start within the settings' time limit. */
    public static Run run(Generator generator, Workload workload, Settings settings) {
        for (Workload.Request r : workload.requests()) {
            generator.check(r.prompt(), r.maxNewTokens()); // every request is checked before the clock starts
        }
        // One untimed batch first: the JIT and ONNX Runtime's first runs are not what a running service's users see.
        List<Workload.Request> all = workload.requests();
        List<Workload.Request> warm = all.subList(0, Math.min(settings.maxBatch(), all.size()));
        generator.generate(warm.stream().map(Workload.Request::prompt).toList(), 2, true, Sampler.greedy(), null);
        return replay(generator, workload, settings);
    }

    /**
     * The replay alone: no check of the requests and no warm-up batch (a caller that replays the same workload many
     * times, as a benchmark does, has done both).
     */
    public static Run replay(Generator generator, Workload workload, Settings settings) {
        return new Replay(generator, workload, settings).run();
    }

    /** A request being decoded: its row, its tokens so far and their times. */
    private static final class Live {
        final Workload.Request request;
        final long startNanos;
        final int[] tokens;
        final long[] times;
        final boolean[] gapHadPrefill;
        int row;
        int produced;
        int prefilled;
        int reused;
        double rowsSum;
        int steps;
        boolean prefillSinceLast;

        Live(Workload.Request request, long startNanos) {
            this.request = request;
            this.startNanos = startNanos;
            int wanted = request.tokensWanted();
            tokens = new int[wanted];
            times = new long[wanted];
            gapHadPrefill = new boolean[Math.max(0, wanted - 1)];
        }

        void add(int token, long at, int rows) {
            if (produced > 0) {
                gapHadPrefill[produced - 1] = prefillSinceLast;
                rowsSum += rows;
                steps++;
            }
            prefillSinceLast = false;
            tokens[produced] = token;
            times[produced++] = at;
        }

        boolean done() {
            return produced == tokens.length;
        }

        Served served() {
            return new Served(request, startNanos, times, tokens, steps == 0 ? 1 : rowsSum / steps, gapHadPrefill,
                    request.tokensWanted() < request.maxNewTokens(), reused);
        }

        /** The tokens whose entries its slot holds: the prompt (as far as computed) and the tokens fed after it. */
        long[] held() {
            long[] out = java.util.Arrays.copyOf(request.prompt(), request.prompt().length + produced);
            for (int t = 0; t < produced; t++) {
                out[request.prompt().length + t] = tokens[t];
            }
            return out;
        }
    }

    /** One replay's state: the requests (closed-loop arrivals filled in as clients finish), the queue, the batch. */
    private static final class Replay {
        private final Generator g;
        private final Workload workload;
        private final Settings settings;
        private final Workload.Request[] requests;
        private final boolean[] started;
        private final Served[] served;
        private final boolean slots;
        private final boolean joinsRunning;
        private final List<Live> running = new ArrayList<>();
        private final List<Live> prefilling = new ArrayList<>();
        private final Live[] bySlot;
        /** The slots, where the cache has them ({@link Generator#openSlots}); null otherwise. */
        private dev.kvbench.decode.SlotBatch batch;
        /** What a freed slot still holds (its last request's tokens), for the prompt cache; null when never used. */
        private final long[][] freedHeld;
        private final Sampler greedy = Sampler.greedy();
        private long t0;
        private int maxQueue;
        private int step;

        Replay(Generator g, Workload workload, Settings settings) {
            this.g = g;
            this.workload = workload;
            this.settings = settings;
            this.requests = workload.requests().toArray(new Workload.Request[0]);
            this.started = new boolean[requests.length];
            this.served = new Served[requests.length];
            boolean continuous = settings.policy() == Policy.CONTINUOUS;
            this.slots = continuous && g.admitsRows();
            this.joinsRunning = continuous && (slots || g.batchesUnequalRows());
            this.bySlot = new Live[slots ? settings.maxBatch() : 0];
            this.freedHeld = new long[bySlot.length][];
            if (settings.promptCache() && !slots) {
                throw new KvbenchException("a prompt cache across requests needs a cache with a slot per row (static-gqa "
                        + "and its quantized caches, decoder-only): " + g.strategy() + " holds no row apart from the others");
            }
            if (settings.prefillChunk() > 0 && !slots) {
                throw new KvbenchException("a prompt chunk needs a cache with a slot per row (static-gqa and its quantized "
                        + "caches, decoder-only): " + g.strategy() + " computes a joining prompt with the batch's next step");
            }
        }

        private long now() {
            return System.nanoTime() - t0;
        }

        Run run() {
            if (slots) {
                int positions = 2;
                for (Workload.Request r : requests) {
                    positions = Math.max(positions, r.prompt().length + r.maxNewTokens());
                }
                batch = g.openSlots(settings.maxBatch(), positions);
            }
            t0 = System.nanoTime();
            int unserved = 0;
            try {
                while (true) {
                    long now = now();
                    List<Workload.Request> queue = queue(now);
                    maxQueue = Math.max(maxQueue, queue.size());
                    boolean pastLimit = now > settings.limitNanos();
                    if (running.isEmpty() && prefilling.isEmpty()) {
                        if (allStarted()) {
                            break;
                        }
                        if (pastLimit) {
                            unserved = (int) java.util.stream.IntStream.range(0, started.length).filter(i -> !started[i]).count();
                            break;
                        }
                        if (queue.isEmpty()) {
                            sleep(nextArrival() - now);
                            continue;
                        }
                    }
                    List<Workload.Request> join = pastLimit ? List.of() : joiners(queue, now);
                    if (join == null) { // a static batch waits to fill
                        continue;
                    }
                    boolean stepped = false;
                    if (!join.isEmpty()) {
                        if (slots) {
                            admit(join);
                        } else {
                            rebuild(join);
                            stepped = true;
                        }
                    }
                    advancePrefills();
                    leave();
                    if (!stepped && !running.isEmpty()) {
                        step();
                        leave();
                    }
                }
            } finally {
                g.finish();
            }
            long first = Arrays.stream(served).filter(java.util.Objects::nonNull)
                    .mapToLong(s -> s.request().arrivalNanos()).min().orElse(0);
            long last = Arrays.stream(served).filter(java.util.Objects::nonNull)
                    .mapToLong(s -> s.tokenNanos()[s.tokenNanos().length - 1]).max().orElse(now());
            List<Served> out = Arrays.stream(served).filter(java.util.Objects::nonNull).toList();
            return new Run(out, unserved, maxQueue, Math.max(1, (unserved > 0 ? Math.max(last, now()) : last) - first));
        }

        private boolean allStarted() {
            for (boolean s : started) {
                if (!s) {
                    return false;
                }
            }
            return true;
        }

        /** Requests arrived and not started, by arrival (then index). */
        private List<Workload.Request> queue(long now) {
            List<Workload.Request> q = new ArrayList<>();
            for (int i = 0; i < requests.length; i++) {
                long at = requests[i].arrivalNanos();
                if (!started[i] && at != Workload.CLIENT_FREE && at <= now) {
                    q.add(requests[i]);
                }
            }
            q.sort(Comparator.comparingLong(Workload.Request::arrivalNanos).thenComparingInt(Workload.Request::index));
            return q;
        }

        /** The earliest arrival still to come (a known one). */
        private long nextArrival() {
            long next = Long.MAX_VALUE;
            for (int i = 0; i < requests.length; i++) {
                if (!started[i] && requests[i].arrivalNanos() != Workload.CLIENT_FREE) {
                    next = Math.min(next, requests[i].arrivalNanos());
                }
            }
            if (next == Long.MAX_VALUE) {
                throw new IllegalStateException("no request can arrive: a closed-loop client's previous request was not served");
            }
            return next;
        }

        /** Whether every request not started has arrived or waits on one being decoded (none left to come on its own). */
        private boolean noneToCome(long now) {
            for (int i = 0; i < requests.length; i++) {
                long at = requests[i].arrivalNanos();
                if (!started[i] && at != Workload.CLIENT_FREE && at > now) {
                    return false;
                }
            }
            return true;
        }

        /** Who starts now; null when a static batch waits (after sleeping towards its deadline or the next arrival). */
        private List<Workload.Request> joiners(List<Workload.Request> queue, long now) {
            if (queue.isEmpty()) {
                return List.of();
            }
            int room = settings.maxBatch() - running.size() - prefilling.size();
            return switch (settings.policy()) {
                case SEQUENTIAL -> running.isEmpty() ? queue.subList(0, 1) : List.of();
                case CONTINUOUS -> running.isEmpty() && prefilling.isEmpty() || joinsRunning
                        ? queue.subList(0, Math.min(room, queue.size())) : List.of();
                case STATIC_BATCH -> {
                    if (!running.isEmpty()) {
                        yield List.of();
                    }
                    long deadline = queue.get(0).arrivalNanos() + (long) (settings.maxWaitMillis() * 1e6);
                    if (queue.size() >= settings.maxBatch() || now >= deadline || noneToCome(now)) {
                        yield queue.subList(0, Math.min(settings.maxBatch(), queue.size()));
                    }
                    sleep(Math.min(deadline, nextArrival()) - now);
                    yield null;
                }
            };
        }

        /**
         * Slots: each joiner takes a free slot; its prompt is computed there whole now, or a chunk per step boundary
         * ({@link #advancePrefills}); its first token comes from its last chunk.
         */
        private void admit(List<Workload.Request> join) {
            for (Workload.Request r : join) {
                int slot = 0;
                while (bySlot[slot] != null) {
                    slot++;
                }
                started[r.index()] = true;
                Live live = new Live(r, now());
                if (settings.promptCache()) {
                    slot = reusePrefix(live, slot);
                }
                if (batch.free(slot) && batch.held(slot) > live.prefilled) {
                    batch.keep(slot, live.prefilled); // what else the slot held is about to be written over
                }
                live.row = slot;
                bySlot[slot] = live;
                prefilling.add(live);
                if (settings.prefillChunk() == 0) {
                    prefillChunk(live, r.prompt().length);
                }
            }
            prefilling.removeIf(l -> l.prefilled == l.request.prompt().length);
        }

        /**
         * The prompt cache: the slot (occupied or free) whose held tokens share the longest prefix with the request's
         * prompt (all but its last token at most: its logits give the first token). A free slot that holds it takes the
         * request as it is; otherwise the prefix is copied from where it is into {@code free}. Returns the slot the
         * request takes, with {@code live.prefilled} and {@code live.reused} at the prefix.
         */
        private int reusePrefix(Live live, int free) {
            long[] prompt = live.request.prompt();
            int best = 0;
            int from = -1;
            for (int s = 0; s < bySlot.length; s++) {
                long[] held = bySlot[s] != null ? bySlot[s].held() : freedHeld[s];
                if (held == null) {
                    continue;
                }
                int limit = Math.min(Math.min(held.length, batch.held(s)), prompt.length - 1);
                int n = 0;
                while (n < limit && held[n] == prompt[n]) {
                    n++;
                }
                boolean better = n > best || n == best && n > 0 && bySlot[s] == null && from >= 0 && bySlot[from] != null;
                if (better) {
                    best = n;
                    from = s;
                }
            }
            if (best == 0) {
                return free;
            }
            int slot = free;
            if (bySlot[from] == null) {
                slot = from; // a free slot that holds the prefix: no copy
            } else {
                batch.copy(from, free, best);
            }
            live.prefilled = best;
            live.reused = best;
            return slot;
        }

        /** One chunk of every prompt being computed into its slot (chunked prefill). */
        private void advancePrefills() {
            for (Live l : prefilling) {
                prefillChunk(l, Math.min(l.request.prompt().length, l.prefilled + settings.prefillChunk()));
            }
            prefilling.removeIf(l -> l.prefilled == l.request.prompt().length);
        }

        /** Computes {@code live}'s prompt up to {@code to} into its slot; its last chunk gives its first token. */
        private void prefillChunk(Live live, int to) {
            Workload.Request r = live.request;
            int token = batch.admit(live.row, r.prompt(), live.prefilled, to, r.maxNewTokens(), greedy);
            live.prefilled = to;
            for (Live other : running) {
                other.prefillSinceLast = true;
            }
            if (token >= 0) {
                live.add(token, now(), 1);
                running.add(live);
            }
        }

        /**
         * Shared columns: a new batch of the running rows' histories (prompt and tokens so far) and the joiners' prompts,
         * whose first step gives every row its next token (the joiners their first).
         */
        private void rebuild(List<Workload.Request> join) {
            boolean encoderDecoder = g.model().encoderDecoder();
            long start = now();
            boolean others = !running.isEmpty();
            int longest = 0;
            int room = 1;
            for (Live l : running) {
                longest = Math.max(longest, history(l, encoderDecoder).length);
                room = Math.max(room, l.tokens.length - l.produced);
            }
            for (Workload.Request r : join) {
                int length = encoderDecoder ? 1 : r.prompt().length;
                // Shared columns: the batch needs its longest history plus its longest remaining answer in positions.
                if (others && Math.max(longest, length) + Math.max(room, r.tokensWanted()) > g.model().maxPositions()) {
                    break; // waits for the batch to shrink
                }
                longest = Math.max(longest, length);
                room = Math.max(room, r.tokensWanted());
                started[r.index()] = true;
                running.add(new Live(r, start));
            }
            List<long[]> sources = new ArrayList<>();
            List<long[]> inputs = new ArrayList<>();
            for (int i = 0; i < running.size(); i++) {
                Live l = running.get(i);
                l.row = i;
                if (encoderDecoder) {
                    sources.add(l.request.prompt());
                }
                inputs.add(history(l, encoderDecoder));
                if (others && l.produced > 0) {
                    l.prefillSinceLast = true;
                }
            }
            g.finish();
            g.begin(sources, inputs, room);
            g.step(greedy, step++);
            long[] tokens = g.lastTokens();
            long at = now();
            for (Live l : running) {
                l.add((int) tokens[l.row], at, running.size());
            }
        }

        /** A request's decoder tokens so far: its prompt (a start token for encoder-decoder models) and its answer's. */
        private long[] history(Live l, boolean encoderDecoder) {
            long[] base = encoderDecoder ? new long[] {g.model().config().decoderStartTokenId()} : l.request.prompt();
            long[] input = Arrays.copyOf(base, base.length + l.produced);
            for (int t = 0; t < l.produced; t++) {
                input[base.length + t] = l.tokens[t];
            }
            return input;
        }

        /** One step of the running batch: every running row's next token. */
        private void step() {
            long[] tokens = slots ? batch.step(greedy, step++) : stepShared();
            long at = now();
            for (Live l : running) {
                l.add((int) tokens[l.row], at, running.size());
            }
        }

        private long[] stepShared() {
            g.step(greedy, step++);
            return g.lastTokens();
        }

        /** Rows whose request is done leave: their slot freed (or row stopped); a closed-loop client sends its next. */
        private void leave() {
            for (java.util.Iterator<Live> it = running.iterator(); it.hasNext(); ) {
                Live l = it.next();
                if (!l.done()) {
                    continue;
                }
                it.remove();
                Served s = l.served();
                served[l.request.index()] = s;
                if (slots) {
                    batch.release(l.row);
                    bySlot[l.row] = null;
                    freedHeld[l.row] = l.held();
                } else {
                    g.stopRow(l.row);
                }
                int following = l.request.index() + workload.clients();
                if (workload.clients() > 0 && following < requests.length) {
                    requests[following] = requests[following].arrivingAt(l.times[l.produced - 1]);
                }
            }
            if (running.isEmpty() && !slots) {
                g.finish();
            }
        }
    }

    private static void sleep(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvbenchException("interrupted while waiting for the next request");
        }
    }
}
