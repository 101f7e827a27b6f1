package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Picocli mixin of {@code generate} and {@code score}: {@code --batch-size}, the input lines processed together. */
final class BatchSizeOption {
    static final int MAX = 4096;

    @Option(names = "--batch-size", defaultValue = "1", description = "Lines of an input file processed together, 1.."
            + MAX + "; the file goes in batches of this many (default: ${DEFAULT-VALUE}).")
    int batchSize;

    /** Fails with one line when the value is out of range: call before any model work. */
    void check() {
        if (batchSize < 1 || batchSize > MAX) {
            throw new KvbenchException("--batch-size must be in 1.." + MAX + ", got " + batchSize);
        }
    }

    /**
     * {@link #check()}, and refuses {@code --batch-size} given for a single input ({@code --prompt}, {@code --prompt-ids},
     * {@code --source}): it batches an input file's lines, and one prompt is one row whatever the value.
     */
    void check(boolean fromFile, picocli.CommandLine.Model.CommandSpec spec) {
        check();
        if (!fromFile && spec.commandLine().getParseResult().hasMatchedOption("--batch-size")) {
            throw new KvbenchException("--batch-size does nothing with a single prompt: it batches the lines of an input "
                    + "file");
        }
    }

    /** {@code items} in consecutive batches of --batch-size, in order (views of the list). */
    <T> List<List<T>> split(List<T> items) {
        check();
        List<List<T>> batches = new ArrayList<>();
        for (int from = 0; from < items.size(); from += batchSize) {
            batches.add(items.subList(from, Math.min(items.size(), from + batchSize)));
        }
        return batches;
    }
}
