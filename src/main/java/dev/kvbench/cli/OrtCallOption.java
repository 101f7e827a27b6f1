package dev.kvbench.cli;

import dev.kvbench.runtime.OrtRuntime;

import java.util.List;
import java.util.Locale;

/** {@code --ort-call}: how steps whose outputs are all pinned call ONNX Runtime. */
enum OrtCallOption {
    /** Direct where this ONNX Runtime allows it, else public. */
    AUTO,
    DIRECT,
    PUBLIC,
    /** bench only: both, to compare them in one run. */
    BOTH;

    /** The calls this choice stands for; asking for direct where it is unavailable is a one-line error. */
    List<OrtRuntime.RunCall> resolve() {
        return switch (this) {
            case AUTO -> List.of(OrtRuntime.RunCall.preferred());
            case DIRECT -> List.of(OrtRuntime.RunCall.parse("direct"));
            case PUBLIC -> List.of(OrtRuntime.RunCall.PUBLIC);
            case BOTH -> List.of(OrtRuntime.RunCall.PUBLIC, OrtRuntime.RunCall.parse("direct"));
        };
    }

    /** The one call of a choice other than both. */
    OrtRuntime.RunCall single() {
        if (this == BOTH) {
            throw new dev.kvbench.KvbenchException("--ort-call both compares the calls in bench only; choose auto, direct or public");
        }
        return resolve().get(0);
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
