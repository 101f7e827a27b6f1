package dev.kvbench.cli;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.Comparison;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.Normalization;
import dev.kvbench.results.RunMeta;
import dev.kvbench.support.JsonFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** benchstat for JMH result files. Exit 0: no significant regression beyond the threshold; 1: regressions; 2: bad input. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two JMH result files: means with 95%% CIs, change, Mann-Whitney U p-value; says when the "
                + "sample counts cannot decide.")
final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OLD.json", description = "The earlier result (JMH JSON).")
    Path oldFile;

    @Parameters(index = "1", paramLabel = "NEW.json", description = "The later result (JMH JSON).")
    Path newFile;

    @Option(names = "--threshold", defaultValue = "5", description = "Regression threshold in percent, >= 0 (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level, in (0, 1) (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--metric", defaultValue = "primary", description = "primary, or a secondary metric such as gc.alloc.rate.norm.")
    String metric;

    @Option(names = "--format", defaultValue = "text", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    TableFormat format;

    @Option(names = "--normalize", paramLabel = "STRATEGY", description = "Compare each configuration as a multiple of "
            + "this strategy's time in the same run (for example kv), so that machine drift between the runs cancels.")
    String normalize;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Cli.checkThresholds(threshold, alpha);
        List<JmhResult> olds = JmhResults.read(oldFile);
        List<JmhResult> news = JmhResults.read(newFile);
        if (normalize != null) {
            if (!metric.equals("primary")) {
                throw new KvbenchException("--normalize divides times: it goes with --metric primary only");
            }
            Normalization.Normalized a = Normalization.byStrategy(olds, normalize);
            Normalization.Normalized b = Normalization.byStrategy(news, normalize);
            olds = a.results();
            news = b.results();
            if (a.withoutReference() + b.withoutReference() > 0) {
                spec.commandLine().getErr().printf("kvbench: note: %d configuration(s) have no %s in their run and are left out%n",
                        a.withoutReference() + b.withoutReference(), normalize);
            }
        }
        Comparison.Result result = Comparison.compare(olds, news, metric, threshold, alpha);
        PrintWriter out = spec.commandLine().getOut();
        RunMeta.modelWarnings(oldFile, newFile).forEach(w -> spec.commandLine().getErr().println("kvbench: warning: " + w));
        switch (format) {
            case TEXT -> out.print(table(result, false));
            case MARKDOWN -> out.print(table(result, true));
            case JSON -> out.println(json(result));
        }
        out.flush();
        return result.regressions().isEmpty() ? 0 : Cli.CHECK_FAILED;
    }

    static String table(Comparison.Result r, boolean markdown) {
        StringBuilder s = new StringBuilder();
        String fmt = markdown ? "| %s | %s | %s | %s | %s |%n" : "%-70s %24s %24s %9s %s%n";
        s.append(String.format(Locale.ROOT, fmt, "benchmark (" + r.metric() + ")", "old ± 95% CI", "new ± 95% CI", "change", "p"));
        if (markdown) {
            s.append("|---|---:|---:|---:|---|\n");
        }
        for (Comparison.Row row : r.rows()) {
            String change = row.significant() ? String.format(Locale.ROOT, "%+.2f%%", row.changePercent()) : "~";
            String note = row.regression() ? "  REGRESSION"
                    : row.decidable() ? ""
                    : String.format(Locale.ROOT, "  cannot decide: smallest p with n=%d+%d is %.3f", row.oldN(), row.newN(), row.smallestP());
            String p = String.format(Locale.ROOT, "p=%.3f n=%d+%d%s", row.p(), row.oldN(), row.newN(), note);
            s.append(String.format(Locale.ROOT, fmt, row.key(), num(row.oldMean(), row.oldCi(), row.unit()),
                    num(row.newMean(), row.newCi(), row.unit()), change, p));
        }
        for (String k : r.onlyOld()) {
            s.append(markdown ? "\nremoved: " : "removed (only in OLD): ").append(k).append('\n');
        }
        for (String k : r.onlyNew()) {
            s.append(markdown ? "\nadded: " : "added (only in NEW):   ").append(k).append('\n');
        }
        s.append(markdown ? "\n" : "").append(summaryLine(r)).append('\n');
        return s.toString();
    }

    /** The closing line: regressions, and how many rows could not reach significance whatever the change. */
    static String summaryLine(Comparison.Result r) {
        String line = String.format(Locale.ROOT, "%d regression(s)", r.regressions().size());
        long undecidable = r.undecidable().size();
        if (undecidable > 0) {
            line += String.format(Locale.ROOT, "; %d of %d comparison(s) cannot reach p < %s with their sample counts: "
                    + "no verdict (collect more forks x iterations, or use `kvbench ab`)", undecidable, r.rows().size(),
                    fmtAlpha(r.alpha()));
        }
        return line;
    }

    private static String fmtAlpha(double alpha) {
        return String.format(Locale.ROOT, "%.3g", alpha);
    }

    private static String num(double mean, double ci, String unit) {
        return Double.isNaN(ci) ? String.format(Locale.ROOT, "%.4g ± n/a %s", mean, unit)
                : String.format(Locale.ROOT, "%.4g ± %.2g %s", mean, ci, unit);
    }

    static String json(Comparison.Result r) {
        ObjectMapper m = JsonFiles.MAPPER;
        ObjectNode root = m.createObjectNode();
        root.put("metric", r.metric());
        root.put("alpha", r.alpha());
        ArrayNode rows = root.putArray("rows");
        for (Comparison.Row row : r.rows()) {
            ObjectNode o = rows.addObject();
            o.put("benchmark", row.key());
            o.put("unit", row.unit());
            o.put("old_mean", row.oldMean());
            Cli.putFinite(o, "old_ci95", row.oldCi());
            o.put("old_n", row.oldN());
            o.put("old_forks", row.oldForks());
            o.put("new_mean", row.newMean());
            Cli.putFinite(o, "new_ci95", row.newCi());
            o.put("new_n", row.newN());
            o.put("new_forks", row.newForks());
            Cli.putFinite(o, "change_percent", row.changePercent());
            o.put("p_value", row.p());
            o.put("smallest_p", row.smallestP());
            o.put("decidable", row.decidable());
            o.put("significant", row.significant());
            o.put("regression", row.regression());
        }
        r.onlyOld().forEach(root.putArray("only_old")::add);
        r.onlyNew().forEach(root.putArray("only_new")::add);
        root.put("regressions", r.regressions().size());
        root.put("undecidable", r.undecidable().size());
        return root.toString();
    }
}
