package dev.kvbench.paired;

import dev.kvbench.results.PairedComparison;
import dev.kvbench.results.Statistics;

import java.util.Locale;

/** The verdict table of a paired comparison, as {@code ab} and {@code bisect} print it (text or Markdown). */
public final class PairedTable {
    private PairedTable() {
    }

    public static String render(PairedComparison.Result r, boolean markdown) {
        StringBuilder s = new StringBuilder();
        String fmt = markdown ? "| %s | %s | %s | %s | %s |%n" : "%-66s %22s %22s %24s %s%n";
        s.append(String.format(Locale.ROOT, fmt, "benchmark (" + r.metric() + ")", "base ± 95% CI", "head ± 95% CI",
                "head/base [95% CI]", "p (paired, rounds)"));
        if (markdown) {
            s.append("|---|---:|---:|---:|---|\n");
        }
        for (PairedComparison.Row row : r.rows()) {
            Statistics.Paired p = row.paired();
            String ratio = Double.isNaN(p.low()) ? String.format(Locale.ROOT, "%.3f", p.ratio())
                    : String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", p.ratio(), p.low(), p.high());
            String verdict = row.regression() ? "  REGRESSION" : row.significant() ? String.format(Locale.ROOT, "  %+.1f%%", row.changePercent()) : "  ~";
            s.append(String.format(Locale.ROOT, fmt, row.key(), num(row.base(), row.unit()), num(row.head(), row.unit()), ratio,
                    String.format(Locale.ROOT, "p=%.4f n=%d%s", p.p(), p.rounds(), verdict)));
        }
        for (String k : r.missing()) {
            s.append("missing in some round: ").append(k).append('\n');
        }
        s.append(String.format(Locale.ROOT, "%s%d regression(s) beyond +%.1f%% at alpha %.3g (%s)%n", markdown ? "\n" : "",
                r.regressions().size(), r.thresholdPercent(), r.alpha(), r.metric()));
        return s.toString();
    }

    private static String num(double[] rounds, String unit) {
        double ci = Statistics.confidenceHalfWidth(rounds, 0.95);
        return String.format(Locale.ROOT, "%.4g ± %.2g %s", Statistics.mean(rounds), ci, unit);
    }

}
