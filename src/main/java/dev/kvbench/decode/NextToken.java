package dev.kvbench.decode;

import dev.kvbench.runtime.LogitsSink;

/**
 * Chooses a row's next token from a step's logits, read with {@link LogitsSink#get} at the position the decoding loop
 * selected (the row's last real token): sampling, or a forced token when scoring.
 */
@FunctionalInterface
public interface NextToken {
    int choose(LogitsSink logits, int row, int step);

    /** Called when a generation of {@code rows} rows starts: a seeded sampler rewinds its random streams here. */
    default void restart(int rows) {
    }
}
