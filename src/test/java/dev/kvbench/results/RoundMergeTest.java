package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Rounds of an A/B merged into one JMH file: each round's samples become a fork of one entry. */
class RoundMergeTest {
    static JsonNode round(double... samples) throws Exception {
        StringBuilder raw = new StringBuilder();
        for (double s : samples) {
            raw.append(raw.length() == 0 ? "" : ",").append(s);
        }
        return new ObjectMapper().readTree("[{\"benchmark\":\"b.G.generate\",\"mode\":\"avgt\",\"params\":{\"strategy\":\"kv\"},"
                + "\"primaryMetric\":{\"score\":0,\"scoreUnit\":\"ms/op\",\"rawData\":[[" + raw + "]]},"
                + "\"secondaryMetrics\":{\"gc.alloc.rate.norm\":{\"score\":0,\"scoreUnit\":\"B/op\",\"rawData\":[[10,10]]}}}]");
    }

    @Test
    void roundsBecomeForksOfOneEntry() throws Exception {
        JsonNode merged = RoundMerge.merge(List.of(round(1, 2), round(3, 4), round(5, 6)));
        assertEquals(1, merged.size());
        JsonNode primary = merged.get(0).get("primaryMetric");
        assertEquals(3, primary.get("rawData").size());
        assertEquals(3.5, primary.get("score").asDouble(), 1e-12);
        assertEquals(3, merged.get(0).get("forks").asInt());
        assertEquals(3, merged.get(0).get("secondaryMetrics").get("gc.alloc.rate.norm").get("rawData").size());
        // The merged file is a valid JMH result for compare and report.
        List<JmhResult> parsed = JmhResults.parse(merged, "merged");
        assertEquals(6, parsed.get(0).primary().samples().length);
    }
}
