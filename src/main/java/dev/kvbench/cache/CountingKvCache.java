package dev.kvbench.cache;

/** The bookkeeping every stateful cache shares: columns held, and KV bytes written by the last update. */
abstract class CountingKvCache implements KvCache {
    private int columns;
    private long copied;

    @Override
    public final int columns() {
        return columns;
    }

    @Override
    public final long kvBytesCopiedLastStep() {
        return copied;
    }

    /** Records an update of {@code newTokens} positions that wrote {@code bytesCopied} bytes of KV memory. */
    protected final void advance(int newTokens, long bytesCopied) {
        columns += newTokens;
        copied = bytesCopied;
    }

    /** Records a rewind: the cache holds its first {@code columns} columns (no KV bytes written by it). */
    protected final void keepColumns(int columns) {
        if (columns < 0 || columns > this.columns) {
            throw new IllegalArgumentException("cannot keep " + columns + " of " + this.columns + " columns");
        }
        this.columns = columns;
        copied = 0;
    }

    /** Starts a sequence; caches that preallocate override this to size their buffers. */
    @Override
    public void begin(int rows, int capacity) throws ai.onnxruntime.OrtException {
        reset();
    }

    @Override
    public void reset() {
        columns = 0;
        copied = 0;
    }
}
