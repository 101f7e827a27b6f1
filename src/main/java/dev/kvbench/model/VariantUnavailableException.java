package dev.kvbench.model;

import dev.kvbench.KvbenchException;
import java.nio.file.Path;

/**
 * A strategy's graph variant is not in the model folder (or does not exist for its kind of model): bad input. The
 * message says what is missing; the workbench adds how to make it ({@code kvbench derive}).
 */
public final class VariantUnavailableException extends KvbenchException {
    private final Model.Variant variant;
    private final Path folder;
    private final Layout layout;

    public VariantUnavailableException(Model.Variant variant, Path folder, Layout layout) {
        super("this strategy is not available: " + variant.unavailableReason(folder, layout));
        this.variant = variant;
        this.folder = folder;
        this.layout = layout;
    }

    public Model.Variant variant() {
        return variant;
    }

    public Path folder() {
        return folder;
    }

    public Layout layout() {
        return layout;
    }
}
