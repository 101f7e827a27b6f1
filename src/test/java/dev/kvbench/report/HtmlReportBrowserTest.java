package dev.kvbench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.cli.CliTestSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Opens the report page in headless Chromium, from a file with no network, and reads back what the page script drew:
 * every chart with its series and error bars, what hovering shows and what a legend click does (the page's
 * {@code #selfcheck}), the run metadata, and no script or console error. Chromium is
 * installed by {@code .ci/run}, which sets {@code KVBENCH_REQUIRE_BROWSER=1} so that a missing browser fails there;
 * elsewhere the test is skipped with a message.
 */
class HtmlReportBrowserTest {
    private static final Pattern STATE = Pattern.compile("<pre id=\"render-state\" hidden=\"\">(.*?)</pre>", Pattern.DOTALL);

    static String browser() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name).toString();
                }
            }
        }
        if ("1".equals(System.getenv("KVBENCH_REQUIRE_BROWSER"))) {
            fail("headless Chromium is required here (KVBENCH_REQUIRE_BROWSER=1) but none is on the PATH");
        }
        Assumptions.abort("no chromium on the PATH: install Debian's `chromium` to run the browser test");
        return null;
    }

    @Test
    void thePageRendersEveryChartWithItsSeriesAndNoErrors(@TempDir Path tmp) throws Exception {
        String chromium = browser();
        Path a = ReportFixtures.copy(tmp, "a");
        Path b = ReportFixtures.copy(tmp, "b");
        // b's A/A control planted wide (as a noisy quick run's [0.984, 1.459]): the forest plot's axis must take it in.
        Path bMeta = tmp.resolve("b.meta.json");
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper()
                .readTree(bMeta.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) meta.path("strategy_verdicts").path("controls").get(0))
                .put("ratio_ci95_low", 0.984).put("ratio_ci95_high", 1.459);
        new ObjectMapper().writeValue(bMeta.toFile(), meta);
        Path out = tmp.resolve("report");
        CliTestSupport.Run r = CliTestSupport.run("report", a.toString(), b.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        String page = Files.readString(out.resolve("report.html"));
        assertFalse(page.contains("src=\"http") || page.contains("href=\"http"), "the page must not load anything from the network");

        Path dom = tmp.resolve("dom.html");
        Path log = tmp.resolve("chromium.log");
        Process p = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--user-data-dir=" + tmp.resolve("profile"), "--enable-logging=stderr", "--v=0",
                "--virtual-time-budget=10000", "--dump-dom", out.resolve("report.html").toUri() + "#selfcheck")
                .redirectOutput(dom.toFile()).redirectError(log.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish within 180 s");
        }
        String html = Files.readString(dom, StandardCharsets.UTF_8);
        Matcher m = STATE.matcher(html);
        assertTrue(m.find(), "the page script wrote no render state; chromium said: " + Files.readString(log));
        JsonNode state = new ObjectMapper().readTree(m.group(1).replace("&quot;", "\"").replace("&lt;", "<")
                .replace("&gt;", ">").replace("&amp;", "&"));
        assertEquals(0, state.get("errors").size(), "script errors: " + state.get("errors"));
        List<String> drawn = new java.util.ArrayList<>();
        state.get("charts").fieldNames().forEachRemaining(drawn::add);
        assertEquals(Charts.IDS, drawn);
        JsonNode perToken = state.get("charts").get("ms-per-token");
        List<String> series = new java.util.ArrayList<>();
        perToken.get("series").forEach(s -> series.add(s.asText()));
        assertEquals(List.of("kv (a)", "no-cache (a)", "static-gqa (a)", "kv (b)", "no-cache (b)", "static-gqa (b)"), series);
        for (String id : List.of("ms-per-token", "step-latency", "heap-per-token", "hybrid-threshold")) {
            JsonNode c = state.get("charts").get(id);
            assertTrue(c.get("errorBars").asInt() > 0 && c.get("errorBars").asInt() <= c.get("points").asInt(), id + ": " + c);
        }
        assertEquals(2, state.get("charts").get("peak-rss").get("series").size());
        // The verdict: a forest plot (each file's configuration, then kv = 1), and its words on top of the page.
        JsonNode verdict = state.get("charts").get("verdict");
        assertEquals(3, verdict.get("series").size(), verdict.toString());
        assertTrue(verdict.get("errorBars").asInt() >= 4, verdict.toString());
        // Its y axis takes in every interval: the planted 1.459 and static-gqa's low end 0.614 (Chart.js alone stops at
        // the points' largest ratio).
        assertTrue(verdict.get("yMax").asDouble() >= 1.459 && verdict.get("yMin").asDouble() <= 0.614, verdict.toString());
        // The verdict and recommendation as a table and a sentence, not preformatted text.
        String section = html.substring(html.indexOf("<section id=\"verdict\">"), html.indexOf("<section id=\"runs\">"));
        assertFalse(section.contains("<pre"), section);
        Matcher row = Pattern.compile("<tr><td>model=tiny-llama, newTokens=64</td><td>static-gqa</td><td>faster</td>"
                + "<td class=\"num\">([0-9.]+)</td><td class=\"num\">\\[([0-9.]+), ([0-9.]+)\\]</td><td class=\"num\">"
                + "([0-9.e-]+)</td><td class=\"num\">(\\d+)</td></tr>").matcher(section);
        assertTrue(row.find(), section);
        assertEquals(List.of("0.681", "0.614", "0.756", "0.00394", "3"),
                List.of(row.group(1), row.group(2), row.group(3), row.group(4), row.group(5)));
        assertTrue(section.contains("<td>kv (A/A control)</td><td>indistinguishable within ±5.0%</td><td class=\"num\">1.023"
                + "</td><td class=\"num\">[0.984, 1.459]</td>"), section);
        assertTrue(section.contains("<p class=\"recommendation\">For model=tiny-llama, newTokens=64, ship static-gqa: it "
                + "takes 0.681 x kv's time [0.614, 0.756]; the runner-up, kv, takes 47% longer. Tokens: agree with no-cache"),
                section);
        // The models' checksums are folded behind a closed details element per model folder.
        String runs = html.substring(html.indexOf("<section id=\"runs\">"), html.indexOf("<section id=\"charts\">"));
        Matcher models = Pattern.compile("<td class=\"models\">(.*?)</td>", Pattern.DOTALL).matcher(runs);
        int cells = 0;
        while (models.find()) {
            cells++;
            String cell = models.group(1);
            assertTrue(cell.startsWith("<details><summary><b>") && cell.endsWith("</details>") && !cell.contains("open"), cell);
            assertTrue(cell.replaceAll("(?s)<details>.*?</details>", "").isEmpty(), cell);
        }
        assertEquals(2, cells, runs);
        // Hover: the first point's value with its interval; a legend click hides the series (and its error bars),
        // a second click shows it again.
        for (String id : Charts.IDS) {
            JsonNode c = state.get("charts").get(id);
            assertFalse(c.get("visibleAfterClick").asBoolean(), id);
            assertTrue(c.get("visibleAfterSecondClick").asBoolean(), id);
            assertTrue(c.get("errorBarsAfterClick").asInt() <= c.get("errorBars").asInt(), id);
        }
        assertTrue(perToken.get("errorBarsAfterClick").asInt() < perToken.get("errorBars").asInt(), perToken.toString());
        String tooltip = perToken.get("tooltip").asText();
        assertTrue(tooltip.matches("kv \\(a\\): [0-9.]+ ms \\[[0-9.]+, [0-9.]+\\]"), tooltip);
        // The run metadata is on the page.
        for (String expected : List.of("ff3ddf2", "1.29.0", "AMD EPYC", "intra-op 1", "model.onnx a5f4eb6c1956")) {
            assertTrue(html.contains(expected), "metadata '" + expected + "' missing from the page");
        }
        String console = Files.readString(log);
        assertFalse(console.contains("Uncaught") || console.lines().anyMatch(l -> l.contains("CONSOLE") && l.contains("ERROR")),
                "console errors: " + console);
    }
}
