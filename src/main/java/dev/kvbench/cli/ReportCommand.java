package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import dev.kvbench.results.AtomicFiles;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.ReportCharts;
import dev.kvbench.results.Summary;
import org.jfree.chart.JFreeChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Charts of one or more result files, as PNGs and one self-contained HTML page. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Chart result files: generation time vs tokens, step latency vs context, heap bytes per token.")
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULT.json")
    List<Path> files;

    @Option(names = "--out", description = "Output folder (default: results/report-<first file's name>).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<ReportCharts.Labelled> inputs = new ArrayList<>();
        StringBuilder tables = new StringBuilder();
        for (Path f : files) {
            List<JmhResult> results = JmhResults.read(f);
            List<Summary.Row> rows = Summary.rows(results);
            if (rows.isEmpty()) {
                throw new KvbenchException(f + " holds no kvbench benchmark results");
            }
            inputs.add(new ReportCharts.Labelled(stem(f), rows));
            tables.append("<h3>").append(escape(f.getFileName().toString())).append("</h3><pre>")
                    .append(escape(Summary.render(results))).append("</pre>\n");
        }
        Path dir = out != null ? out : files.get(0).toAbsolutePath().getParent().resolve("report-" + stem(files.get(0)));
        Map<String, JFreeChart> charts = new LinkedHashMap<>();
        charts.put("generation-time", ReportCharts.generationTime(inputs));
        charts.put("step-latency", ReportCharts.stepLatency(inputs));
        charts.put("heap-per-token", ReportCharts.heapPerToken(inputs));
        StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>kvbench report</title>"
                + "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}pre{font-size:12px;overflow-x:auto}</style>"
                + "</head><body><h1>kvbench report</h1>\n");
        var console = spec.commandLine().getOut();
        for (var e : charts.entrySet()) {
            byte[] png = ReportCharts.png(e.getValue());
            Path file = dir.resolve(e.getKey() + ".png");
            AtomicFiles.write(file, png);
            console.println("wrote " + file);
            html.append("<h2>").append(escape(e.getValue().getTitle().getText())).append("</h2><img alt=\"").append(e.getKey())
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\">\n");
        }
        html.append("<h2>Figures</h2>\n").append(tables).append("</body></html>\n");
        Path page = dir.resolve("report.html");
        AtomicFiles.write(page, html.toString());
        console.println("wrote " + page);
        console.flush();
        return 0;
    }

    private static String stem(Path f) {
        String n = f.getFileName().toString();
        return n.endsWith(".json") ? n.substring(0, n.length() - 5) : n;
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
