package dev.kvbench.cli;

import picocli.CommandLine.ArgGroup;

/** Picocli mixin holding {@link ModelOptions}. */
final class ModelOptionsMixin {
    @ArgGroup(exclusive = false, multiplicity = "1")
    ModelOptions options = new ModelOptions();

    ModelOptions get() {
        return options;
    }
}
