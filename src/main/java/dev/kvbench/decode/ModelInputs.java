package dev.kvbench.decode;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.runtime.StepBinding;

/**
 * The inputs a decoder step needs besides the token ids and the cache: {@code position_ids} for decoder-only models,
 * the encoder's output and the cross-attention cache for encoder-decoder models. Independent of the strategy.
 */
interface ModelInputs extends AutoCloseable {

    /** Prepares a new sequence; {@code source} is the encoder input (ignored by decoder-only models). */
    void begin(long[] source) throws OrtException;

    void bind(StepBinding step, TokenHistory history, int from, int to, boolean pastNonEmpty) throws OrtException;

    /** Sees the step's result before the cache takes it; not called when the run built no result (all outputs pinned). */
    void afterRun(OrtSession.Result result, boolean pastNonEmpty) throws OrtException;

    @Override
    void close();
}
