package dev.kvbench;

import java.util.function.Function;

/**
 * An engine setting the input cannot work with (out of its range, beyond what the model or cache holds, or doing
 * nothing here): bad input. The engine names the setting in words ("cache capacity"); {@link #worded} puts another
 * name in its place, as the command line does with its option ({@code --cache-capacity}).
 */
public class InvalidSettingException extends KvbenchException {
    /** The settings the engine takes, each with the words its own messages use for it. */
    public enum Setting {
        THREADS("threads"),
        HYBRID_THRESHOLD("hybrid threshold"),
        CACHE_CAPACITY("cache capacity"),
        MAX_NEW_TOKENS("max new tokens"),
        TEMPERATURE("temperature"),
        TOP_K("top-k"),
        TOP_P("top-p");

        private final String words;

        Setting(String words) {
            this.words = words;
        }

        public String words() {
            return words;
        }
    }

    private final String before;
    private final Setting setting;
    private final String after;

    /** The message {@code before + name + after}, the setting's name between the two parts. */
    public InvalidSettingException(String before, Setting setting, String after) {
        super(before + setting.words() + after);
        this.before = before;
        this.setting = setting;
        this.after = after;
    }

    /** A message that starts with the setting's name: {@code "cache capacity" + after}. */
    public static InvalidSettingException of(Setting setting, String after) {
        return new InvalidSettingException("", setting, after);
    }

    public Setting setting() {
        return setting;
    }

    /** The message with {@code names}' name for the setting in place of the engine's words. */
    public String wordedSetting(Function<Setting, String> names) {
        return before + names.apply(setting) + after;
    }
}
