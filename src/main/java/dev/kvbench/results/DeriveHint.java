package dev.kvbench.results;

import dev.kvbench.model.Dtype;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import java.nio.file.Path;

/** The workbench's words for a missing graph variant: the engine's reason and the command that adds it. */
public final class DeriveHint {
    private DeriveHint() {
    }

    /** {@code reason -- `kvbench derive --model folder [--dtype d]` adds it} (the reason alone when nothing would). */
    public static String unavailable(Model.Variant variant, Path folder, Layout layout) {
        return variant.unavailableReason(folder, layout) + command(variant, folder, layout);
    }

    /** " -- `kvbench derive ...` adds it", or "" when the variant does not exist for this kind of model. */
    public static String command(Model.Variant variant, Path folder, Layout layout) {
        if (!variant.derivable(layout)) {
            return "";
        }
        String dtype = layout.dtype() == Dtype.FP32 ? "" : " --dtype " + layout.dtype();
        return " -- `kvbench derive --model " + folder + dtype + "` adds it";
    }
}
