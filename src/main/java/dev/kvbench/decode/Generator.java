package dev.kvbench.decode;


import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.kvbench.InvalidSettingException;
import dev.kvbench.InvalidSettingException.Setting;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.BatchRows;
import dev.kvbench.cache.CacheContents;
import dev.kvbench.cache.CapacityExceededException;
import dev.kvbench.cache.KvCache;
import dev.kvbench.model.DecoderSessions;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.Model;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.LogitsSink;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.runtime.StepBinding;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * The decoding loop, the same for every strategy, model kind and batch size: ask the cache where to start feeding,
 * bind the tokens of every row, the model's own inputs and the cache, run, let the model inputs and the cache take what
 * they need from the step, choose each row's next token. No strategy appears here: the cache sizes itself in
 * {@link KvCache#begin}. Rows share columns ({@link dev.kvbench.cache.BatchRows}): prompts of different lengths are
 * right-padded and the holes masked, so each row computes what it computes alone. A row that stops (EOS) is fed
 * padding until every row has stopped. Reusable for many generations; everything native it holds is closed by
 * {@link #close()}.
 *
 * <p>Two ways to drive it: {@link #generate} (whole generations), or {@link #begin}, {@link #step} per token and
 * {@link #finish} (what the step benchmarks and scoring do). Ownership: the generator owns its cache, the step's input
 * tensors and the pinned logits buffer; tokens and results handed out are copies. The logits a {@link NextToken} sees
 * are a view valid during that call only. The model it runs is the caller's ({@link Engine} closes both).
 */
public final class Generator implements AutoCloseable {
    /** Receives each row's generated tokens as they come. */
    @FunctionalInterface
    public interface RowTokens {
        void accept(int row, int token);
    }

    final Model model;
    final Strategy strategy;
    final int cacheCapacity;
    final StepBinding step;
    private final ModelInputs inputs;
    final LogitsSink logits;
    private final TokenHistory history = new TokenHistory();
    final OnnxTensor[] branchFlags;
    final KvCache cache;
    final long padId;
    private final boolean assumedPrompt;
    private int rows;
    private long[] chosen = new long[0];
    private boolean[] stopped = new boolean[0];
    long lastRunNanos;
    long lastStepNanos;
    long computed;
    long padding;
    /** The batch of slots open on this generator ({@link #openSlots}); null otherwise. */
    private SlotBatch slotBatch;

    /**
     * The loop for {@code strategy} on {@code model} (opened for the strategy's variant): checks the options against the
     * model and builds the cache; what was built is closed again when a later part fails. Does not take ownership of
     * {@code model}.
     */
    public Generator(Model model, Strategy strategy, OrtRuntime runtime, EngineOptions options) {
        strategy.requireRunnableOn(model);
        this.model = model;
        this.strategy = strategy;
        this.cacheCapacity = options.cacheCapacity();
        this.assumedPrompt = options.assumedPrompt();
        if (assumedPrompt && model.encoderDecoder()) {
            throw new KvbenchException("an assumed prompt is for decoder-only models (an encoder-decoder decoder's prompt is its start token)");
        }
        if (cacheCapacity > model.maxPositions()) {
            throw InvalidSettingException.of(Setting.CACHE_CAPACITY, " " + cacheCapacity + " is beyond the model's "
                    + model.maxPositions() + " positions");
        }
        strategy.requireOptions(model, options);
        int pad = model.config().padTokenId();
        this.padId = pad >= 0 && pad < model.vocab() ? pad : model.config().eosTokenIds().iterator().next();
        // Built in order; whatever was built is closed again when a later part fails (a model without past inputs
        // refuses a cached strategy only in newCache).
        List<AutoCloseable> built = new java.util.ArrayList<>();
        try {
            this.step = new StepBinding(runtime);
            built.add(step::end);
            this.inputs = add(built, model.encoderDecoder() ? new EncoderDecoderInputs(model, runtime.env()) : new DecoderOnlyInputs());
            this.logits = add(built, new LogitsSink(runtime.env(), model.vocab(), 1, model.logitsElement()));
            this.branchFlags = new OnnxTensor[] {
                add(built, OnnxTensor.createTensor(runtime.env(), new boolean[] {false})),
                add(built, OnnxTensor.createTensor(runtime.env(), new boolean[] {true}))};
            this.cache = add(built, strategy.newCache(model, runtime.env(), options));
            if (cacheCapacity > 0 && !cache.reservesCapacity()) {
                throw InvalidSettingException.of(Setting.CACHE_CAPACITY, " does nothing with " + strategy
                        + ": only strategies that preallocate their cache take it");
            }
        } catch (OrtException | RuntimeException e) {
            Closeables.closeAll(built, e);
            if (e instanceof OrtException) {
                throw new KvbenchException("cannot set up " + strategy + ": " + e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
    }

    private static <T extends AutoCloseable> T add(List<AutoCloseable> built, T part) {
        built.add(part);
        return part;
    }

    public Model model() {
        return model;
    }

    public Strategy strategy() {
        return strategy;
    }

    /** The token that fills padding: the model's pad token, else its first EOS. */
    public long padId() {
        return padId;
    }

    /** The decoder's initial tokens for a prompt: the prompt itself, or the decoder start token for encoder-decoder models. */
    private List<long[]> decoderStarts(List<long[]> prompts) {
        if (!model.encoderDecoder()) {
            return prompts;
        }
        long[] start = {model.config().decoderStartTokenId()};
        return prompts.stream().map(p -> start).toList();
    }

    /**
     * Generates up to {@code maxNewTokens} tokens after {@code prompt} (for encoder-decoder models: the source).
     * Stops at an EOS token unless {@code ignoreEos}. {@code onToken} sees each generated id as it comes.
     */
    public GenerationResult generate(long[] prompt, int maxNewTokens, boolean ignoreEos, NextToken next, IntConsumer onToken) {
        return generate(List.of(prompt), maxNewTokens, ignoreEos, next,
                onToken == null ? null : (row, token) -> onToken.accept(token)).row(0);
    }

    /** Generates for several prompts (sources) decoded together, one row each: see {@link #decode}. */
    public BatchResult generate(List<long[]> prompts, int maxNewTokens, boolean ignoreEos, NextToken next, RowTokens onToken) {
        return decode(model.encoderDecoder() ? prompts : List.of(), decoderStarts(prompts), maxNewTokens, ignoreEos, next,
                onToken);
    }

    /**
     * Decodes rows together: {@code sources} go to the encoder (encoder-decoder models; empty for decoder-only ones),
     * {@code decoderInputs} are each row's first decoder tokens. Up to {@code maxNewTokens} steps; a row stops at EOS
     * unless {@code ignoreEos}, and the generation when every row has stopped.
     */
    public BatchResult decode(List<long[]> sources, List<long[]> decoderInputs, int maxNewTokens, boolean ignoreEos,
                              NextToken next, RowTokens onToken) {
        begin(sources, decoderInputs, maxNewTokens);
        return run(maxNewTokens, ignoreEos, next, onToken);
    }

    /**
     * {@code samples} generations of one prompt (a source, for encoder-decoder models), one row each, decoded together:
     * each row its own random stream under a seeded sampler (rows numbered as {@link #generate(List, int, boolean,
     * NextToken, RowTokens)} numbers them). With {@code reusePrefix} the prompt is computed once ({@link #prefill}) and
     * copied into the rows ({@link #repeat}); without, the rows are {@code samples} copies of the prompt, each computed.
     * The same tokens either way.
     */
    public BatchResult samples(long[] prompt, int samples, int maxNewTokens, boolean ignoreEos, NextToken next,
                               RowTokens onToken, boolean reusePrefix) {
        if (samples < 1) {
            throw new KvbenchException("samples must be at least 1, got " + samples);
        }
        if (!reusePrefix) {
            return generate(java.util.Collections.nCopies(samples, prompt), maxNewTokens, ignoreEos, next, onToken);
        }
        try {
            prefill(prompt, maxNewTokens);
            repeat(samples);
        } catch (RuntimeException e) {
            finish();
            throw e;
        }
        return run(maxNewTokens, ignoreEos, next, onToken);
    }

    /**
     * Begins one sequence for {@code prompt} (a source, for encoder-decoder models: its encoder runs) and computes its
     * decoder tokens but the last into the cache, which the history holds to feed with the next step: the prefix of a
     * shared prompt, computed once, to be {@link #repeat}ed into rows or {@link #rewind}ed to. Room for
     * {@code maxNewTokens} more tokens after the prompt (appended ones and generated ones together).
     */
    public void prefill(long[] prompt, int maxNewTokens) {
        List<long[]> sources = model.encoderDecoder() ? List.of(prompt) : List.of();
        long[] start = decoderStarts(List.of(prompt)).get(0);
        if (start.length == 1) {
            begin(sources, List.of(start), maxNewTokens);
            return;
        }
        checkIds(start);
        begin(sources, List.of(Arrays.copyOf(start, start.length - 1)), maxNewTokens + 1);
        step((logits, row, index) -> (int) start[start.length - 1], 0);
    }

    /** The steps of a sequence begun (and perhaps extended or repeated) until every row stops; then finishes it. */
    private BatchResult run(int maxNewTokens, boolean ignoreEos, NextToken next, RowTokens onToken) {
        int n = rows;
        int[][] out = new int[n][maxNewTokens];
        int[] produced = new int[n];
        StopReason[] stop = new StopReason[n];
        Arrays.fill(stop, StopReason.MAX_NEW_TOKENS);
        long[] runNanos = new long[maxNewTokens];
        long[] stepNanos = new long[maxNewTokens];
        long copied = 0;
        int steps = 0;
        int running = n;
        try {
            next.restart(n);
            while (steps < maxNewTokens && running > 0) {
                step(next, steps);
                runNanos[steps] = lastRunNanos;
                stepNanos[steps] = lastStepNanos;
                copied += cache.kvBytesCopiedLastStep();
                steps++;
                for (int r = 0; r < n; r++) {
                    if (stopped[r]) {
                        continue;
                    }
                    int token = (int) chosen[r];
                    out[r][produced[r]++] = token;
                    if (onToken != null) {
                        onToken.accept(r, token);
                    }
                    if (!ignoreEos && model.config().isEos(token)) {
                        stop[r] = StopReason.EOS;
                        stopped[r] = true;
                        running--;
                    }
                }
            }
        } finally {
            finish();
        }
        int[][] tokens = new int[n][];
        for (int r = 0; r < n; r++) {
            tokens[r] = Arrays.copyOf(out[r], produced[r]);
        }
        return new BatchResult(tokens, stop, Arrays.copyOf(runNanos, steps), Arrays.copyOf(stepNanos, steps), copied,
                computed, padding);
    }

    /** Checks a prompt (a source, for encoder-decoder models) for {@code maxNewTokens} new tokens as generate would, without running. */
    public void check(long[] prompt, int maxNewTokens) {
        List<long[]> one = List.of(prompt);
        validate(model.encoderDecoder() ? one : List.of(), decoderStarts(one), maxNewTokens);
    }

    /** Starts one sequence: see {@link #begin(List, List, int)}. */
    public void begin(long[] prompt, int maxNewTokens) {
        begin(List.of(prompt), maxNewTokens);
    }

    /** Starts one row per prompt (source, for encoder-decoder models): see {@link #begin(List, List, int)}. */
    public void begin(List<long[]> prompts, int maxNewTokens) {
        begin(model.encoderDecoder() ? prompts : List.of(), decoderStarts(prompts), maxNewTokens);
    }

    /** Starts rows: checks the request, sizes the cache, runs the encoder (if any), loads the history. */
    public void begin(List<long[]> sources, List<long[]> decoderInputs, int maxNewTokens) {
        validate(sources, decoderInputs, maxNewTokens);
        if (slotBatch != null) { // a sequence takes the cache back from open slots
            slotBatch.close();
            slotBatch = null;
        }
        int n = decoderInputs.size();
        if (n != rows) {
            rows = n;
            chosen = new long[n];
            stopped = new boolean[n];
        }
        Arrays.fill(stopped, false);
        computed = 0;
        padding = 0;
        int longest = decoderInputs.stream().mapToInt(p -> p.length).max().orElse(0);
        int positions = longest + maxNewTokens;
        try {
            cache.begin(n, cacheCapacity > 0 ? cacheCapacity : positions);
            inputs.begin(sources, padId);
            history.begin(decoderInputs, positions, padId);
            if (assumedPrompt) {
                assumePrompt();
            }
        } catch (OrtException e) {
            throw new StepFailedException(strategy, -1, "cannot start " + strategy + ": "
                    + KvbenchException.firstLine(e.getMessage()), e);
        }
        if (history.anyHoles() && maxNewTokens > 1 && !takesValidity(model.decoder())) {
            throw new KvbenchException("inputs of different lengths in one batch need a decoder that takes "
                    + IoNames.ATTENTION_MASK + "; this one does not (use a batch size of 1)");
        }
    }

    /** Every prompt column but the last counts as cached ({@link EngineOptions#assumedPrompt}). */
    private void assumePrompt() throws OrtException {
        if (history.width() < 2 || history.anyHoles()) {
            throw new KvbenchException("an assumed prompt needs prompts of one length, at least 2 tokens");
        }
        try {
            cache.assume(history, history.width() - 1);
        } catch (UnsupportedOperationException e) {
            throw new StrategyUnavailableException(strategy, strategy + " cannot start from an assumed prompt: "
                    + e.getMessage() + " (kv and the static-gqa strategies can)", "no assumed prompt");
        }
    }

    /** Whether the decoder that runs after the first step can be told which columns are holes. */
    private static boolean takesValidity(DecoderSessions decoder) {
        return decoder.inputNames(true).contains(IoNames.ATTENTION_MASK) || decoder.inputNames(true).contains(IoNames.SEQLENS_K);
    }

    /**
     * One decoding step for every row: feeds what the cache lacks, runs the decoder, chooses and appends each running
     * row's token (padding for a stopped row). Returns row 0's token.
     */
    public int step(NextToken next, int index) {
        long t0 = System.nanoTime();
        int width = history.width();
        int from = cache.feedFrom(width);
        int fed = width - from;
        boolean pastNonEmpty = cache.columns() > 0;
        DecoderSessions decoder = model.decoder();
        try {
            step.begin(decoder.inputNames(pastNonEmpty));
            if (fed == 1) {
                step.borrow(IoNames.INPUT_IDS, history.lastIds(step.env()));
            } else {
                step.own(IoNames.INPUT_IDS, history.ids(step.env(), from, width));
            }
            if (decoder.merged(pastNonEmpty)) {
                step.borrow(IoNames.USE_CACHE_BRANCH, branchFlags[pastNonEmpty ? 1 : 0]);
            }
            inputs.bind(step, history, from, width, pastNonEmpty);
            cache.bind(step, history, fed);
            step.pin(IoNames.LOGITS, logits.forStep(rows, fed));
            long r0 = System.nanoTime();
            step.run(decoder.session(pastNonEmpty));
            lastRunNanos = System.nanoTime() - r0;
            inputs.update(step, pastNonEmpty);
            cache.update(step, history, fed);
        } catch (OrtException e) {
            throw new StepFailedException(strategy, index, strategy + " failed at step " + index + ": "
                    + KvbenchException.firstLine(e.getMessage()), e);
        } finally {
            step.end();
        }
        computed += (long) rows * fed;
        for (int r = 0; r < rows; r++) {
            if (stopped[r]) {
                chosen[r] = padId;
                padding += fed;
            } else {
                LogitsSink row = logits.select(r, history.lastRealColumn(r) - from);
                if (!row.selectedUsable()) {
                    throw notFinite(index, r);
                }
                chosen[r] = next.choose(row, r, index);
                padding += history.holes(r, from, width);
            }
        }
        history.append(chosen);
        lastStepNanos = System.nanoTime() - t0;
        return (int) chosen[0];
    }

    /** Where non-finite logits come from, for the error that names them (also the one-pass scorer's, {@link Perplexity}). */
    static final String NOT_FINITE_CAUSE = "NaN or infinity from the graph, as from a weights file holding NaNs or a float16 "
            + "graph that overflowed";

    /** The error for a step whose logits hold a NaN or an infinity: never tokens chosen from them. */
    KvbenchException notFinite(int index, int row) {
        return new KvbenchException("the model's logits are not finite at step " + index + (rows > 1 ? ", row " + row : "")
                + " (" + strategy + "): " + NOT_FINITE_CAUSE);
    }

    /**
     * Rewinds the sequence begun with {@link #begin} to its first {@code width} columns (prompt included; 1 <= width <=
     * the columns so far): the next {@link #step} continues from there as if the later tokens had never been chosen, and
     * gives what a fresh generation from those columns gives. The cache keeps {@code width - 1} columns (the last kept
     * token is fed again, for its logits) where it held them: a preallocated cache only forgets lengths, a
     * concatenating one crops its past (one copy). A batch rewinds to its prompts' end at most. Every row runs again.
     */
    public void rewind(int width) {
        if (rows == 0) {
            throw new IllegalStateException("rewind before begin");
        }
        history.rewind(width);
        try {
            cache.rewind(history, Math.min(cache.columns(), width - 1));
        } catch (OrtException e) {
            throw new StepFailedException(strategy, -1, "cannot rewind " + strategy + ": "
                    + KvbenchException.firstLine(e.getMessage()), e);
        }
        Arrays.fill(stopped, false);
    }

    /**
     * Appends {@code tokens} to the one sequence begun with {@link #begin} (a conversation's next turn): the next
     * {@link #step} feeds them, with the last chosen token, in one step over the kept cache, instead of computing the
     * history again. Within the positions {@link #begin} was given ({@code maxNewTokens} counts the turns' tokens too).
     */
    public void extend(long[] tokens) {
        if (rows != 1) {
            throw new IllegalStateException("extend continues one sequence, not " + rows);
        }
        checkIds(tokens);
        extend(List.of(tokens));
    }

    /**
     * Appends {@code tokens.get(r)} to row r, for every row: the next {@link #step} feeds them in one step over the kept
     * cache. Rows of different lengths are right-padded with {@link #padId()}; the padding columns are real ones (the
     * logits of a row's last token of its own are at its length), so the caller rewinds or finishes before a row would
     * be decoded past them. Within the positions {@link #begin} was given.
     */
    public void extend(List<long[]> tokens) {
        if (tokens.size() != rows) {
            throw new IllegalStateException(tokens.size() + " rows of tokens for " + rows + " rows");
        }
        if (rows > 1 && cache.columns() > 0 && !cache.extendsSeveralRows()) {
            throw new StrategyUnavailableException(strategy, strategy + " cannot append several tokens to each of several "
                    + "rows in one step over its cache (ONNX Runtime's GroupQueryAttention takes that for one row): "
                    + "step the rows one token at a time", "one token per step");
        }
        for (long[] t : tokens) {
            if (t.length > 0) { // a row may have nothing to add (a one-token candidate)
                checkIds(t);
            }
        }
        history.extend(tokens, padId);
        Arrays.fill(stopped, false);
    }

    /**
     * Whether rows whose histories differ in length can share a batch: the decoder is told each row's valid positions
     * and their positions (an attention mask with position ids, or GroupQueryAttention's lengths). Marian's decoders
     * are not: the merged one takes no decoder mask, and none takes position ids (a row's position is its column).
     */
    public boolean batchesUnequalRows() {
        java.util.Set<String> names = model.decoder().inputNames(true);
        return names.contains(IoNames.SEQLENS_K)
                || names.contains(IoNames.ATTENTION_MASK) && names.contains(IoNames.POSITION_IDS);
    }

    /** Whether {@link #extend(List)} can append to several rows over a non-empty cache ({@link KvCache#extendsSeveralRows}). */
    public boolean extendsSeveralRows() {
        return cache.extendsSeveralRows();
    }

    /**
     * The one sequence begun with {@link #begin} becomes {@code copies} rows, each a copy of it: its cache (one copy of
     * what it holds per row, {@link KvCache#repeat}), its history and, for encoder-decoder models, the encoder's output.
     * Nothing is computed again; each row then continues on its own ({@link #extend(List)}, {@link #step}). For
     * candidates scored given one prompt and samples of one prefill.
     */
    public void repeat(int copies) {
        if (rows != 1) {
            throw new IllegalStateException("repeat copies one sequence, not " + rows);
        }
        if (copies < 1) {
            throw new IllegalArgumentException("copies must be at least 1, got " + copies);
        }
        if (copies == 1) {
            return;
        }
        try {
            cache.repeat(copies);
            inputs.repeat(copies);
        } catch (OrtException e) {
            throw new StepFailedException(strategy, -1, "cannot copy " + strategy + "'s prefix into " + copies + " rows: "
                    + KvbenchException.firstLine(e.getMessage()), e);
        }
        history.repeat(copies);
        rows = copies;
        chosen = Arrays.copyOf(chosen, copies);
        Arrays.fill(chosen, chosen[0]);
        stopped = new boolean[copies];
    }

    /**
     * Stops row {@code row} of the sequence begun: from the next step it is fed padding and chooses nothing (as a row
     * that reached EOS). For a request that ends at its own token limit, or is cancelled, in a batch that runs on.
     */
    public void stopRow(int row) {
        if (row < 0 || row >= rows) {
            throw new IllegalArgumentException("row " + row + " of " + rows);
        }
        stopped[row] = true;
    }

    /** Whether {@code row} is stopped (EOS, {@link #stopRow}, or a free slot). */
    public boolean stopped(int row) {
        return stopped[row];
    }

    /**
     * Whether requests can join a running batch in a slot of their own, the others' cache untouched
     * ({@link KvCache#admitsRows}: {@code static-gqa} and its quantized caches, decoder-only models). Other strategies
     * start a new batch to add a row ({@link #begin(List, List, int)} with each row's history so far).
     */
    public boolean admitsRows() {
        return cache.admitsRows() && !model.encoderDecoder() && !assumedPrompt;
    }

    /**
     * Opens {@code count} empty slots of {@code capacity} positions each for continuous batching ({@link SlotBatch}:
     * requests join a free slot, every occupied slot advances one token per step, a finished request frees its slot).
     * Ends any sequence begun before; {@link #finish} closes the slots. The batch uses this generator's cache and
     * step: one of the two at a time.
     *
     * @throws StrategyUnavailableException where the strategy cannot ({@link #admitsRows})
     */
    public SlotBatch openSlots(int count, int capacity) {
        if (!admitsRows()) {
            throw new StrategyUnavailableException(strategy, strategy + " cannot add a row to a running batch in a slot of "
                    + "its own" + (model.encoderDecoder() ? " on an encoder-decoder model" : " (its cache has shared columns)")
                    + ": start a new batch with every row's history instead", "no slots");
        }
        finish();
        slotBatch = new SlotBatch(this, count, capacity);
        return slotBatch;
    }

    /** The columns of the sequence so far, per row: prompt (padded to the longest) and the tokens chosen. */
    public int width() {
        return history.width();
    }

    /** Each row's token chosen by the last {@link #step} (a copy). */
    public long[] lastTokens() {
        return Arrays.copyOf(chosen, rows);
    }

    /** Ends the sequence: the cache forgets it (its buffers stay for the next one). */
    public void finish() {
        step.end();
        cache.reset();
        if (slotBatch != null) {
            slotBatch.close();
            slotBatch = null;
        }
    }

    /**
     * A read-only view of what the strategy's cache holds, between generations (the calibration of an int8 cache
     * reads what a float cache held); empty where the cache cannot be read back. The generator owns the cache and
     * closes it; the view is valid until the next generation.
     */
    public Optional<CacheContents> cacheContents() {
        return cache.contents();
    }

    /** Columns the cache holds now, the same for every row (a row's positions plus its holes). */
    public int cacheColumns() {
        return cache.columns();
    }

    /** KV bytes the cache holds now, all rows ({@link KvCache#bytesHeld()}). */
    public long cacheBytesHeld() {
        return cache.bytesHeld();
    }

    /** KV bytes the cache wrote in the last step. */
    public long kvBytesCopiedLastStep() {
        return cache.kvBytesCopiedLastStep();
    }

    public long lastRunNanos() {
        return lastRunNanos;
    }

    public long lastStepNanos() {
        return lastStepNanos;
    }

    void validate(List<long[]> sources, List<long[]> decoderInputs, int maxNewTokens) {
        if (decoderInputs.isEmpty()) {
            throw new KvbenchException("no prompts");
        }
        if (maxNewTokens < 1) {
            throw InvalidSettingException.of(Setting.MAX_NEW_TOKENS, " must be at least 1, got " + maxNewTokens);
        }
        int max = model.maxPositions();
        for (long[] source : sources) {
            checkIds(source);
            if (source.length > max) {
                throw new KvbenchException("source of " + source.length + " tokens exceeds the model's " + max + " positions");
            }
        }
        for (long[] prompt : decoderInputs) {
            checkIds(prompt);
            long decoderLength = (long) prompt.length + maxNewTokens;
            String what = (model.encoderDecoder() ? prompt.length + " decoder tokens" : "prompt of " + prompt.length + " tokens")
                    + " + " + maxNewTokens + " new tokens";
            if (decoderLength > max) {
                throw new KvbenchException(what + " = " + decoderLength + " positions, beyond the model's " + max);
            }
            // The last token is never fed back, so the cache holds one position less than the sequence.
            if (cacheCapacity > 0 && cache.reservesCapacity() && decoderLength - 1 > cacheCapacity) {
                throw new CapacityExceededException(what + " need " + (decoderLength - 1) + " cache positions, beyond ",
                        cacheCapacity, decoderLength - 1, " " + cacheCapacity);
            }
        }
    }

    /** Fails with one line unless {@code ids} is non-empty and every id is within the model's vocabulary. */
    public void checkTokenIds(long[] ids) {
        checkIds(ids);
    }

    private void checkIds(long[] ids) {
        if (ids.length == 0) {
            throw new KvbenchException("empty prompt");
        }
        for (long id : ids) {
            if (id < 0 || id >= model.vocab()) {
                throw new KvbenchException("token id " + id + " is outside the vocabulary [0, " + model.vocab() + ")");
            }
        }
    }

    @Override
    public void close() {
        AutoCloseable end = step::end;
        AutoCloseable rows = history::close;
        AutoCloseable open = () -> {
            if (slotBatch != null) {
                slotBatch.close();
            }
        };
        List<AutoCloseable> parts = new java.util.ArrayList<>(List.<AutoCloseable>of(end, open, cache, inputs, rows, logits));
        parts.addAll(Arrays.asList(branchFlags));
        Closeables.closeEach(parts);
    }
}
