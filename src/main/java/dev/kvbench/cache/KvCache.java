package dev.kvbench.cache;

import ai.onnxruntime.OrtException;
import dev.kvbench.runtime.StepBinding;

import java.util.Optional;

/**
 * How a decoder's self-attention keys and values are kept between steps: the only thing strategies differ in.
 * The decoding loop starts a sequence with {@link #begin}, then per step asks where to start feeding, lets the cache
 * bind its past (and the inputs that say which positions are valid), runs the model, and calls {@link #update}.
 * Caches are built from the ONNX Runtime environment and the graph's {@code KvLayout}; they size themselves for the
 * rows of a batch ({@link BatchRows}: shared columns, holes masked) and the positions asked for.
 */
public interface KvCache extends AutoCloseable {

    /**
     * Starts {@code rows} sequences of at most {@code capacity} columns each: forgets the last ones. A preallocated cache
     * (re)allocates its buffers here, and only when the rows or the capacity change; the others ignore it.
     */
    void begin(int rows, int capacity) throws OrtException;

    /**
     * Whether this cache reserves the capacity given to {@link #begin} (and so cannot hold more); caches that grow as
     * they go ignore it.
     */
    default boolean reservesCapacity() {
        return false;
    }

    /** Columns whose keys and values the cache holds (the same for every row). */
    int columns();

    /** Index of the first history column the next step feeds: 0 re-feeds everything, {@link #columns()} only what is new. */
    default int feedFrom(int historyLength) {
        return columns();
    }

    /** Binds the past, the validity inputs (attention mask or sequence lengths) and the outputs it needs back. */
    void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException;

    /**
     * The step ran: the cache now covers what was fed. A cache that keeps the outputs it requested moves them out of
     * the step ({@link StepBinding#keep()}); whatever it does not take, the step closes.
     */
    void update(StepBinding step, BatchRows rows, int newTokens) throws OrtException;

    /**
     * Takes the first {@code columns} columns of every row as cached without computing them, right after
     * {@link #begin}: the entries are whatever the buffers hold (zeros when freshly allocated, else the last sequence's).
     * For measuring decode steps at a long context without its prefill ({@code EngineOptions#assumedPrompt}).
     *
     * @throws UnsupportedOperationException where the cache has no buffers to take as filled (the default)
     */
    default void assume(BatchRows rows, int columns) throws OrtException {
        throw new UnsupportedOperationException("its cache does not keep entries it can take as filled");
    }

    /**
     * Keeps the first {@code columns} columns of every row ({@code columns <= columns()}) and forgets the rest, so the
     * next step feeds from there: rewinding a sequence (regenerate, or another continuation of a kept prefix). A
     * preallocated cache only forgets lengths; a concatenating one crops its past (one copy of what it keeps).
     * {@code rows} is the history already cut to its new width.
     */
    void rewind(BatchRows rows, int columns) throws OrtException;

    /**
     * The one row this cache holds (begun with one row) becomes {@code copies} identical rows, each to continue on its
     * own: a prefix computed once, then decoded as a batch (candidates scored given one prompt, samples of one prefill).
     * A preallocated cache allocates buffers for the rows (the same capacity) and copies the row's columns into each; a
     * concatenating cache copies its past. Either way one copy of the prefix per row, no graph run.
     */
    void repeat(int copies) throws OrtException;

    /**
     * Whether one step can feed several new columns to each of several rows over cached columns (a batch of candidates
     * appended after a shared prefix). GroupQueryAttention on CPU cannot: ONNX Runtime takes several new columns over a
     * past for one row only ("batch_size must be 1 when sequence_length > 1 and past context is given"), so such rows
     * advance one column per step.
     */
    default boolean extendsSeveralRows() {
        return true;
    }

    /**
     * Whether a row of a running batch can be refilled on its own: a new sequence's prompt written into that row's
     * slot by a one-row step ({@link #bindRow}) while the other rows keep what they hold, each row with its own valid
     * length (continuous batching). Preallocated caches that take a length per row (GroupQueryAttention's
     * {@code seqlens_k}) can; caches with shared columns cannot, as the other rows' columns would have to move.
     */
    default boolean admitsRows() {
        return false;
    }

    /**
     * Binds row {@code row}'s slot alone, as a one-row cache holding the slot's first {@code past} positions, for a step
     * that feeds {@code newTokens} tokens (a joining request's prompt, whole or a chunk of it): their entries are written
     * into the row's slot in place. Only where {@link #admitsRows()}; buffers from {@link #begin} with the batch's rows.
     */
    default void bindRow(StepBinding step, int row, int past, int newTokens) throws OrtException {
        throw new UnsupportedOperationException("its rows cannot be refilled one at a time");
    }

    /**
     * Copies the first {@code columns} positions of row {@code from} into row {@code to} (a prompt cache: a request
     * reuses another one's prefix instead of computing it). Only where {@link #admitsRows()}.
     */
    default void copyRow(int from, int to, int columns) {
        throw new UnsupportedOperationException("its rows cannot be copied one at a time");
    }

    /** Forgets everything, ready for a new sequence. Buffers allocated once stay allocated. */
    void reset();

    /** KV bytes written into cache memory by the last update (the concatenation or the index copy), all rows. */
    long kvBytesCopiedLastStep();

    /**
     * KV bytes this cache holds now, all rows: its preallocated buffers (both buffer sets of {@code kv}), or the past
     * tensors or arrays it keeps. Not what ONNX Runtime allocates transiently inside a step.
     */
    long bytesHeld();

    @Override
    void close();

    /**
     * A read-only view of what this cache holds, where it can be read back (a float cache in buffers of its own:
     * static-gqa's); empty otherwise. The view is the cache's; see {@link CacheContents}.
     */
    default Optional<CacheContents> contents() {
        return Optional.empty();
    }
}
