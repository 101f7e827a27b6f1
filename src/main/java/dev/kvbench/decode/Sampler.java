package dev.kvbench.decode;


import dev.kvbench.InvalidSettingException;
import dev.kvbench.InvalidSettingException.Setting;
import dev.kvbench.runtime.LogitsSink;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Greedy decoding (temperature 0) or seeded sampling with temperature, top-k and top-p. One random draw per step and
 * row, from a generator per row seeded with {@code seed + firstRow + row} at each generation: the same seed gives the
 * same tokens under every strategy, and a row's tokens do not depend on the rows beside it ({@link #startingAt} numbers
 * the rows of a file processed in batches, so the batch size does not change them either).
 */
public final class Sampler implements NextToken {
    private final double temperature;
    private final int topK;
    private final double topP;
    private final long seed;
    private SplittableRandom[] random = new SplittableRandom[0];
    private long firstRow;
    private float[] row = new float[0];
    private Integer[] order = new Integer[0];

    public Sampler(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0 && temperature < Double.POSITIVE_INFINITY)) {
            throw InvalidSettingException.of(Setting.TEMPERATURE, " must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw InvalidSettingException.of(Setting.TOP_K, " must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw InvalidSettingException.of(Setting.TOP_P, " must be in (0, 1], got " + topP);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.seed = seed;
    }

    public static Sampler greedy() {
        return new Sampler(0, 0, 1, 0);
    }

    /** Numbers the next generation's rows from {@code row} (their index in the whole input): row r draws from seed + row + r. */
    public Sampler startingAt(long row) {
        this.firstRow = row;
        return this;
    }

    /** Restarts the random sequences, one per row: called at the start of each generation. */
    @Override
    public void restart(int rows) {
        if (temperature == 0) {
            return;
        }
        if (random.length != rows) {
            random = new SplittableRandom[rows];
        }
        for (int r = 0; r < rows; r++) {
            random[r] = new SplittableRandom(seed + firstRow + r);
        }
    }

    @Override
    public int choose(LogitsSink logits, int row, int step) {
        return temperature == 0 ? argmax(logits) : sample(logits, random[row]);
    }

    /** The highest logit; the lowest id wins a tie. Reads the pinned buffer in place: no copy, no allocation. */
    static int argmax(LogitsSink logits) {
        int best = 0;
        float bestValue = logits.get(0);
        for (int t = 1, v = logits.vocab(); t < v; t++) {
            float x = logits.get(t);
            if (x > bestValue) {
                bestValue = x;
                best = t;
            }
        }
        return best;
    }

    private int sample(LogitsSink logits, SplittableRandom random) {
        int vocab = logits.vocab();
        if (row.length != vocab) {
            row = new float[vocab];
            order = new Integer[vocab];
        }
        for (int t = 0; t < vocab; t++) {
            row[t] = logits.get(t);
            order[t] = t;
        }
        Arrays.sort(order, (a, b) -> row[a] != row[b] ? Float.compare(row[b], row[a]) : Integer.compare(a, b));
        int keep = topK > 0 ? Math.min(topK, vocab) : vocab;
        double max = row[order[0]];
        double[] weights = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            weights[i] = Math.exp((row[order[i]] - max) / temperature);
            sum += weights[i];
        }
        if (topP < 1) {
            double cumulative = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cumulative += weights[i] / sum;
                if (cumulative >= topP) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int i = 0; i < keep; i++) {
                sum += weights[i];
            }
        }
        double draw = random.nextDouble() * sum;
        for (int i = 0; i < keep; i++) {
            draw -= weights[i];
            if (draw < 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }
}
