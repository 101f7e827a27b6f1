package dev.kvbench.serve;

import dev.kvbench.KvbenchException;
import java.util.Locale;

/**
 * How a server takes queued requests: {@code sequential} (first in, first out, one at a time), {@code static-batch}
 * (up to a batch of requests, waiting at most a while for it to fill, decoded together to the end), {@code continuous}
 * (requests join the running batch at the next step while it has room, and leave it when they finish).
 */
public enum Policy {
    SEQUENTIAL, STATIC_BATCH, CONTINUOUS;

    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Policy parse(String id) {
        for (Policy p : values()) {
            if (p.id().equals(id.trim())) {
                return p;
            }
        }
        throw new KvbenchException("unknown policy '" + id + "' (sequential, static-batch or continuous)");
    }

    @Override
    public String toString() {
        return id();
    }
}
