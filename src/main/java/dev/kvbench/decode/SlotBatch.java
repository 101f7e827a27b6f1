package dev.kvbench.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.BatchRows;
import dev.kvbench.cache.CapacityExceededException;
import dev.kvbench.model.DecoderSessions;
import dev.kvbench.model.IoNames;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.LogitsSink;
import java.util.Arrays;
import java.util.List;

/**
 * A batch of slots for continuous batching, opened on a {@link Generator} whose cache keeps a length per row
 * ({@link Generator#admitsRows}): requests join a free slot ({@link #admit}: their prompt computed there by a one-row
 * step, whole or in chunks, perhaps after a prefix {@link #copy}ied from another slot), every occupied slot advances one
 * token per {@link #step}, and a finished or cancelled request frees its slot ({@link #release}). Each slot keeps its
 * own length, so a request's tokens are those it gets decoded alone. It runs on the generator's cache, step binding and
 * logits: the generator's {@link Generator#finish} (or a new sequence) closes it. Slots hold one position more than a
 * request may use: a free slot is fed padding at the position after what it holds, which so stays intact.
 */
public final class SlotBatch implements AutoCloseable {
    private final Generator g;
    private final int rows;
    private final long[] chosen;
    private final boolean[] stopped;
    private final SlotRows slots;
    private boolean open = true;

    SlotBatch(Generator g, int count, int capacity) {
        if (count < 1 || capacity < 2) {
            throw new IllegalArgumentException("slots need at least 1 row of 2 positions, got " + count + " x " + capacity);
        }
        if (capacity > g.model.maxPositions()) {
            throw new KvbenchException("a slot of " + capacity + " positions is beyond the model's " + g.model.maxPositions());
        }
        int positions = g.cacheCapacity > 0 ? g.cacheCapacity : capacity;
        try {
            g.cache.begin(count, positions + 1);
        } catch (OrtException e) {
            throw new StepFailedException(g.strategy, -1, "cannot open " + count + " slots of " + g.strategy + ": "
                    + KvbenchException.firstLine(e.getMessage()), e);
        }
        this.g = g;
        this.rows = count;
        this.slots = new SlotRows(count, positions, g.padId);
        this.chosen = new long[count];
        Arrays.fill(chosen, g.padId);
        this.stopped = new boolean[count];
        Arrays.fill(stopped, true);
    }

    /** Slots in the batch. */
    public int count() {
        return rows;
    }

    /** Whether slot {@code slot} is free (never taken, released, or between prompt chunks). */
    public boolean free(int slot) {
        return stopped[slot];
    }

    private void requireOpen() {
        if (!open) {
            throw new IllegalStateException("the slots were closed (the generator began or finished a sequence)");
        }
    }

    /** The error for a step whose logits hold a NaN or an infinity. */
    private KvbenchException notFinite(int index, int slot) {
        return new KvbenchException("the model's logits are not finite at step " + index + ", slot " + slot + " ("
                + g.strategy + "): " + Generator.NOT_FINITE_CAUSE);
    }

    /**
     * Computes {@code prompt} into free slot {@code slot} by a one-row step and chooses its first token (returned), which
     * the next {@link #step} feeds: the request's time to first token is this call. The other slots keep what they
     * hold. Room for {@code maxNewTokens} tokens after the prompt within the slots' capacity is checked first.
     */
    public int admit(int slot, long[] prompt, int maxNewTokens, NextToken next) {
        return admit(slot, prompt, 0, prompt.length, maxNewTokens, next);
    }

