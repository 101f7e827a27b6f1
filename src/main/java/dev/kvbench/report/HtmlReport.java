package dev.kvbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.results.Summary;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

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
            if (f.meta().has("strategy_verdicts")) {
                verdicts.append("<h3>").append(escape(f.path().getFileName().toString())).append("</h3><pre>")
                        .append(escape(verdictText(f.meta()))).append("</pre>\n");
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

    /** The verdict and recommendation a run's metadata holds, as the summary words them. */
    static String verdictText(JsonNode meta) {
        StringBuilder s = new StringBuilder();
        JsonNode v = meta.path("strategy_verdicts");
        String ref = v.path("reference").asText();
        s.append("each strategy against ").append(ref).append(", interleaved paired rounds (ratio < 1: faster; 95% intervals)")
                .append(v.path("noisy").asBoolean(false) ? " -- NOISY run: the A/A control is wider than the threshold" : "")
                .append('\n');
        for (JsonNode x : v.path("verdicts")) {
            s.append(String.format(java.util.Locale.ROOT, "  %-34s %-12s %-32s %.3f [%.3f, %.3f]%n", x.path("configuration").asText(),
                    x.path("candidate").asText(), x.path("verdict").asText(), x.path("ratio").asDouble(),
                    x.path("ratio_ci95_low").asDouble(), x.path("ratio_ci95_high").asDouble()));
        }
        for (JsonNode x : v.path("controls")) {
            s.append(String.format(java.util.Locale.ROOT, "  %-34s A/A control %.3f [%.3f, %.3f]%n", x.path("configuration").asText(),
                    x.path("ratio").asDouble(), x.path("ratio_ci95_low").asDouble(), x.path("ratio_ci95_high").asDouble()));
        }
        for (JsonNode p : meta.path("recommendation")) {
            s.append("recommendation, ").append(p.path("configuration").asText()).append(": ").append(p.path("strategy").asText());
            if (!p.path("strategy").asText().equals(ref)) {
                s.append(String.format(java.util.Locale.ROOT, ", %.3f x %s's time [%.3f, %.3f]", p.path("ratio").asDouble(), ref,
                        p.path("ratio_ci95_low").asDouble(), p.path("ratio_ci95_high").asDouble()));
            }
            if (p.hasNonNull("memory")) {
                s.append("; ").append(p.path("memory").asText());
            }
            if (p.hasNonNull("accuracy")) {
                s.append("; tokens ").append(p.path("accuracy").asText());
            }
            s.append('\n');
        }
        return s.toString();
    }

    /** The charts as the page script reads them: axes with their ranges, series with colour, dash and marker. */
    static ObjectNode data(List<Chart> charts) {
        ObjectMapper m = new ObjectMapper();
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
            JsonNode meta = f.meta();
            JsonNode threads = meta.path("threads");
            String th = threads.isMissingNode() ? "" : "intra-op " + threads.path("onnxruntime_intra_op").asText("?") + ", inter-op "
                    + threads.path("onnxruntime_inter_op").asText("?") + ", " + threads.path("execution_mode").asText("");
            StringBuilder models = new StringBuilder();
            for (Map.Entry<String, JsonNode> model : iterable(meta.path("models").fields())) {
                models.append("<b>").append(escape(model.getKey())).append("</b>");
                for (Map.Entry<String, JsonNode> file : iterable(model.getValue().fields())) {
                    String sum = file.getValue().asText();
                    models.append("<br>").append(escape(file.getKey())).append(' ').append(escape(sum.substring(0, Math.min(12, sum.length()))));
                }
            }
            t.append("<tr><td>").append(escape(f.path().getFileName().toString())).append("</td><td>")
                    .append(cell(f.commit().isEmpty() ? null : f.commit())).append("</td><td>")
                    .append(cell(meta.path("git_commit_date").asText(null))).append("</td><td>")
                    .append(cell(meta.path("run_date").asText(null))).append("</td><td>")
                    .append(cell(meta.path("jvm").asText(null))).append("</td><td>")
                    .append(cell(meta.path("onnxruntime").asText(null))).append("</td><td>")
                    .append(cell(meta.path("cpu_model").asText(null))).append("</td><td>")
                    .append(cell(meta.path("cores").asText(null))).append("</td><td>")
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
