package dev.kvbench.cli;

import java.util.Locale;

/** {@code --format} of {@code generate} and {@code score}: readable text or one JSON object. */
enum OutputFormat {
    TEXT, JSON;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
