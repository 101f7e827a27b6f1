package dev.kvbench.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.util.Set;

/**
 * The decoder graph(s) of a model, whatever their arrangement: one session used for every step (single file or
 * merged), or a no-past and a with-past session (split). A merged session also takes {@code use_cache_branch}.
 */
public final class DecoderSessions implements AutoCloseable {
    private final OrtSession noPast;
    private final OrtSession withPast;
    private final Set<String> noPastInputs;
    private final Set<String> withPastInputs;
    private final boolean merged;

    public DecoderSessions(OrtSession noPast, OrtSession withPast) throws OrtException {
        this.noPast = noPast;
        this.withPast = withPast;
        this.noPastInputs = Set.copyOf(noPast.getInputNames());
        this.withPastInputs = Set.copyOf(withPast.getInputNames());
        this.merged = withPastInputs.contains(IoNames.USE_CACHE_BRANCH);
    }

    /** The session for a step whose past is non-empty ({@code true}) or empty. */
    public OrtSession session(boolean pastNonEmpty) {
        return pastNonEmpty ? withPast : noPast;
    }

    public Set<String> inputNames(boolean pastNonEmpty) {
        return pastNonEmpty ? withPastInputs : noPastInputs;
    }

    public boolean merged() {
        return merged;
    }

    public OrtSession withPast() {
        return withPast;
    }

    @Override
    public void close() throws OrtException {
        if (noPast != withPast) {
            noPast.close();
        }
        withPast.close();
    }
}
