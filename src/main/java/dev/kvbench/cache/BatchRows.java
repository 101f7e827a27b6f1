package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

/**
 * The rows of a batch, as a cache sees them. Every row's tokens sit in shared columns: prompts of different lengths
 * are right-padded to the longest (W columns), then each step appends one column for every row. Row r's columns
 * {@code [holesFrom(r), holesTo())} are <em>holes</em>: padding the attention mask hides. A query always has its row's
 * first token to attend to, so graphs that mask with {@code -inf} stay finite (left padding would give padding queries
 * nothing to attend to: NaN, which reaches the real rows through the values at padding positions). A row's own
 * positions are its columns without the holes. With one row, or prompts of one length, there are no holes.
 * <p>The cache that writes per-row positions itself ({@code static-gqa}) uses {@link #length(int)} and ignores columns.
 */
public interface BatchRows {

    /** Rows decoded together. */
    int count();

    /** Columns of the history, including those the current step feeds. */
    int width();

    /** Where a row's holes start: its prompt's length. */
    int holesFrom(int row);

    /** Where every row's holes end: the longest prompt's length. */
    int holesTo();

    /** Whether column {@code column} of {@code row} is padding. */
    default boolean isHole(int row, int column) {
        return column >= holesFrom(row) && column < holesTo();
    }

    /** How many of the columns {@code [from, to)} of {@code row} are holes. */
    default int holes(int row, int from, int to) {
        return Math.max(0, Math.min(to, holesTo()) - Math.max(from, holesFrom(row)));
    }

    /** Whether any row has holes (prompts of different lengths). */
    default boolean anyHoles() {
        for (int r = 0; r < count(); r++) {
            if (holesFrom(r) < holesTo()) {
                return true;
            }
        }
        return false;
    }

    /** The row's own positions once the current step's tokens are in: its columns without holes. */
    default int length(int row) {
        return width() - (holesTo() - holesFrom(row));
    }

    /** The longest row's {@link #length(int)}. */
    default int longest() {
        return width() - (holesTo() - maxHolesFrom());
    }

    private int maxHolesFrom() {
        int max = 0;
        for (int r = 0; r < count(); r++) {
            max = Math.max(max, holesFrom(r));
        }
        return max;
    }

    /**
     * The attention mask over columns {@code [0, columns)}, [rows, columns]: 1 except at holes. A new tensor the caller
     * owns (a view of a buffer the rows reuse: valid until the next call).
     */
    OnnxTensor mask(OrtEnvironment env, int columns) throws OrtException;
}