    /**
     * Computes {@code prompt[from, to)} into free slot {@code slot} by a one-row step over the slot's first {@code from}
     * positions (the chunks before it, computed by earlier calls: chunked prefill, so that a long prompt delays the
     * running rows' next token by one chunk at a time). The last chunk ({@code to == prompt.length}) chooses the
     * request's first token (returned) and the slot joins the running rows; before it the slot stays free to
     * {@link #step} (it chooses nothing) and -1 is returned. Every chunk checks the request, the slot must hold
     * {@code from} positions ({@link #held}: earlier chunks, or a prefix {@link #copy} copied).
     */
    public int admit(int slot, long[] prompt, int from, int to, int maxNewTokens, NextToken next) {
        requireOpen();
        if (slot < 0 || slot >= rows || !stopped[slot]) {
            throw new IllegalArgumentException("slot " + slot + " is not a free one of " + rows);
        }
        if (from < 0 || to <= from || to > prompt.length) {
            throw new IllegalArgumentException("chunk [" + from + ", " + to + ") of a prompt of " + prompt.length);
        }
        if (from > 0 && slots.length(slot) - 1 < from) {
            throw new IllegalArgumentException("slot " + slot + " holds " + (slots.length(slot) - 1) + " positions, not " + from);
        }
        g.validate(List.of(), List.of(prompt), maxNewTokens); // every chunk (cheap): the first may follow a copied prefix
        int capacity = slots.capacity;
        if (prompt.length + maxNewTokens - 1 > capacity) {
            throw new CapacityExceededException("prompt of " + prompt.length + " tokens + " + maxNewTokens
                    + " new tokens need " + (prompt.length + maxNewTokens - 1) + " cache positions, beyond a slot's ",
                    capacity, prompt.length + maxNewTokens - 1L, " " + capacity);
        }
        long t0 = System.nanoTime();
        int n = to - from;
        boolean past = from > 0;
        DecoderSessions decoder = g.model.decoder();
        try {
            g.step.begin(decoder.inputNames(past));
            g.step.own(IoNames.INPUT_IDS, OnnxTensor.createTensor(g.step.env(),
                    java.nio.LongBuffer.wrap(Arrays.copyOfRange(prompt, from, to)), new long[] {1, n}));
            if (g.step.accepts(IoNames.POSITION_IDS)) {
                long[] positions = new long[n];
                Arrays.setAll(positions, i -> from + i);
                g.step.own(IoNames.POSITION_IDS, OnnxTensor.createTensor(g.step.env(), java.nio.LongBuffer.wrap(positions),
                        new long[] {1, n}));
            }
            if (decoder.merged(past)) {
                g.step.borrow(IoNames.USE_CACHE_BRANCH, g.branchFlags[past ? 1 : 0]);
            }
            g.cache.bindRow(g.step, slot, from, n);
            g.step.pin(IoNames.LOGITS, g.logits.forStep(1, n));
            long r0 = System.nanoTime();
            g.step.run(decoder.session(past));
            g.lastRunNanos = System.nanoTime() - r0;
        } catch (OrtException e) {
            throw new StepFailedException(g.strategy, 0, g.strategy + " failed computing a prompt into slot " + slot + ": "
                    + KvbenchException.firstLine(e.getMessage()), e);
        } finally {
            g.step.end();
        }
        g.computed += n;
        g.lastStepNanos = System.nanoTime() - t0;
        if (to < prompt.length) {
            slots.reserve(slot, to); // while free, the batch's steps write padding where the next chunk goes
            return -1;
        }
        LogitsSink row = g.logits.select(0, n - 1);
        if (!row.selectedUsable()) {
            throw notFinite(0, slot);
        }
        int token = next.choose(row, slot, 0);
        slots.admit(slot, prompt.length, token);
        chosen[slot] = token;
        stopped[slot] = false;
        g.lastStepNanos = System.nanoTime() - t0;
        return token;
    }

    /**
     * Positions of slot {@code slot} that hold what was computed there (a prompt and the tokens fed after it), and keep
     * it after the slot is freed until a request is admitted into it: what a prompt cache can reuse.
     */
    public int held(int slot) {
        requireOpen();
        return slots.length(slot) - 1;
    }

