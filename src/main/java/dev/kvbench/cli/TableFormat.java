package dev.kvbench.cli;

import java.util.Locale;

/** {@code --format} of {@code compare} and {@code ab}: a text table, a Markdown table, or JSON. */
enum TableFormat {
    TEXT, MARKDOWN, JSON;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
