package dev.kvbench.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import dev.kvbench.KvbenchException;
import dev.kvbench.cache.KvCache;
import dev.kvbench.model.DecoderSessions;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.Model;
import dev.kvbench.runtime.LogitsSink;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.runtime.StepBinding;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The decoding loop, the same for every strategy and model kind: ask the cache where to start feeding, bind the
 * tokens, the model's own inputs and the cache, run, let the model inputs and the cache take what they need from the
 * step, choose the next token. No strategy appears here: the cache sizes itself in {@link KvCache#begin(int)}.
 * Reusable for many generations; everything native it holds is closed by {@link #close()}.
 */
public final class Generator implements AutoCloseable {
    private final Model model;
    private final Strategy strategy;
    private final int cacheCapacity;
    private final StepBinding step;
    private final ModelInputs inputs;
    private final LogitsSink logits;
    private final TokenHistory history = new TokenHistory();
    private final OnnxTensor[] branchFlags;
    private final KvCache cache;
    private long lastRunNanos;
    private long lastStepNanos;

    public Generator(Model model, Strategy strategy, OrtRuntime runtime, EngineOptions options) {
        if (strategy.variant() != model.variant()) {
            throw new IllegalArgumentException("model opened for " + model.variant() + ", strategy needs " + strategy.variant());
        }
        this.model = model;
        this.strategy = strategy;
        this.cacheCapacity = options.cacheCapacity();
        if (cacheCapacity > model.maxPositions()) {
            throw new KvbenchException("--cache-capacity " + cacheCapacity + " is beyond the model's " + model.maxPositions()
                    + " positions");
        }
        this.step = new StepBinding(runtime);
        try {
            this.inputs = model.encoderDecoder() ? new EncoderDecoderInputs(model, runtime.env()) : new DecoderOnlyInputs();
            this.logits = new LogitsSink(runtime.env(), model.vocab(), 1);
            this.branchFlags = new OnnxTensor[] {
                OnnxTensor.createTensor(runtime.env(), new boolean[] {false}),
                OnnxTensor.createTensor(runtime.env(), new boolean[] {true})};
            this.cache = strategy.newCache(model, runtime.env(), options);
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
            next.restart();
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
        int positions = start.length + maxNewTokens;
        try {
            cache.begin(cacheCapacity > 0 ? cacheCapacity : positions);
            inputs.begin(prompt);
            history.start(start, positions);
        } catch (OrtException e) {
            throw new KvbenchException("cannot start " + strategy + ": " + KvbenchException.firstLine(e.getMessage()), e);
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
                step.borrow(IoNames.INPUT_IDS, history.lastId(step.env()));
            } else {
                step.own(IoNames.INPUT_IDS, history.ids(step.env(), from, length));
            }
            if (decoder.merged(pastNonEmpty)) {
                step.borrow(IoNames.USE_CACHE_BRANCH, branchFlags[pastNonEmpty ? 1 : 0]);
            }
            inputs.bind(step, history, from, length, pastNonEmpty);
            cache.bind(step, length - from);
            step.pin(IoNames.LOGITS, logits.forRows(length - from));
            long r0 = System.nanoTime();
            step.run(decoder.session(pastNonEmpty));
            lastRunNanos = System.nanoTime() - r0;
            inputs.afterRun(step, pastNonEmpty);
            cache.update(step, length - from);
        } catch (OrtException e) {
            throw new KvbenchException(strategy + " failed at step " + index + ": " + KvbenchException.firstLine(e.getMessage()), e);
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
        cache.reset();
    }

    /** Positions the cache holds now. */
    public int cacheLength() {
        return cache.length();
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
        cache.close();
        inputs.close();
        history.close();
        logits.close();
        for (var t : branchFlags) {
            t.close();
        }
    }
}
