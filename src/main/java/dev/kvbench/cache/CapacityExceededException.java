package dev.kvbench.cache;

import dev.kvbench.InvalidSettingException;

/**
 * A generation needs more cache positions than a preallocated cache was given: bad input, raised before anything runs
 * (the capacity is the user's setting; {@link #need()} is what would fit).
 */
public final class CapacityExceededException extends InvalidSettingException {
    private final int capacity;
    private final long need;

    public CapacityExceededException(String before, int capacity, long need, String after) {
        super(before, Setting.CACHE_CAPACITY, after);
        this.capacity = capacity;
        this.need = need;
    }

    /** The positions the cache was given. */
    public int capacity() {
        return capacity;
    }

    /** The positions the generation needs (more than {@link #capacity()}). */
    public long need() {
        return need;
    }
}
