package dev.kvbench.decode;

import dev.kvbench.KvbenchException;

/** A strategy cannot run on this model or in this way (no past inputs, no assumed prompt), with the reason: bad input. */
public final class StrategyUnavailableException extends KvbenchException {
    private final Strategy strategy;
    private final String reason;

    public StrategyUnavailableException(Strategy strategy, String message, String reason) {
        super(message);
        this.strategy = strategy;
        this.reason = reason;
    }

    public Strategy strategy() {
        return strategy;
    }

    /** Why, in a few words (for a table cell). */
    public String reason() {
        return reason;
    }
}
