package dev.kvbench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.paired.Recommendation;
import dev.kvbench.paired.StrategyVerdicts;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.Roofline;
import dev.kvbench.results.Summary;
import dev.kvbench.runtime.MachineProbe;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A bench run's summary text, from what the run has so far: the header, the verdicts with the lossy candidates'
 * accuracy, the recommendation, the token latency, the JMH results' tables and roofline, then what was not available,
 * skipped, failed, the peak-memory table and what a default run left out.
 *
 * @param results the JMH-format entries so far (empty: no tables)
 */
record RunSummary(String header, StrategyVerdicts verdicts, String lossyAccuracy, Recommendation recommendation,
                  String latency, JsonNode results, String resultsName, Path folder, GraphDtypes dtype,
                  MachineProbe.Limits limits, List<String> notAvailable, List<String> skipped, List<String> failed,
                  String memory, List<String> leftOut) {

    String text() {
        StringBuilder s = new StringBuilder(header);
        if (verdicts != null) {
            s.append(verdicts.text());
            s.append(lossyAccuracy);
        }
        if (recommendation != null) {
            s.append(recommendation.text(verdicts.a().id()));
        }
        s.append(latency);
        if (!results.isEmpty()) {
            List<JmhResult> parsed = JmhResults.parse(results, resultsName);
            s.append(Summary.render(parsed));
            s.append(Roofline.section(Summary.rows(parsed), Roofline.Shape.read(folder, dtype.decoder()), limits));
        }
        s.append(section("Not available (the variant graph is not beside the export; see docs/derive-and-synth.md)", notAvailable));
        s.append(section("Skipped by rule", skipped));
        s.append(section("Failed", failed));
        s.append(memory);
        s.append(section("Left out of this default run (`kvbench bench --full` runs them, about 80 to 90 minutes; `--quick` is the "
                + "2-3 minute smoke run)", leftOut));
        return s.toString();
    }

    private static String section(String title, List<String> lines) {
        return lines.isEmpty() ? "" : "\n" + title + "\n" + lines.stream().map(l -> "  " + l + "\n").collect(Collectors.joining());
    }
}
