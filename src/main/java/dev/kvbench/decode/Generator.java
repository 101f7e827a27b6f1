package dev.kvbench.decode;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.KvCache;
import dev.kvbench.model.DecoderSessions;
import dev.kvbench.model.Model;
import dev.kvbench.runtime.LogitsSink;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.runtime.StepBinding;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The decoding loop, the same for every strategy and model kind: ask the cache where to start feeding, bind the
 * tokens, the model's own inputs and the cache, run, hand the result to the cache, choose the next token.
 * Reusable for many generations; everything native it holds is closed by {@link #close()}.
 */
public final class Generator implements AutoCloseable {
    private static final String INPUT_IDS = "input_ids";
    private static final String LOGITS = "logits";
    private final Model model;
    private final Strategy strategy;
    private final int hybridThreshold;
    private final int cacheCapacity;
    private final StepBinding step;
    private final ModelInputs inputs;
    private final LogitsSink logits;
    private final TokenHistory history = new TokenHistory();
    private final ai.onnxruntime.OnnxTensor[] branchFlags;
    private KvCache cache;
    private int cacheBuiltFor = -1;
    private long lastRunNanos;
    private long lastStepNanos;

    /**
     * @param cacheCapacity for preallocated caches: positions to reserve, or 0 for prompt + max new tokens
     */
    public Generator(Model model, Strategy strategy, OrtRuntime runtime, int hybridThreshold, int cacheCapacity) {
        if (strategy.variant() != model.variant()) {
            throw new IllegalArgumentException("model opened for " + model.variant() + ", strategy needs " + strategy.variant());
        }
        this.model = model;
        this.strategy = strategy;
        this.hybridThreshold = hybridThreshold;
        this.cacheCapacity = cacheCapacity;
        this.step = new StepBinding(runtime);
        try {
            this.inputs = model.encoderDecoder() ? new EncoderDecoderInputs(model, runtime.env()) : new DecoderOnlyInputs();
            this.logits = new LogitsSink(runtime.env(), model.vocab(), 1);
            this.branchFlags = new ai.onnxruntime.OnnxTensor[] {
                ai.onnxruntime.OnnxTensor.createTensor(runtime.env(), new boolean[] {false}),
                ai.onnxruntime.OnnxTensor.createTensor(runtime.env(), new boolean[] {true})};
            if (!strategy.preallocated()) {
                cache = strategy.newCache(step, model, hybridThreshold, 0);
            }
        } catch (OrtException e) {
            throw new KvbenchException("cannot set up " + strategy + ": " + e.getMessage(), e);
        }
    }

    public Model model() {
        return model;
    }

    public Strategy strategy() {
        return strategy;
    }

    /** The decoder's initial tokens for a prompt: the prompt itself, or the decoder start token for encoder-decoder models. */
    private long[] decoderStart(long[] prompt) {
        return model.encoderDecoder() ? new long[] {model.config().decoderStartTokenId()} : prompt;
    }

    /**
     * Generates up to {@code maxNewTokens} tokens after {@code prompt} (for encoder-decoder models: the source).
     * Stops at an EOS token unless {@code ignoreEos}. {@code onToken} sees each generated id as it comes.
     */
    public GenerationResult generate(long[] prompt, int maxNewTokens, boolean ignoreEos, NextToken next, IntConsumer onToken) {
        begin(prompt, maxNewTokens);
        int[] out = new int[maxNewTokens];
        long[] runNanos = new long[maxNewTokens];
        long[] stepNanos = new long[maxNewTokens];
        long copied = 0;
        int produced = 0;
        String stop = "max_new_tokens";
        try {
            if (next instanceof Sampler s) {
                s.restart();
            }
            while (produced < maxNewTokens) {
                int token = step(next, produced);
                out[produced] = token;
                runNanos[produced] = lastRunNanos;
                stepNanos[produced] = lastStepNanos;
                copied += cache.bytesCopiedLastStep();
                produced++;
                if (onToken != null) {
                    onToken.accept(token);
                }
                if (!ignoreEos && model.config().isEos(token)) {
                    stop = "eos";
                    break;
                }
            }
        } finally {
            finish();
        }
        return new GenerationResult(Arrays.copyOf(out, produced), stop, Arrays.copyOf(runNanos, produced),
                Arrays.copyOf(stepNanos, produced), copied);
    }

    /** Starts a sequence: checks the request, sizes the cache, runs the encoder (if any), loads the history. */
    public void begin(long[] prompt, int maxNewTokens) {
        validate(prompt, maxNewTokens);
        long[] start = decoderStart(prompt);
        int capacity = start.length + maxNewTokens;
        try {
            prepareCache(capacity);
            cache.reset();
            inputs.begin(prompt);
            history.start(start, capacity);
        } catch (OrtException e) {
            throw new KvbenchException("cannot start " + strategy + ": " + OrtRuntime.firstLine(e.getMessage()), e);
        }
    }

    /** One decoding step: feeds what the cache lacks, runs the decoder, appends and returns the chosen token. */
    public int step(NextToken next, int index) {
        long t0 = System.nanoTime();
        int length = history.length();
        int from = cache.feedFrom(length);
        boolean pastNonEmpty = cache.length() > 0;
        DecoderSessions decoder = model.decoder();
        try {
            step.begin(decoder.inputNames(pastNonEmpty));
            if (length - from == 1) {
                step.borrow(INPUT_IDS, history.lastId(step.env()));
            } else {
                step.own(INPUT_IDS, history.ids(step.env(), from, length));
            }
            if (decoder.merged()) {
                step.borrow(DecoderSessions.USE_CACHE_BRANCH, branchFlags[pastNonEmpty ? 1 : 0]);
            }
            inputs.bind(step, history, from, length, pastNonEmpty);
            cache.bind(step, length - from);
            step.pin(LOGITS, logits.forRows(length - from));
            long r0 = System.nanoTime();
            OrtSession.Result result = step.run(decoder.session(pastNonEmpty));
            lastRunNanos = System.nanoTime() - r0;
            if (result != null) {
                try {
                    inputs.afterRun(result, pastNonEmpty);
                } catch (OrtException | RuntimeException e) {
                    result.close();
                    throw e;
                }
            }
            cache.update(result, length - from);
        } catch (OrtException e) {
            throw new KvbenchException(strategy + " failed at step " + index + ": " + OrtRuntime.firstLine(e.getMessage()), e);
        } finally {
            step.end();
        }
        int token = next.choose(logits, index);
        history.append(token);
        lastStepNanos = System.nanoTime() - t0;
        return token;
    }

    /** Ends the sequence: the cache forgets it (its buffers stay for the next one). */
    public void finish() {
        step.end();
        if (cache != null) {
            cache.reset();
        }
    }

    /** Positions the cache holds now. */
    public int cacheLength() {
        return cache == null ? 0 : cache.length();
    }

    /** KV bytes the cache wrote in the last step. */
    public long lastStepKvBytes() {
        return cache.bytesCopiedLastStep();
    }

    public long lastRunNanos() {
        return lastRunNanos;
    }

    public long lastStepNanos() {
        return lastStepNanos;
    }

    private void prepareCache(int capacity) throws OrtException {
        if (!strategy.preallocated()) {
            return;
        }
        int want = cacheCapacity > 0 ? cacheCapacity : capacity;
        if (cache == null || cacheBuiltFor != want) {
            if (cache != null) {
                cache.close();
            }
            cache = strategy.newCache(step, model, hybridThreshold, want);
            cacheBuiltFor = want;
        }
    }

    private void validate(long[] prompt, int maxNewTokens) {
        if (prompt.length == 0) {
            throw new KvbenchException("empty prompt");
        }
        if (maxNewTokens < 1) {
            throw new KvbenchException("--max-new-tokens must be at least 1, got " + maxNewTokens);
        }
        for (long id : prompt) {
            if (id < 0 || id >= model.vocab()) {
                throw new KvbenchException("token id " + id + " is outside the vocabulary [0, " + model.vocab() + ")");
            }
        }
        long decoderLength = (model.encoderDecoder() ? 1 : prompt.length) + (long) maxNewTokens;
        int max = model.maxPositions();
        if (model.encoderDecoder() && prompt.length > max) {
            throw new KvbenchException("source of " + prompt.length + " tokens exceeds the model's " + max + " positions");
        }
        if (decoderLength > max) {
            throw new KvbenchException((model.encoderDecoder() ? "1 start token" : "prompt of " + prompt.length + " tokens")
                    + " + " + maxNewTokens + " new tokens = " + decoderLength + " positions, beyond the model's " + max);
        }
    }

    @Override
    public void close() {
        step.end();
        if (cache != null) {
            cache.close();
        }
        inputs.close();
        history.close();
        logits.close();
        for (var t : branchFlags) {
            t.close();
        }
    }
}
