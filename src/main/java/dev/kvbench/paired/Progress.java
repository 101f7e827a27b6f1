package dev.kvbench.paired;

import java.util.Locale;

/**
 * Time left in a run of parts of unequal length: each part has an a-priori estimate (from its iteration counts and
 * times), and the estimates of the parts still to come are scaled by how the finished parts' real durations compared
 * with their estimates, so the figure improves as parts finish. Used for {@code [14/43] ... 6 m 12 s left} lines.
 */
public final class Progress {
    private final double[] estimates;
    private double estimatedDone;
    private double actualDone;
    private int done;

    /** {@code estimates[i]}: the a-priori seconds of part i (any positive scale: only ratios matter once a part is done). */
    public Progress(double[] estimates) {
        this.estimates = estimates.clone();
    }

    public int total() {
        return estimates.length;
    }

    public int done() {
        return done;
    }

    /** Part {@code done()} finished after {@code seconds}. */
    public void finished(double seconds) {
        estimatedDone += estimates[done];
        actualDone += seconds;
        done++;
    }

    /** Seconds left: the remaining estimates, scaled by actual / estimated of the finished parts (1 before any). */
    public double secondsLeft() {
        double remaining = 0;
        for (int i = done; i < estimates.length; i++) {
            remaining += estimates[i];
        }
        double scale = estimatedDone > 0 ? actualDone / estimatedDone : 1;
        return remaining * scale;
    }

    /** {@code 6 m 12 s}, {@code 41 s}, {@code 1 h 03 m}. */
    public static String duration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d m %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d m", s / 3600, (s % 3600) / 60);
    }
}
