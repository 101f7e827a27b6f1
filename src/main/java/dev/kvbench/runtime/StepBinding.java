package dev.kvbench.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The inputs, requested outputs and pinned outputs of one {@code OrtSession.run}, with explicit ownership:
 * tensors given with {@link #own} are closed when the step ends; tensors given with {@link #borrow} belong to
 * someone else (a cache, a reusable buffer) and are left open. The outputs ONNX Runtime allocates for the requested
 * names belong to the binding until the step ends, unless someone takes them with {@link #keep()}: the result of a
 * run never leaves this class as a nullable hand-off. One instance is reused for every step.
 * <p>A step whose outputs are all pinned (nothing requested) runs through {@link DirectRun} when the runtime's
 * {@link OrtRuntime.RunCall} is {@code DIRECT}: no {@code OrtSession.Result} is built at all.
 */
public final class StepBinding {
    private final OrtEnvironment env;
    private final DirectRun direct;
    private final Map<String, OnnxTensor> inputs = new ReusableMap<>();
    private final Map<String, OnnxValue> pinned = new ReusableMap<>();
    private final ReusableMap<Boolean> requested = new ReusableMap<>();
    private final List<OnnxTensor> owned = new ArrayList<>();
    private Set<String> accepted = Set.of();
    private OrtSession.Result result;

    public StepBinding(OrtRuntime runtime) {
        this.env = runtime.env();
        this.direct = runtime.runCall() == OrtRuntime.RunCall.DIRECT ? new DirectRun() : null;
    }

    public OrtEnvironment env() {
        return env;
    }

    /** Starts a step for a session that takes the given input names. */
    public void begin(Set<String> sessionInputs) {
        end();
        accepted = sessionInputs;
    }

    public boolean accepts(String input) {
        return accepted.contains(input);
    }

    /** An input owned by this step: closed by {@link #end()}. */
    public void own(String name, OnnxTensor tensor) {
        owned.add(tensor);
        inputs.put(name, tensor);
    }

    /** An input owned elsewhere. */
    public void borrow(String name, OnnxTensor tensor) {
        inputs.put(name, tensor);
    }

    /** An output ONNX Runtime writes into a caller's tensor instead of allocating one. */
    public void pin(String output, OnnxValue value) {
        pinned.put(output, value);
    }

    /** A pinned output over a tensor this step owns: closed by {@link #end()}. */
    public void pinOwned(String output, OnnxTensor tensor) {
        owned.add(tensor);
        pinned.put(output, tensor);
    }

    /** An output ONNX Runtime allocates; read it with {@link #output}, or take it with {@link #keep()}. */
    public void request(String output) {
        requested.put(output, Boolean.TRUE);
    }

    /** Runs the step. Requested outputs stay with this binding until {@link #end()} or {@link #keep()}. */
    public void run(OrtSession session) throws OrtException {
        closeResult();
        if (requested.isEmpty() && direct != null && !pinned.isEmpty()) {
            direct.run(session, inputs, pinned);
        } else {
            result = session.run(inputs, requested.keySet(), pinned);
        }
    }

    /** A requested output of the last run: a view, valid until {@link #end()} (or, once kept, until its owner closes it). */
    public OnnxTensor output(String name) {
        if (result == null) {
            throw new IllegalStateException("no requested outputs: " + name + " (request it before the run)");
        }
        return (OnnxTensor) result.get(name).orElseThrow(() -> new IllegalStateException("output " + name + " was not requested"));
    }

    /** Moves the last run's requested outputs to the caller, who closes them; the binding forgets them. */
    public StepOutputs keep() {
        if (result == null) {
            throw new IllegalStateException("the step requested no outputs");
        }
        StepOutputs kept = new StepOutputs(result);
        result = null;
        return kept;
    }

    /** Closes what this step owned (inputs, pinned tensors, outputs nobody kept) and forgets everything else. */
    public void end() {
        for (OnnxTensor t : owned) {
            t.close();
        }
        owned.clear();
        inputs.clear();
        pinned.clear();
        requested.clear();
        closeResult();
    }

    private void closeResult() {
        if (result != null) {
            result.close();
            result = null;
        }
    }
}
