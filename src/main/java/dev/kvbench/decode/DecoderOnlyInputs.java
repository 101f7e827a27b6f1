package dev.kvbench.decode;

import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtException;
import dev.kvbench.runtime.StepBinding;

/** Decoder-only models: absolute {@code position_ids} of the fed tokens, where the graph takes them. */
final class DecoderOnlyInputs implements ModelInputs {
    static final String POSITION_IDS = "position_ids";

    @Override
    public void begin(long[] source) {
    }

    @Override
    public void bind(StepBinding step, TokenHistory history, int from, int to, boolean pastNonEmpty) throws OrtException {
        if (step.accepts(POSITION_IDS)) {
            if (to - from == 1 && to == history.length()) {
                step.borrow(POSITION_IDS, history.lastPosition(step.env()));
            } else {
                step.own(POSITION_IDS, history.positions(step.env(), from, to));
            }
        }
    }

    @Override
    public void afterRun(OrtSession.Result result, boolean pastNonEmpty) {
    }

    @Override
    public void close() {
    }
}
