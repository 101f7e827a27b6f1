package dev.kvbench.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.runtime.Closeables;

import java.util.Set;

/**
 * The decoder graph(s) of a model, whatever their arrangement: one session used for every step (single file or
 * merged), or a no-past and a with-past session (split, or an encoder-decoder static variant after the export's
 * no-past or merged decoder). A merged session also takes {@code use_cache_branch}.
 */
public final class DecoderSessions implements AutoCloseable {
    private final OrtSession noPast;
    private final OrtSession withPast;
    private final Set<String> noPastInputs;
    private final Set<String> withPastInputs;
    private final boolean noPastMerged;
    private final boolean withPastMerged;

    public DecoderSessions(OrtSession noPast, OrtSession withPast) throws OrtException {
        this.noPast = noPast;
        this.withPast = withPast;
        this.noPastInputs = Set.copyOf(noPast.getInputNames());
        this.withPastInputs = Set.copyOf(withPast.getInputNames());
        this.noPastMerged = noPastInputs.contains(IoNames.USE_CACHE_BRANCH);
        this.withPastMerged = withPastInputs.contains(IoNames.USE_CACHE_BRANCH);
    }

    /** The session for a step whose past is non-empty ({@code true}) or empty. */
    public OrtSession session(boolean pastNonEmpty) {
        return pastNonEmpty ? withPast : noPast;
    }

    public Set<String> inputNames(boolean pastNonEmpty) {
        return pastNonEmpty ? withPastInputs : noPastInputs;
    }

    /** Whether the session for such a step is a merged decoder, which takes {@code use_cache_branch}. */
    public boolean merged(boolean pastNonEmpty) {
        return pastNonEmpty ? withPastMerged : noPastMerged;
    }

    public OrtSession withPast() {
        return withPast;
    }

    @Override
    public void close() {
        Closeables.closeEach(noPast != withPast ? java.util.List.of(noPast, withPast) : java.util.List.of(withPast));
    }
}
