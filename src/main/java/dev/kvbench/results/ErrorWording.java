package dev.kvbench.results;

import dev.kvbench.InvalidSettingException;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.StepFailedException;
import dev.kvbench.model.VariantUnavailableException;

/**
 * The engine's typed errors worded for the command line: its settings named as options, its remedies as the options
 * that apply them, a missing variant with the {@code derive} command that adds it. A workbench message that wraps an
 * engine error (a prefix such as "quantize: ") keeps its prefix; the engine's part is reworded inside it.
 */
public final class ErrorWording {
    private ErrorWording() {
    }

    /** Whether {@code e} is the input's fault (the command line's exit 2) rather than a failure (exit 3). */
    public static boolean badInput(Throwable e) {
        return e instanceof KvbenchException;
    }

    /** The one line a user reads for {@code e} (without the "kvbench: error: " prefix). */
    public static String of(Throwable e) {
        if (e instanceof StepFailedException) {
            return KvbenchException.firstLine(e.getMessage());
        }
        if (!(e instanceof KvbenchException)) {
            return KvbenchException.firstLine(String.valueOf(e));
        }
        String message = e.getMessage();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof KvbenchException k) {
                String worded = worded(k);
                if (!worded.equals(k.getMessage()) && message.contains(k.getMessage())) {
                    message = message.replace(k.getMessage(), worded);
                    break;
                }
            }
        }
        return KvbenchException.firstLine(message);
    }

    private static String worded(KvbenchException k) {
        if (k instanceof InvalidSettingException s) {
            return s.wordedSetting(ErrorWording::option);
        }
        if (k instanceof VariantUnavailableException v) {
            return v.getMessage() + DeriveHint.command(v.variant(), v.folder(), v.layout());
        }
        return k.worded(ErrorWording::option);
    }

    /** The option that sets an engine setting. */
    public static String option(InvalidSettingException.Setting setting) {
        return switch (setting) {
            case THREADS -> "--threads";
            case HYBRID_THRESHOLD -> "--hybrid-threshold";
            case CACHE_CAPACITY -> "--cache-capacity";
            case MAX_NEW_TOKENS -> "--max-new-tokens";
            case TEMPERATURE -> "--temperature";
            case TOP_K -> "--top-k";
            case TOP_P -> "--top-p";
        };
    }

    /** The options that apply a remedy. */
    public static String option(KvbenchException.Remedy remedy) {
        return switch (remedy) {
            case CHOOSE_DTYPE -> "choose with --dtype";
            case SOURCE_AND_TARGET -> "--source/--target";
            case TOKEN_IDS -> "use --prompt-ids to feed token ids";
        };
    }
}
