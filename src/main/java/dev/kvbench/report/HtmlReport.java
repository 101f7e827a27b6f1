package dev.kvbench.report;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.Summary;
import dev.kvbench.support.JsonFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The self-contained interactive report page: Chart.js (inlined from the {@code org.webjars.npm:chart.js} artefact on
 * the class path, so the page opens from a file with no network), the chart data as JSON, and the page script
 * ({@code report.js}: log axes with 1-2-5 labels, error bars, hover with value and interval, legend toggles series).
 * Above the charts, each run's metadata; below, the summary tables. After rendering, the script writes what it drew
 * and any script error into {@code <pre id="render-state">}, which the browser test reads.
 */
public final class HtmlReport {
    private static final String CHART_JS_POM = "META-INF/maven/org.webjars.npm/chart.js/pom.properties";

    private HtmlReport() {
    }

    public static String render(List<ResultFile> files, List<Chart> charts) {
        StringBuilder html = new StringBuilder();
        html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kvbench report</title>\n<style>")
                .append(resource("dev/kvbench/report/report.css")).append("</style></head>\n<body>\n<h1>kvbench report</h1>\n");
        StringBuilder verdicts = new StringBuilder();
        for (ResultFile f : files) {
            if (f.meta().strategyVerdicts != null) {
                verdicts.append("<h3>").append(escape(f.path().getFileName().toString())).append("</h3>\n")
                        .append(verdictTable(f.meta()));
            }
        }
        if (verdicts.length() > 0) {
            html.append("<section id=\"verdict\"><h2>Verdict and recommendation</h2>\n").append(verdicts).append("</section>\n");
        }
        html.append("<section id=\"runs\"><h2>Runs</h2>\n").append(runTable(files)).append("</section>\n");
        html.append("<section id=\"charts\">\n");
        for (Chart c : charts) {
            html.append("<figure class=\"chart\" id=\"chart-").append(c.id()).append("\"><figcaption><h2>").append(escape(c.title()))
                    .append("</h2><p class=\"note\">").append(escape(c.note())).append("</p></figcaption>")
                    .append("<canvas id=\"canvas-").append(c.id()).append("\" width=\"900\" height=\"500\"></canvas></figure>\n");
        }
        html.append("</section>\n<section id=\"tables\"><h2>Summary tables</h2>\n");
        for (ResultFile f : files) {
            html.append("<h3>").append(escape(f.path().getFileName().toString())).append("</h3><pre>")
                    .append(escape(Summary.render(f.results()))).append("</pre>\n");
        }
        html.append("</section>\n<pre id=\"render-state\" hidden></pre>\n");
        String version = chartJsVersion();
        html.append("<script>/* Chart.js ").append(version).append(" (MIT licence), inlined from org.webjars.npm:chart.js */\n")
                .append(scriptSafe(resource("META-INF/resources/webjars/chart.js/" + version + "/dist/chart.umd.js")))
                .append("\n</script>\n");
        html.append("<script type=\"application/json\" id=\"kvbench-data\">").append(data(charts).toString().replace("<", "\\u003c"))
                .append("</script>\n<script>\n").append(scriptSafe(resource("dev/kvbench/report/report.js")))
                .append("\n</script>\n</body></html>\n");
        return html.toString();
    }

