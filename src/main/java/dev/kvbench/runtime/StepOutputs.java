package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;

/**
 * The outputs a step requested (those ONNX Runtime allocated), moved out of a {@link StepBinding} by
 * {@link StepBinding#keep()}: whoever holds this owns them and closes them, all at once (ONNX Runtime's
 * {@code Result} frees its values together). Tensors returned by {@link #tensor} are views, valid until {@link #close()}.
 */
public final class StepOutputs implements AutoCloseable {
    private final OrtSession.Result result;

    StepOutputs(OrtSession.Result result) {
        this.result = result;
    }

    /** A requested output, as a view owned by this object. */
    public OnnxTensor tensor(String name) {
        return (OnnxTensor) result.get(name).orElseThrow(() -> new IllegalStateException("output " + name + " was not requested"));
    }

    @Override
    public void close() {
        result.close();
    }
}