    /**
     * Copies the first {@code columns} positions of slot {@code from} into free slot {@code to} (no graph run): a request
     * whose prompt starts with what {@code from} holds then computes only the rest ({@link #admit(int, long[], int, int,
     * int, NextToken)} from {@code columns}).
     */
    public void copy(int from, int to, int columns) {
        requireOpen();
        if (to < 0 || to >= rows || !stopped[to] || from < 0 || from >= rows || from == to) {
            throw new IllegalArgumentException("copy slot " + from + " into slot " + to + ": not a free slot of " + rows);
        }
        if (columns < 1 || columns > held(from)) {
            throw new IllegalArgumentException("slot " + from + " holds " + held(from) + " positions, not " + columns);
        }
        g.cache.copyRow(from, to, columns);
        slots.reserve(to, columns);
    }

    /**
     * Free slot {@code slot} keeps only its first {@code columns} positions ({@code columns <= held(slot)}): a request
     * taking the slot says what of its old content it reuses, so {@link #held} never counts positions the new request
     * will write (another request's prompt cache would reuse them).
     */
    public void keep(int slot, int columns) {
        requireOpen();
        if (slot < 0 || slot >= rows || !stopped[slot] || columns < 0 || columns > held(slot)) {
            throw new IllegalArgumentException("slot " + slot + " keeps " + columns + " of its " + held(slot) + " positions");
        }
        slots.reserve(slot, columns);
    }

    /** Frees slot {@code slot}: its request is done (or cancelled); from the next step it only holds its place. */
    public void release(int slot) {
        requireOpen();
        stopped[slot] = true;
        slots.freeze(slot);
    }

    /**
     * One step for the slots up to the last occupied one (requests take the lowest free slot, so the occupied ones sit
     * first and free slots past them cost nothing): each occupied slot is fed its last token at its own position and
     * chooses its next one (a free slot among them is fed padding where it stands and chooses nothing). Returns the
     * tokens chosen, {@link #padId()} for free slots (a copy, one per slot).
     */
    public long[] step(NextToken next, int index) {
        requireOpen();
        long t0 = System.nanoTime();
        DecoderSessions decoder = g.model.decoder();
        int active = 0;
        for (int r = 0; r < rows; r++) {
            if (!stopped[r]) {
                active = r + 1;
            }
        }
        if (active == 0) {
            throw new IllegalStateException("no occupied slot to step");
        }
        slots.active(active);
        for (int r = 0; r < rows; r++) {
            if (!stopped[r] && slots.length(r) > slots.capacity) {
                throw new CapacityExceededException("slot " + r + " is full: " + slots.capacity + " positions (raise the ",
                        slots.capacity, slots.length(r), ")");
            }
        }
        try {
            g.step.begin(decoder.inputNames(true));
            g.step.borrow(IoNames.INPUT_IDS, slots.lastIds(g.step.env()));
            if (g.step.accepts(IoNames.POSITION_IDS)) {
                g.step.borrow(IoNames.POSITION_IDS, slots.lastPositions(g.step.env()));
            }
            if (decoder.merged(true)) {
                g.step.borrow(IoNames.USE_CACHE_BRANCH, g.branchFlags[1]);
            }
            g.cache.bind(g.step, slots, 1);
            g.step.pin(IoNames.LOGITS, g.logits.forStep(active, 1));
            long r0 = System.nanoTime();
            g.step.run(decoder.session(true));
            g.lastRunNanos = System.nanoTime() - r0;
            g.cache.update(g.step, slots, 1);
        } catch (OrtException e) {
            throw new StepFailedException(g.strategy, index, g.strategy + " failed at step " + index + ": "
                    + KvbenchException.firstLine(e.getMessage()), e);
        } finally {
            g.step.end();
        }
        g.computed += active;
        for (int r = 0; r < rows; r++) {
            if (stopped[r]) {
                chosen[r] = g.padId;
                g.padding += r < active ? 1 : 0;
            } else {
                LogitsSink row = g.logits.select(r, 0);
                if (!row.selectedUsable()) {
                    throw notFinite(index, r);
                }
                chosen[r] = next.choose(row, r, index);
            }
        }
        slots.append(chosen, stopped);
        g.lastStepNanos = System.nanoTime() - t0;
        return Arrays.copyOf(chosen, rows);
    }

