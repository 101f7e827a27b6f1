package dev.kvbench.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.cache.BatchRows;
import dev.kvbench.runtime.Tensors;

import java.nio.LongBuffer;
import java.util.List;

/**
 * The token ids of the rows being decoded, in shared columns ({@link BatchRows}: prompts right-padded, holes masked),
 * with each column's position per row. One row's {@code input_ids} and {@code position_ids} are views of its buffers,
 * not copies; several rows are gathered per step into a reused staging buffer. Decode steps (one token per row) bind
 * reused [rows, 1] tensors.
 */
final class TokenHistory implements BatchRows {
    private int rows;
    private int capacity;
    private LongBuffer ids = Tensors.directLongs(0);
    private LongBuffer positions = Tensors.directLongs(0);
    private int[] promptLengths = new int[0];
    private int longestPrompt;
    private int width;
    /** Gathered blocks of several rows: one buffer for ids, one for positions (both are bound in the same step). */
    private final LongBuffer[] staging = {Tensors.directLongs(0), Tensors.directLongs(0)};
    private LongBuffer ones = Tensors.directLongs(0);
    private LongBuffer masks = Tensors.directLongs(0);
    private LastColumn lastIds = new LastColumn();
    private LastColumn lastPositions = new LastColumn();

    /**
     * Starts {@code initial.size()} rows with their prompts (right-padded with {@code padId}) and room for
     * {@code capacity} columns per row.
     */
    void begin(List<long[]> initial, int capacity, long padId) {
        int n = initial.size();
        if (n != rows) {
            closeDecodeTensors();
            rows = n;
            lastIds = new LastColumn();
            lastPositions = new LastColumn();
            promptLengths = new int[n];
        }
        int stride = Math.max(this.capacity, capacity);
        if (ids.capacity() < (long) n * stride) {
            ids = Tensors.directLongs((long) n * stride);
            positions = Tensors.directLongs((long) n * stride);
        }
        this.capacity = stride;
        longestPrompt = 0;
        for (long[] p : initial) {
            longestPrompt = Math.max(longestPrompt, p.length);
        }
        for (int r = 0; r < n; r++) {
            long[] p = initial.get(r);
            promptLengths[r] = p.length;
            int base = r * this.capacity;
            for (int c = 0; c < longestPrompt; c++) {
                ids.put(base + c, c < p.length ? p[c] : padId);
                positions.put(base + c, c); // a hole's position is never attended; any in-range value does
            }
        }
        width = longestPrompt;
    }

    /**
     * Cuts every row to its first {@code width} columns (1 <= width <= {@link #width()}). Within the prompts only for
     * one row (a batch's padded prompts keep their holes): the prompt then ends at {@code width}.
     */
    void rewind(int width) {
        if (width < 1 || width > this.width) {
            throw new IllegalArgumentException("rewind to " + width + " columns of " + this.width);
        }
        if (width < longestPrompt) {
            if (rows > 1) {
                throw new IllegalArgumentException("a batch rewinds to its prompts' end (" + longestPrompt
                        + " columns) at most, not " + width);
            }
            promptLengths[0] = width;
            longestPrompt = width;
        }
        this.width = width;
    }

    /**
     * Appends {@code tokens.get(r)} to row r (a conversation's next turn, or each row's candidate), within the capacity
     * begun with: the rows' tokens right-padded with {@code padId} to the longest, the padding real columns (read by
     * nothing that matters: the caller rewinds or finishes before they would).
     */
    void extend(List<long[]> tokens, long padId) {
        if (tokens.size() != rows) {
            throw new IllegalArgumentException(tokens.size() + " rows of tokens for " + rows + " rows");
        }
        int longest = tokens.stream().mapToInt(t -> t.length).max().orElse(0);
        if ((long) width + longest > capacity) {
            throw new IllegalArgumentException(longest + " more columns do not fit after " + width + " of "
                    + capacity);
        }
        for (int c = 0; c < longest; c++) {
            for (int r = 0; r < rows; r++) {
                long[] t = tokens.get(r);
                ids.put(r * capacity + width, c < t.length ? t[c] : padId);
                positions.put(r * capacity + width, width - longestPrompt + promptLengths[r]);
            }
            width++;
        }
    }

