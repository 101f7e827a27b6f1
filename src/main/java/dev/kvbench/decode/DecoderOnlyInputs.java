package dev.kvbench.decode;

import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.runtime.StepBinding;

import java.util.List;

/** Decoder-only models: each row's own {@code position_ids} of the fed tokens, where the graph takes them. */
final class DecoderOnlyInputs implements ModelInputs {
    @Override
    public void begin(List<long[]> sources, long padId) {
    }

    @Override
    public void bind(StepBinding step, TokenHistory history, int from, int to, boolean pastNonEmpty) throws OrtException {
        if (step.accepts(IoNames.POSITION_IDS)) {
            if (to - from == 1 && to == history.width()) {
                step.borrow(IoNames.POSITION_IDS, history.lastPositions(step.env()));
            } else {
                step.own(IoNames.POSITION_IDS, history.positions(step.env(), from, to));
            }
        }
    }

    @Override
    public void update(StepBinding step, boolean pastNonEmpty) {
    }

    /** Positions come from the history, which repeats its rows itself. */
    @Override
    public void repeat(int copies) {
    }

    @Override
    public void close() {
    }
}
