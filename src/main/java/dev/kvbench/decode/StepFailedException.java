package dev.kvbench.decode;

/**
 * ONNX Runtime failed to run a decoding step (or to start a generation) of inputs the engine had checked: not the
 * user's input but a failure (the command line's exit 3). The cause is ONNX Runtime's exception; the message names
 * the strategy, the step and the first line of ONNX Runtime's message.
 */
public final class StepFailedException extends RuntimeException {
    private final Strategy strategy;
    private final int step;

    public StepFailedException(Strategy strategy, int step, String message, Throwable cause) {
        super(message, cause);
        this.strategy = strategy;
        this.step = step;
    }

    public Strategy strategy() {
        return strategy;
    }

    /** The step's index (0 the first), or -1 when the generation failed to start. */
    public int step() {
        return step;
    }
}
