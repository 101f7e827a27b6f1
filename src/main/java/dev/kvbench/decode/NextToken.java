package dev.kvbench.decode;

import dev.kvbench.runtime.LogitsSink;

/** Chooses the next token from a step's logits (the last row of the sink): sampling, or a forced token when scoring. */
@FunctionalInterface
public interface NextToken {
    int choose(LogitsSink logits, int step);

    /** Called when a generation starts: a seeded sampler rewinds its random stream here, so runs repeat. */
    default void restart() {
    }
}