    /**
     * The verdict a run's metadata holds as a table (configuration, strategy, word, ratio, 95% interval, p, rounds; the
     * A/A controls as rows of the reference against itself), then the recommendation per configuration as a sentence.
     */
    /** The verdicts section of a run's metadata as a table, with its recommendation. */
    static String verdictTable(RunRecord meta) {
        JsonNode v = meta.strategyVerdicts;
        String ref = v.path("reference").asText();
        StringBuilder s = new StringBuilder("<p class=\"note\">Each strategy against ").append(escape(ref))
                .append(", interleaved paired rounds: time as a multiple of ").append(escape(ref))
                .append("'s (below 1 is faster), 95% intervals over the rounds")
                .append(v.path("noisy").asBoolean(false) ? ". <b>NOISY run</b>: the A/A control is wider than the ±"
                        + fmt(v.path("threshold_percent").asDouble(5), 1) + "% threshold, so a smaller difference may read "
                        + "indistinguishable" : "")
                .append(".</p>\n<table class=\"verdict\"><thead><tr><th>configuration</th><th>strategy</th><th>verdict</th>"
                        + "<th>ratio</th><th>95% interval</th><th>p</th><th>rounds</th></tr></thead><tbody>\n");
        for (String part : List.of("verdicts", "controls")) {
            for (JsonNode x : v.path(part)) {
                boolean control = part.equals("controls");
                s.append("<tr").append(control ? " class=\"control\"" : "").append("><td>")
                        .append(escape(x.path("configuration").asText())).append("</td><td>")
                        .append(escape(control ? ref + " (A/A control)" : x.path("candidate").asText())).append("</td><td>")
                        .append(escape(x.path("verdict").asText())).append("</td><td class=\"num\">")
                        .append(fmt(x.path("ratio").asDouble(Double.NaN), 3)).append("</td><td class=\"num\">")
                        .append(x.has("ratio_ci95_low") ? "[" + fmt(x.path("ratio_ci95_low").asDouble(), 3) + ", "
                                + fmt(x.path("ratio_ci95_high").asDouble(), 3) + "]" : "n/a").append("</td><td class=\"num\">")
                        .append(x.has("p_value") ? String.format(java.util.Locale.ROOT, "%.3g", x.path("p_value").asDouble()) : "n/a")
                        .append("</td><td class=\"num\">").append(x.path("rounds").asInt()).append("</td></tr>\n");
            }
        }
        s.append("</tbody></table>\n");
        for (JsonNode p : meta.recommendation == null ? JsonFiles.MAPPER.createArrayNode() : meta.recommendation) {
            s.append("<p class=\"recommendation\">").append(escape(recommendationSentence(p, ref))).append("</p>\n");
        }
        return s.toString();
    }

    /** One configuration's recommendation in words, as the summary says it. */
    static String recommendationSentence(JsonNode p, String ref) {
        StringBuilder s = new StringBuilder("For ").append(p.path("configuration").asText()).append(", ship ")
                .append(p.path("strategy").asText());
        if (p.path("strategy").asText().equals(ref)) {
            s.append(": no strategy was significantly faster than ").append(ref);
            if (p.path("tied").size() > 0) {
                s.append(" (indistinguishable: ").append(join(p.path("tied"))).append(')');
            }
        } else {
            s.append(String.format(java.util.Locale.ROOT, ": it takes %.3f x %s's time [%.3f, %.3f]", p.path("ratio").asDouble(),
                    ref, p.path("ratio_ci95_low").asDouble(), p.path("ratio_ci95_high").asDouble()));
            if (p.path("tied").size() > 0) {
                s.append(", tied with ").append(join(p.path("tied")));
            }
            if (p.hasNonNull("runner_up") && p.has("runner_up_cost_percent")) {
                s.append(String.format(java.util.Locale.ROOT, "; the runner-up, %s, takes %.0f%% longer",
                        p.path("runner_up").asText(), p.path("runner_up_cost_percent").asDouble()));
            }
        }
        s.append('.');
        if (p.hasNonNull("memory")) {
            s.append(" Memory: ").append(p.path("memory").asText()).append('.');
        }
        if (p.hasNonNull("accuracy")) {
            s.append(" Tokens: ").append(p.path("accuracy").asText()).append('.');
        }
        return s.toString();
    }

    private static String join(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return String.join(", ", out);
    }

    private static String fmt(double v, int decimals) {
        return Double.isFinite(v) ? String.format(java.util.Locale.ROOT, "%." + decimals + "f", v) : "n/a";
    }

    /** The charts as the page script reads them: axes with their ranges, series with colour, dash and marker. */
    static ObjectNode data(List<Chart> charts) {
        ObjectMapper m = JsonFiles.MAPPER;
        ObjectNode root = m.createObjectNode();
        ArrayNode colours = root.putArray("strategyColours");
        StrategyStyle.palette().forEach((strategy, hex) -> colours.addObject().put("strategy", strategy).put("colour", hex));
        ArrayNode list = root.putArray("charts");
        for (Chart c : charts) {
            ObjectNode o = list.addObject();
            o.put("id", c.id());
            o.put("kind", c.kind().name().toLowerCase(java.util.Locale.ROOT));
            o.put("xLabel", c.xLabel());
            o.put("yLabel", c.yLabel());
            o.put("unit", c.unit());
            o.put("xLog", c.xLog());
            o.put("yLog", c.yLog());
            double[] e = c.extent();
            if (c.yLog()) {
                double[] r = OneTwoFiveLogAxis.range(e[2], e[3]);
                o.put("yMin", r[0]);
                o.put("yMax", r[1]);
            } else if (Double.isFinite(e[3])) {
                // A linear axis takes in every interval's end, not only the points (Chart.js scales to the points).
                o.put("yMin", Math.min(0, e[2]));
                o.put("yMax", e[3]);
            }
            if (c.xLog()) {
                double[] r = OneTwoFiveLogAxis.range(e[0], e[1]);
                o.put("xMin", r[0]);
                o.put("xMax", r[1]);
            }
            if (c.xNames() != null) {
                c.xNames().forEach(o.putArray("xNames")::add);
            }
            ArrayNode series = o.putArray("series");
            for (Chart.Series s : c.series()) {
                ObjectNode so = series.addObject();
                so.put("label", s.label());
                so.put("colour", StrategyStyle.hex(s.strategy()));
                ArrayNode dash = so.putArray("dash");
                for (float d : StrategyStyle.dash(s.file())) {
                    dash.add(d);
                }
                so.put("marker", StrategyStyle.markerName(s.file()));
                so.put("line", s.line());
                ArrayNode points = so.putArray("points");
                for (Chart.Point p : s.points()) {
                    ObjectNode po = points.addObject();
                    // Category charts place points by name; XY charts by number (named x positions label the axis).
                    if (c.kind() == Chart.Kind.CATEGORY && p.category() != null) {
                        po.put("x", p.category());
                    } else {
                        po.put("x", p.x());
                    }
                    po.put("y", p.y());
                    po.put("low", p.low());
                    po.put("high", p.high());
                }
            }
        }
        return root;
    }

