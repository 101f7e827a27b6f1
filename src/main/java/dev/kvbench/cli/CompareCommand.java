package dev.kvbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.Comparison;
import dev.kvbench.results.JmhResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** benchstat for JMH result files. Exit 0: no significant regression beyond the threshold; 1: regressions; 2: bad input. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare two JMH result files: means with 95% CIs, change, Mann-Whitney U p-value.")
final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OLD.json")
    Path oldFile;

    @Parameters(index = "1", paramLabel = "NEW.json")
    Path newFile;

    @Option(names = "--threshold", defaultValue = "5", description = "Regression threshold in percent (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--metric", defaultValue = "primary", description = "primary, or a secondary metric such as gc.alloc.rate.norm.")
    String metric;

    @Option(names = "--format", defaultValue = "text", description = "text, markdown or json.")
    String format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (!(threshold >= 0)) {
            throw new KvbenchException("--threshold must be >= 0");
        }
        if (!(alpha > 0 && alpha < 1)) {
            throw new KvbenchException("--alpha must be in (0, 1)");
        }
        Comparison.Result result = Comparison.compare(JmhResults.read(oldFile), JmhResults.read(newFile), metric, threshold, alpha);
        PrintWriter out = spec.commandLine().getOut();
        switch (format) {
            case "text" -> out.print(table(result, false));
            case "markdown" -> out.print(table(result, true));
            case "json" -> out.println(json(result));
            default -> throw new KvbenchException("unknown --format '" + format + "' (text, markdown or json)");
        }
        out.flush();
        return result.regressions().isEmpty() ? 0 : 1;
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
            String p = String.format(Locale.ROOT, "p=%.3f n=%d+%d%s", row.p(), row.oldN(), row.newN(), row.regression() ? "  REGRESSION" : "");
            s.append(String.format(Locale.ROOT, fmt, row.key(), num(row.oldMean(), row.oldCi(), row.unit()),
                    num(row.newMean(), row.newCi(), row.unit()), change, p));
        }
        for (String k : r.onlyOld()) {
            s.append(markdown ? "\nremoved: " : "removed (only in OLD): ").append(k).append('\n');
        }
        for (String k : r.onlyNew()) {
            s.append(markdown ? "\nadded: " : "added (only in NEW):   ").append(k).append('\n');
        }
        s.append(String.format(Locale.ROOT, "%s%d regression(s)%n", markdown ? "\n" : "", r.regressions().size()));
        return s.toString();
    }

    private static String num(double mean, double ci, String unit) {
        return String.format(Locale.ROOT, "%.4g ± %.2g %s", mean, ci, unit);
    }

    static String json(Comparison.Result r) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("metric", r.metric());
        ArrayNode rows = root.putArray("rows");
        for (Comparison.Row row : r.rows()) {
            ObjectNode o = rows.addObject();
            o.put("benchmark", row.key());
            o.put("unit", row.unit());
            o.put("old_mean", row.oldMean());
            o.put("old_ci95", row.oldCi());
            o.put("old_n", row.oldN());
            o.put("new_mean", row.newMean());
            o.put("new_ci95", row.newCi());
            o.put("new_n", row.newN());
            o.put("change_percent", row.changePercent());
            o.put("p_value", row.p());
            o.put("significant", row.significant());
            o.put("regression", row.regression());
        }
        r.onlyOld().forEach(root.putArray("only_old")::add);
        r.onlyNew().forEach(root.putArray("only_new")::add);
        root.put("regressions", r.regressions().size());
        return root.toString();
    }
}
