package dev.kvbench.cli;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.report.Chart;
import dev.kvbench.report.Charts;
import dev.kvbench.report.History;
import dev.kvbench.report.HtmlReport;
import dev.kvbench.report.PngCharts;
import dev.kvbench.report.ResultFile;
import dev.kvbench.results.RunMeta;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Results across commits: each configuration over the commits, and where it changed significantly. */
@Command(name = "history", mixinStandardHelpOptions = true,
        description = "Order result files (or a folder of them) by the commit date in their .meta.json, chart each "
                + "configuration over the commits with its interval, and list the change points: a significant change "
                + "(Mann-Whitney, as `compare`) beyond the threshold against the previous commit.")
final class HistoryCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULT.json|DIR", description = "Result files, or folders whose result "
            + "files (those with a .meta.json sidecar) are taken.")
    List<Path> inputs;

    @Option(names = "--threshold", defaultValue = "5", description = "Smallest change in percent to mark (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(names = "--alpha", defaultValue = "0.05", description = "Significance level (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--format", defaultValue = "text", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Option(names = "--normalize", paramLabel = "STRATEGY", description = "Each configuration as a multiple of this "
            + "strategy's time in the same run (for example kv): machine drift between runs stops looking like change points.")
    String normalize;

    @Option(names = "--out", description = "Folder for the charts (history-*.png, history.html), new or empty "
            + "(default: no charts).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Cli.checkThresholds(threshold, alpha);
        if (out != null) {
            AtomicFiles.checkNewOrEmptyFolder(out);
            Cli.checkCanWrite(out); // before the files are read and compared
        }
        List<ResultFile> read = ResultFile.readAll(files());
        if (normalize != null) {
            read = read.stream().map(f -> f.normalizedBy(normalize)).toList();
        }
        History history = History.of(read, threshold, alpha);
        PrintWriter console = spec.commandLine().getOut();
        if (format == OutputFormat.JSON) {
            console.println(json(history));
        } else {
            console.print(text(history));
        }
        if (out != null) {
            List<Chart> charts = history.charts();
            java.util.Map<String, byte[]> written = new java.util.LinkedHashMap<>();
            for (Chart c : charts) {
                written.put(c.id() + ".png", PngCharts.png(c));
            }
            written.put("history.html", HtmlReport.render(history.files(), charts).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            AtomicFiles.writeFolder(out, written);
            written.keySet().forEach(name -> (format == OutputFormat.JSON ? spec.commandLine().getErr() : console)
                    .println("wrote " + out.resolve(name)));
        }
        console.flush();
        spec.commandLine().getErr().flush();
        return 0;
    }

    private List<Path> files() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path p : inputs) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> list = Files.list(p)) {
                    list.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().endsWith(".meta.json"))
                            .filter(f -> Files.isRegularFile(RunMeta.sidecar(f, ".meta.json")))
                            .sorted().forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new KvbenchException(p + " does not exist");
            }
        }
        return files;
    }

    static String text(History h) {
        StringBuilder s = new StringBuilder();
        s.append("commits, oldest first:\n");
        for (int i = 0; i < h.files().size(); i++) {
            ResultFile f = h.files().get(i);
            s.append(String.format(Locale.ROOT, "  %2d  %-14s %-26s %s%n", i + 1, h.commitName(i),
                    f.meta().gitCommitDate, f.path().getFileName()));
        }
        for (var e : h.series().entrySet()) {
            s.append('\n').append(e.getKey()).append("  (").append(h.unit(e.getKey())).append(", mean ± 95% interval)\n");
            History.Entry prev = null;
            for (History.Entry en : e.getValue()) {
                String change = prev == null ? "" : String.format(Locale.ROOT, "%+7.1f%%", (en.mean() - prev.mean()) / prev.mean() * 100);
                boolean marked = h.changes().stream().anyMatch(c -> c.key().equals(e.getKey()) && c.to() == en.file());
                s.append(String.format(Locale.ROOT, "  %-14s %12.4g ± %-10.2g %s%s%n", h.commitName(en.file()), en.mean(),
                        (en.high() - en.low()) / 2, change, marked ? "  <- change point" : ""));
                prev = en;
            }
        }
        s.append('\n').append(h.changes().size()).append(" change point(s)").append(h.changes().isEmpty() ? "\n" : ":\n");
        for (History.ChangePoint c : h.changes()) {
            s.append(String.format(Locale.ROOT, "  %s -> %s  %s  %+.1f%% (p=%.2g)%s%n", h.commitName(c.from()), h.commitName(c.to()),
                    Charts.shortKey(c.key()), c.changePercent(), c.p(), c.regression() ? "  REGRESSION" : ""));
        }
        return s.toString();
    }

    static String json(History h) {
        ObjectMapper m = JsonFiles.MAPPER;
        ObjectNode root = m.createObjectNode();
        ArrayNode commits = root.putArray("commits");
        for (int i = 0; i < h.files().size(); i++) {
            ResultFile f = h.files().get(i);
            commits.addObject().put("commit", h.commitName(i)).put("commit_date", f.meta().gitCommitDate)
                    .put("file", f.path().toString());
        }
        ObjectNode series = root.putObject("series");
        for (var e : h.series().entrySet()) {
            ArrayNode a = series.putArray(e.getKey());
            for (History.Entry en : e.getValue()) {
                a.addObject().put("commit", h.commitName(en.file())).put("mean", en.mean()).put("ci95_low", en.low())
                        .put("ci95_high", en.high()).put("unit", h.unit(e.getKey()));
            }
        }
        ArrayNode changes = root.putArray("change_points");
        for (History.ChangePoint c : h.changes()) {
            changes.addObject().put("benchmark", c.key()).put("from", h.commitName(c.from())).put("to", h.commitName(c.to()))
                    .put("change_percent", c.changePercent()).put("p_value", c.p()).put("regression", c.regression());
        }
        return root.toString();
    }
}