    private static String runTable(List<ResultFile> files) {
        StringBuilder t = new StringBuilder("<table class=\"runs\"><thead><tr><th>file</th><th>commit</th><th>commit date</th>"
                + "<th>run date</th><th>JVM</th><th>ONNX Runtime</th><th>CPU</th><th>cores</th><th>threads</th>"
                + "<th>models (SHA-256, first 12)</th></tr></thead><tbody>\n");
        for (ResultFile f : files) {
            RunRecord meta = f.meta();
            RunRecord.Threads threads = meta.threads;
            String th = threads == null ? "" : "intra-op " + threads.onnxruntimeIntraOp() + ", inter-op "
                    + threads.onnxruntimeInterOp() + ", " + Objects.toString(threads.executionMode(), "");
            // The checksums (dozens of files per model folder) folded: the first screen is for the verdict.
            StringBuilder models = new StringBuilder();
            for (Map.Entry<String, Map<String, String>> model : (meta.models == null
                    ? Map.<String, Map<String, String>>of() : meta.models).entrySet()) {
                int count = model.getValue().size();
                models.append("<details><summary><b>").append(escape(model.getKey())).append("</b> (").append(count)
                        .append(count == 1 ? " file" : " files").append(")</summary>");
                for (Map.Entry<String, String> file : model.getValue().entrySet()) {
                    String sum = Objects.toString(file.getValue(), "");
                    models.append(escape(file.getKey())).append(' ').append(escape(sum.substring(0, Math.min(12, sum.length()))))
                            .append("<br>");
                }
                models.append("</details>");
            }
            t.append("<tr><td>").append(escape(f.path().getFileName().toString())).append("</td><td>")
                    .append(cell(f.commit().isEmpty() ? null : f.commit())).append("</td><td>")
                    .append(cell(meta.gitCommitDate)).append("</td><td>")
                    .append(cell(meta.runDate)).append("</td><td>")
                    .append(cell(meta.jvm)).append("</td><td>")
                    .append(cell(meta.onnxruntime)).append("</td><td>")
                    .append(cell(meta.cpuModel)).append("</td><td>")
                    .append(cell(meta.cores == null ? null : String.valueOf(meta.cores))).append("</td><td>")
                    .append(cell(th.isEmpty() ? null : th)).append("</td><td class=\"models\">")
                    .append(models.length() == 0 ? "<i>no metadata</i>" : models).append("</td></tr>\n");
        }
        return t.append("</tbody></table>\n").toString();
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }

    private static String cell(String value) {
        return value == null || value.isEmpty() ? "<i>no metadata</i>" : escape(value);
    }

    /** The Chart.js WebJar's version, from its Maven metadata on the class path. */
    static String chartJsVersion() {
        java.util.Properties p = new java.util.Properties();
        try {
            p.load(new java.io.StringReader(resource(CHART_JS_POM)));
        } catch (IOException e) {
            throw new KvbenchException("cannot read " + CHART_JS_POM + ": " + e.getMessage());
        }
        return p.getProperty("version");
    }

    static String resource(String name) {
        try (InputStream in = HtmlReport.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new KvbenchException("cannot read resource " + name + ": " + e.getMessage());
        }
    }

    /** Text that cannot end the {@code <script>} element it is inlined into. */
    static String scriptSafe(String js) {
        return js.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--");
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
