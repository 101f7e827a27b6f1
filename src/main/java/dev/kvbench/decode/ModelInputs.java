package dev.kvbench.decode;

import ai.onnxruntime.OrtException;
import dev.kvbench.runtime.StepBinding;

import java.util.List;

/**
 * The inputs a decoder step needs besides the token ids and the cache: {@code position_ids} for decoder-only models,
 * the encoder's output and the cross-attention cache for encoder-decoder models. Independent of the strategy.
 */
interface ModelInputs extends AutoCloseable {

    /** Prepares new rows; {@code sources} are the encoder inputs, one per row (ignored by decoder-only models). */
    void begin(List<long[]> sources, long padId) throws OrtException;

    void bind(StepBinding step, TokenHistory history, int from, int to, boolean pastNonEmpty) throws OrtException;

    /** Reads what it requested from the step's outputs (before the cache may take them). */
    void update(StepBinding step, boolean pastNonEmpty) throws OrtException;

    /** The one row's inputs become {@code copies} identical rows' ({@code KvCache#repeat}). */
    void repeat(int copies) throws OrtException;

    @Override
    void close();
}
