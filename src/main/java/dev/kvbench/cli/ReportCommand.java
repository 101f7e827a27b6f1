package dev.kvbench.cli;

import dev.kvbench.report.Chart;
import dev.kvbench.report.Charts;
import dev.kvbench.report.HtmlReport;
import dev.kvbench.report.PngCharts;
import dev.kvbench.report.ResultFile;
import dev.kvbench.support.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Charts of one or more result files, as PNGs and one self-contained interactive HTML page. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Chart result files (PNG per chart and one self-contained interactive report.html): the strategy "
                + "verdict as a forest plot (ratios to kv with their intervals), ms per token vs "
                + "new tokens, step latency vs context, heap bytes per token, KV bytes per step, peak resident set, hybrid "
                + "threshold. Several files are drawn together, one line style per file. A chart with no data is an error.")
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULT.json", description = "Result files of `kvbench bench` (JMH JSON, "
            + "with their .meta.json where present), each at most once.")
    List<Path> files;

    @Option(names = "--out", description = "Output folder, new or empty (default: a new folder report-<first file's "
            + "name>[-N] beside the first file).")
    Path out;

    @Option(names = "--chart", paramLabel = "ID", description = "Only these charts, repeatable; each must have data "
            + "(one of: verdict, ms-per-token, step-latency, heap-per-token, kv-bytes-per-step, peak-rss, hybrid-threshold; "
            + "default: every chart the files have data for).")
    List<String> only = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<ResultFile> inputs = ResultFile.readAll(files);
        List<Chart> charts = only.isEmpty() ? Charts.available(inputs) : only.stream().map(id -> Charts.require(id, inputs)).toList();
        Path dir = outputFolder(ResultFile.stem(files.get(0)));
        var console = spec.commandLine().getOut();
        java.util.Map<String, byte[]> written = new java.util.LinkedHashMap<>();
        for (Chart c : charts) {
            written.put(c.id() + ".png", PngCharts.png(c));
        }
        written.put("report.html", HtmlReport.render(inputs, charts).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        AtomicFiles.writeFolder(dir, written);
        written.keySet().forEach(name -> console.println("wrote " + dir.resolve(name)));
        console.flush();
        return 0;
    }

    /**
     * {@code --out} when new or empty; else a new folder beside the first file, never one that exists. Nothing is
     * created yet: the folder is written whole at the end.
     */
    private Path outputFolder(String firstLabel) {
        if (out != null) {
            AtomicFiles.checkNewOrEmptyFolder(out);
            Cli.checkCanWrite(out); // before the charts are drawn
            return out;
        }
        Path parent = files.get(0).toAbsolutePath().getParent();
        Path dir = parent.resolve("report-" + firstLabel);
        for (int n = 2; Files.exists(dir); n++) {
            dir = parent.resolve("report-" + firstLabel + "-" + n);
        }
        return dir;
    }
}