    /**
     * The rows of a batch with slots: each row's last token, its own length (its positions with the token fed next)
     * and nothing else: a slot's earlier tokens live only in its g.cache. No holes and no shared columns: a cache that
     * admits rows ({@link KvCache#admitsRows}) reads {@link #length} and {@link #longest} only.
     */
    private static final class SlotRows implements BatchRows, AutoCloseable {
        private final int count;
        private final int capacity;
        private final java.nio.LongBuffer ids;
        private final java.nio.LongBuffer positions;
        private final int[] lengths;
        private int active;
        private OnnxTensor idsTensor;
        private OnnxTensor positionsTensor;

        SlotRows(int count, int capacity, long padId) {
            this.count = count;
            this.capacity = capacity;
            this.ids = dev.kvbench.runtime.Tensors.directLongs(count);
            this.positions = dev.kvbench.runtime.Tensors.directLongs(count);
            this.lengths = new int[count];
            this.active = count;
            for (int r = 0; r < count; r++) {
                ids.put(r, padId);
                lengths[r] = 1; // a free slot is fed padding at its first position, written over when a request joins
            }
        }

        void admit(int row, int promptLength, long token) {
            ids.put(row, token);
            lengths[row] = promptLength + 1;
            positions.put(row, promptLength);
        }

        /** A slot between prompt chunks: its padding goes at position {@code computed}, where the next chunk writes. */
        void reserve(int row, int computed) {
            lengths[row] = computed + 1;
        }

        /**
         * A freed slot stays where it is: fed padding at the position after what it holds (the slots have one position
         * more than a request may use), so what it holds stays intact for a prompt g.cache.
         */
        void freeze(int row) {
        }

        void append(long[] tokens, boolean[] stopped) {
            for (int r = 0; r < count; r++) {
                ids.put(r, tokens[r]);
                if (!stopped[r]) {
                    positions.put(r, lengths[r]);
                    lengths[r]++;
                }
            }
        }

        /** The next step covers the first {@code rows} slots. */
        void active(int rows) {
            if (rows != active) {
                active = rows;
                idsTensor = Closeables.close(idsTensor);
                positionsTensor = Closeables.close(positionsTensor);
            }
        }

        /** The active slots' last tokens, [active, 1], a view reused while the active count stays. */
        OnnxTensor lastIds(ai.onnxruntime.OrtEnvironment env) throws OrtException {
            if (idsTensor == null) {
                idsTensor = dev.kvbench.runtime.Tensors.longs(env, ids, 0, active, active, 1);
            }
            return idsTensor;
        }

        OnnxTensor lastPositions(ai.onnxruntime.OrtEnvironment env) throws OrtException {
            if (positionsTensor == null) {
                positionsTensor = dev.kvbench.runtime.Tensors.longs(env, positions, 0, active, active, 1);
            }
            return positionsTensor;
        }

        /** The slots the next step covers. */
        @Override
        public int count() {
            return active;
        }

        @Override
        public int width() {
            return longest();
        }

        @Override
        public int holesFrom(int row) {
            return 0;
        }

        @Override
        public int holesTo() {
            return 0;
        }

        @Override
        public int length(int row) {
            return lengths[row];
        }

        @Override
        public int longest() {
            int max = 1;
            for (int r = 0; r < active; r++) {
                max = Math.max(max, lengths[r]);
            }
            return max;
        }

        @Override
        public OnnxTensor mask(ai.onnxruntime.OrtEnvironment env, int columns) {
            throw new UnsupportedOperationException("slots have no shared columns to mask");
        }

        @Override
        public void close() {
            idsTensor = Closeables.close(idsTensor);
            positionsTensor = Closeables.close(positionsTensor);
        }
    }

    /** Ends the batch: its tensors are closed; the cache's buffers stay for the generator's next use. */
    @Override
    public void close() {
        if (open) {
            open = false;
            slots.close();
        }
    }
}
