package dev.kvbench.cache;

/**
 * What a cache holds, read between generations without changing it: a read-only view its owner hands out (the
 * calibration of a quantized cache reads the ranges a float cache held). Valid until the cache's next generation
 * writes, or it is closed; the caller closes nothing.
 */
public interface CacheContents {
    /**
     * The largest |value| per channel ({@code kvHeads x headDim}, row-major) of one layer's keys or values over the
     * first {@code positions} positions of row 0.
     */
    float[] channelAbsMax(int layer, boolean keys, int positions);
}