    /** The one row becomes {@code copies} identical rows (its columns copied), each to continue on its own. */
    void repeat(int copies) {
        if (rows != 1) {
            throw new IllegalArgumentException("repeats one row, not " + rows);
        }
        LongBuffer newIds = Tensors.directLongs((long) copies * capacity);
        LongBuffer newPositions = Tensors.directLongs((long) copies * capacity);
        for (int r = 0; r < copies; r++) {
            for (int c = 0; c < width; c++) {
                newIds.put(r * capacity + c, ids.get(c));
                newPositions.put(r * capacity + c, positions.get(c));
            }
        }
        ids = newIds;
        positions = newPositions;
        int promptLength = promptLengths[0];
        closeDecodeTensors();
        rows = copies;
        lastIds = new LastColumn();
        lastPositions = new LastColumn();
        promptLengths = new int[copies];
        java.util.Arrays.fill(promptLengths, promptLength);
    }

    /** Appends one column: {@code tokens[r]} for each row. */
    void append(long[] tokens) {
        for (int r = 0; r < rows; r++) {
            int base = r * capacity;
            ids.put(base + width, tokens[r]);
            positions.put(base + width, width - longestPrompt + promptLengths[r]);
        }
        width++;
    }

    @Override
    public int count() {
        return rows;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int holesFrom(int row) {
        return promptLengths[row];
    }

    @Override
    public int holesTo() {
        return longestPrompt;
    }

    /** The column of a row's last real token: in the prompt column before its holes, otherwise the last column. */
    int lastRealColumn(int row) {
        return width > longestPrompt ? width - 1 : promptLengths[row] - 1;
    }

    /** input_ids of columns [from, to), [rows, to - from]: a view for one row, a gathered copy for several. */
    OnnxTensor ids(OrtEnvironment env, int from, int to) throws OrtException {
        return block(env, ids, 0, from, to);
    }

    OnnxTensor positions(OrtEnvironment env, int from, int to) throws OrtException {
        return block(env, positions, 1, from, to);
    }

    private OnnxTensor block(OrtEnvironment env, LongBuffer source, int buffer, int from, int to) throws OrtException {
        int n = to - from;
        if (rows == 1) {
            return Tensors.longs(env, source, from, to, 1, n);
        }
        if (staging[buffer].capacity() < (long) rows * n) {
            staging[buffer] = Tensors.directLongs((long) rows * n);
        }
        LongBuffer block = staging[buffer];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                block.put(r * n + c, source.get(r * capacity + from + c));
            }
        }
        return Tensors.longs(env, block, 0, rows * n, rows, n);
    }

    /** Each row's last token as a [rows, 1] tensor reused by every decode step (owned here: closed by {@link #close()}). */
    OnnxTensor lastIds(OrtEnvironment env) throws OrtException {
        return lastIds.refresh(env, ids);
    }

    /** Each row's last position as a reused [rows, 1] tensor. */
    OnnxTensor lastPositions(OrtEnvironment env) throws OrtException {
        return lastPositions.refresh(env, positions);
    }

    /** A [rows, 1] tensor over its own direct buffer, refilled from the last column of a history buffer each step. */
    private final class LastColumn {
        private final LongBuffer values = Tensors.directLongs(rows);
        private OnnxTensor tensor;

        OnnxTensor refresh(OrtEnvironment env, LongBuffer source) throws OrtException {
            if (tensor == null) {
                tensor = OnnxTensor.createTensor(env, values, new long[] {rows, 1});
            }
            for (int r = 0; r < rows; r++) {
                values.put(r, source.get(r * capacity + width - 1));
            }
            return tensor;
        }

        void close() {
            if (tensor != null) {
                tensor.close();
            }
        }
    }

    @Override
    public OnnxTensor mask(OrtEnvironment env, int columns) throws OrtException {
        if (!anyHoles()) {
            int n = Math.multiplyExact(rows, columns);
            if (ones.capacity() < n) { // this history's own buffer of ones, grown as its sequences grow
                ones = Tensors.directLongs(Math.max(n, 2L * ones.capacity()));
                for (int i = 0; i < ones.capacity(); i++) {
                    ones.put(i, 1L);
                }
            }
            return Tensors.longs(env, ones, 0, n, rows, columns);
        }
        if (masks.capacity() < (long) rows * columns) {
            masks = Tensors.directLongs(Math.max((long) rows * columns, 2L * masks.capacity()));
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                masks.put(r * columns + c, isHole(r, c) ? 0L : 1L);
            }
        }
        return Tensors.longs(env, masks, 0, rows * columns, rows, columns);
    }

    private void closeDecodeTensors() {
        lastIds.close();
        lastPositions.close();
    }

    void close() {
        closeDecodeTensors();
    }
}
