package dev.kvbench.decode;

/** Why a row stopped generating; {@link #id()} is how JSON output and the timing line name it. */
public enum StopReason {
    /** The row emitted an EOS token (and EOS was not ignored). */
    EOS("eos"),
    /** The row generated --max-new-tokens tokens. */
    MAX_NEW_TOKENS("max_new_tokens");

    private final String id;

    StopReason(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    @Override
    public String toString() {
        return id;
    }
}
