package dev.kvbench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.RunMeta;
import dev.kvbench.runtime.MachineProbe;
import dev.kvbench.runtime.OrtRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default run's order on real worker JVMs and a real JMH part: the verdict rounds first, then only the reference
 * and the recommendation's pick measured further (what {@code MatrixPlan#followUp} returns is what the follow-up is
 * planned for), and the summary ends with what the run left out. no-cache against kv at 32 new tokens differs by 2
 * to 5x, so kv is the pick whatever the machine's noise. About 20 seconds.
 */
class BenchRunTest {
    @Test
    void theDefaultRunGivesItsVerdictFirstThenMeasuresOnlyTheReferenceAndThePick(@TempDir Path tmp) throws Exception {
        Path folder = TestModels.LLAMA;
        RunFiles files = RunFiles.forResults(tmp.resolve("run.json"));
        StringWriter console = new StringWriter();
        List<String> failed = new ArrayList<>();
        BenchRun run = new BenchRun(files, folder, Dtype.FP32, RunMeta.describe(TestModels.ROOT, List.of(folder), 1,
                MatrixPlan.Kind.DEFAULT.id), "kvbench default run (test)\n", new MachineProbe.Limits(10e9, 10e9), List.of(),
                new ArrayList<>(), failed, new PrintWriter(console, true));
        MatrixPlan.VerdictPlan verdict = new MatrixPlan.VerdictPlan(Strategy.KV, List.of(Strategy.NO_CACHE),
                List.of(new MatrixPlan.Group(List.of(32), 1)), 3, 4, 2);
        List<OrtRuntime.RunCall> calls = List.of(OrtRuntime.RunCall.preferred());
        JmhPartRunner runner = new JmhPartRunner(folder, Dtype.FP32, TestModels.ROOT, 1, calls, 1, MatrixPlan.Kind.DEFAULT,
                new PrintStream(new ByteArrayOutputStream(), true));
        List<List<Strategy>> asked = new ArrayList<>();
        int code = run.executeAnswerFirst(verdict, measured -> {
            asked.add(measured);
            return new BenchRun.FollowUp(List.of(new MatrixPart(BenchmarkContract.STEP, "strategy", measured.get(0).id(),
                    "context", List.of(64))), List.of(), List.of("a rule's line"), List.of("a part left out"));
        }, List.of(Strategy.KV, Strategy.NO_CACHE), runner, calls, TestModels.ROOT);
        String out = console.toString();
        assertEquals(0, code, out + failed);
        assertEquals(List.of(List.of(Strategy.KV)), asked, "no-cache is slower: kv alone is measured further");
        int verdictLine = out.indexOf("[verdict] no-cache against kv at 32 new tokens");
        int part = out.indexOf("[1/1] StepBenchmark kv context=64 ...");
        assertTrue(verdictLine >= 0 && part > verdictLine, "the verdict rounds come first: " + out);
        String summary = Files.readString(files.summary());
        assertTrue(summary.contains("Recommendation (from the verdict above)"), summary);
        assertTrue(summary.contains("Skipped by rule\n  a rule's line\n"), summary);
        assertTrue(summary.endsWith("Left out of this default run (`kvbench bench --full` runs them, about 70 minutes; "
                + "`--quick` is the 2-3 minute smoke run)\n  a part left out\n"), summary);
        JsonNode meta = new ObjectMapper().readTree(files.meta().toFile());
        assertEquals("slower", meta.path("strategy_verdicts").path("verdicts").get(0).path("verdict").asText(), meta.toString());
        assertEquals("kv", meta.path("recommendation").get(0).path("strategy").asText());
        JsonNode results = new ObjectMapper().readTree(files.results().toFile());
        assertEquals(1, results.size());
        assertEquals("kv", results.get(0).path("params").path("strategy").asText());
        assertEquals("64", results.get(0).path("params").path("context").asText());
    }
}
