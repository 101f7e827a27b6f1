package dev.kvbench.matrix;

import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.support.JsonFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The summary's sections from what a run has: empty ones left out, the others in their order. */
class RunSummaryTest {
    @Test
    void sectionsAppearWhenTheyHaveLinesInTheirOrder() {
        RunSummary empty = new RunSummary("header\n", null, "", null, "", JsonFiles.MAPPER.createArrayNode(), "r.json",
                Path.of("models/tiny-llama"), GraphDtypes.of(Dtype.FP32), null, List.of(), List.of(), List.of(), "", List.of());
        assertEquals("header\n", empty.text());
        RunSummary some = new RunSummary("header\n", null, "", null, "latency\n", JsonFiles.MAPPER.createArrayNode(),
                "r.json", Path.of("models/tiny-llama"), GraphDtypes.of(Dtype.FP32), null, List.of("static: not available -- x"),
                List.of("rule"), List.of("kv: boom"), "\nPeak memory\n", List.of("GenerationBenchmark"));
        assertEquals("header\nlatency\n"
                + "\nNot available (the variant graph is not beside the export; see docs/derive-and-synth.md)\n"
                + "  static: not available -- x\n"
                + "\nSkipped by rule\n  rule\n"
                + "\nFailed\n  kv: boom\n"
                + "\nPeak memory\n"
                + "\nLeft out of this default run (`kvbench bench --full` runs them, about 80 to 90 minutes; `--quick` is the "
                + "2-3 minute smoke run)\n  GenerationBenchmark\n", some.text());
    }
}
