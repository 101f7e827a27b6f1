package dev.kvbench.model;

/**
 * Input and output names of exported decoder graphs (Hugging Face Optimum conventions, plus onnxruntime-genai's for
 * GroupQueryAttention), in one place. Per-layer cache names are read from the graph by {@link KvLayout}.
 */
public final class IoNames {
    public static final String INPUT_IDS = "input_ids";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    public static final String LOGITS = "logits";
    /** Merged decoders: false on the first step (empty past), true afterwards. */
    public static final String USE_CACHE_BRANCH = "use_cache_branch";
    /** GroupQueryAttention: valid cached length minus one, per row. */
    public static final String SEQLENS_K = "seqlens_k";
    /** GroupQueryAttention: total sequence length (past + new), a scalar. */
    public static final String TOTAL_SEQUENCE_LENGTH = "total_sequence_length";
    public static final String ENCODER_HIDDEN_STATES = "encoder_hidden_states";
    public static final String ENCODER_ATTENTION_MASK = "encoder_attention_mask";
    public static final String LAST_HIDDEN_STATE = "last_hidden_state";
    public static final String PAST_PREFIX = "past_key_values.";
    public static final String PRESENT_PREFIX = "present.";

    private IoNames() {
    }
}
