package dev.kvbench.cache;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.runtime.StepBinding;

/**
 * How a decoder's self-attention keys and values are kept between steps: the only thing strategies differ in.
 * The decoding loop asks where to start feeding, lets the cache bind its past (and the inputs that say which
 * positions are valid), runs the model, and hands the result back.
 */
public interface KvCache extends AutoCloseable {

    /** Positions whose keys and values the cache holds. */
    int length();

    /** Index of the first history token the next step feeds: 0 re-feeds everything, {@link #length()} only what is new. */
    default int feedFrom(int historyLength) {
        return length();
    }

    /** Binds the past, the validity inputs (attention mask or sequence lengths) and the outputs it needs back. */
    void bind(StepBinding step, int newTokens) throws OrtException;

    /**
     * Takes ownership of the step's result (closing it when done with it); the cache now covers what was fed.
     * The result is null when the cache requested no output (everything pinned) and the run built none.
     */
    void update(OrtSession.Result result, int newTokens) throws OrtException;

    /** Closes a step's result that a cache does not keep: its outputs were pinned, or there is none (null). */
    static void release(OrtSession.Result result) {
        if (result != null) {
            result.close();
        }
    }

    /** Forgets everything, ready for a new sequence. Buffers allocated once stay allocated. */
    void reset();

    /** KV bytes written into cache memory by the last update (the concatenation or the index copy). */
    long bytesCopiedLastStep();

    @Override
    void close();
}
