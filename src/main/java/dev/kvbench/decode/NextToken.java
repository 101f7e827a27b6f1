package dev.kvbench.decode;

import dev.kvbench.runtime.LogitsSink;

/** Chooses the next token from a step's logits (the last row of the sink): sampling, or a forced token when scoring. */
@FunctionalInterface
public interface NextToken {
    int choose(LogitsSink logits, int step);
}
