package dev.kvbench.paired;

import java.util.Locale;

/**
 * The two sides of a paired measurement: the base (the reference: the older commit, or the reference strategy) and
 * the head (the candidate). Their ids, {@code base} and {@code head}, name the result files and JSON fields.
 */
public enum Side {
    BASE, HEAD;

    /** {@code base} or {@code head}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Side 0 is the base, side 1 the head (the worker protocol's order). */
    public static Side of(int index) {
        return index == 0 ? BASE : HEAD;
    }

    /** The order of a round: base first in even rounds, head first in odd ones. */
    public static java.util.List<Side> order(int round) {
        return round % 2 == 0 ? java.util.List.of(BASE, HEAD) : java.util.List.of(HEAD, BASE);
    }

    @Override
    public String toString() {
        return id();
    }
}
