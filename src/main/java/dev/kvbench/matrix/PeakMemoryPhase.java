package dev.kvbench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.model.GraphDtypes;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** A bench run's peak-memory phase: each planned run in a fresh JVM ({@link PeakMemoryRun}), one after another. */
final class PeakMemoryPhase {
    private PeakMemoryPhase() {
    }

    /** What the phase reports as it goes; the run keeps it under its lock, so an interrupt summary sees a whole row. */
    interface Listener {
        /** A run finished: its figures, and the table of every run so far. */
        void measured(JsonNode figures, String tableSoFar);

        /** A run failed: one line. */
        void failed(String line, String tableSoFar);
    }

    static void run(List<MatrixPlan.PeakRun> peaks, Path repo, Path folder, GraphDtypes dtype, PrintWriter console,
                    Listener listener) {
        if (peaks.isEmpty()) {
            return;
        }
        StringBuilder table = new StringBuilder(PeakMemoryRun.header(peaks.get(0).tokens(),
                peaks.stream().anyMatch(r -> r.rows() > 1)));
        for (int k = 0; k < peaks.size(); k++) {
            MatrixPlan.PeakRun r = peaks.get(k);
            String what = r.strategy() + (r.rows() > 1 ? ", " + r.rows() + " rows" : "");
            console.printf(Locale.ROOT, "[peak memory %d/%d] %s ...%n", k + 1, peaks.size(), what);
            console.flush();
            PeakMemoryRun.Outcome o = PeakMemoryRun.run(repo, folder, dtype, r);
            if (o.ok()) {
                table.append(PeakMemoryRun.row(r, o.figures()));
                listener.measured(o.figures(), table.toString());
            } else {
                listener.failed(r.strategy() + " peak memory" + (r.rows() > 1 ? " at " + r.rows() + " rows" : "") + ": "
                        + o.failure(), table.toString());
            }
        }
    }
}
