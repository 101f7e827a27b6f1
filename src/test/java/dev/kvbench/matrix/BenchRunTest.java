package dev.kvbench.matrix;

import dev.kvbench.TestModels;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default run's order, on real worker JVMs: the verdict rounds first, then the follow-up planned for the reference
 * and the recommendation's pick only ({@link MatrixPlan#followUp}), and a summary that ends with what the run left
 * out. no-cache against kv at 32 new tokens differs by 2 to 5x, so kv is the pick whatever the machine's noise. The
 * follow-up here plans no JMH part (JMH's forks need the shaded jar, which the unit tests run before; the parts
 * themselves are `bench --quick`'s, run whole by BenchCommandIT), so the result file holds the serving sweep's figures
 * only, for the reference and pick (kv: no static-gqa among the runnable strategies). About 40 seconds.
 */
class BenchRunTest {
    @Test
    void theDefaultRunGivesItsVerdictFirstThenPlansOnlyTheReferenceAndThePick(@TempDir Path tmp) throws Exception {
        Path folder = TestModels.LLAMA;
        RunFiles files = RunFiles.forResults(tmp.resolve("run.json"));
        StringWriter console = new StringWriter();
        List<String> failed = new ArrayList<>();
        BenchRun run = new BenchRun(files, folder, GraphDtypes.of(Dtype.FP32), RunMeta.describe(TestModels.ROOT, List.of(folder), 1,
                MatrixPlan.Kind.DEFAULT.id), "kvbench default run (test)\n", new MachineProbe.Limits(10e9, 10e9), List.of(),
                new ArrayList<>(), failed, new PrintWriter(console, true));
        MatrixPlan.VerdictPlan verdict = new MatrixPlan.VerdictPlan(Strategy.KV, List.of(Strategy.NO_CACHE),
                List.of(new MatrixPlan.Group(List.of(32), 1)), 3, 4, 2, 2, 64);
        List<OrtRuntime.RunCall> calls = List.of(OrtRuntime.RunCall.preferred());
        JmhPartRunner runner = new JmhPartRunner(folder, GraphDtypes.of(Dtype.FP32), TestModels.ROOT, 1, calls, 1, MatrixPlan.Kind.DEFAULT,
                new PrintStream(new ByteArrayOutputStream(), true));
        List<List<Strategy>> asked = new ArrayList<>();
        int code = run.executeAnswerFirst(verdict, measured -> {
            asked.add(measured);
            return new BenchRun.FollowUp(List.of(), List.of(), List.of("a rule's line"), List.of("a part left out"));
        }, List.of(Strategy.KV, Strategy.NO_CACHE), runner, calls, TestModels.ROOT);
        String out = console.toString();
        assertEquals(List.of(List.of(Strategy.KV)), asked, "no-cache is slower: kv alone is measured further; " + out);
        assertEquals(0, code, "no JMH part; the serving sweep's figures: " + out);
        int verdictLine = out.indexOf("[verdict] no-cache against kv at 32 new tokens");
        int recommended = out.indexOf("[recommended] kv: measuring time to first token, steps for the roofline and peak "
                + "memory of kv\n");
        int recommendation = out.indexOf("Recommendation (from the verdict above)\n  model=tiny-llama, newTokens=32: kv;");
        int leftOut = out.indexOf("Left out of this default run (`kvbench bench --full` runs them, about 80 to 90 minutes; "
                + "`--quick` is the 2-3 minute smoke run)\n  a part left out\n");
        int shared = out.indexOf("[shared prompts] re-ranking with the prompt reused against recomputed, kv, 2 paired rounds");
        int serving = out.indexOf("[serving] 27 runs: closed-loop clients [1, 4, 16] x sequential, static-batch, "
                + "continuous x kv, targets ttft=200,tpot=50 ms");
        int servingSection = out.indexOf("Serving on tiny-llama: requests replayed in real time");
        assertTrue(verdictLine >= 0 && recommended > verdictLine && shared > recommended && serving > shared
                && recommendation > serving && servingSection > recommendation && leftOut > servingSection,
                "verdict, then the follow-up, the shared prompts and the serving sweep, then the summary: " + out);
        assertTrue(out.contains("Sustains the most: kv "), out);
        assertTrue(out.contains("Shared prompts: re-ranking 16 candidates of 16 tokens given a 64-token prompt, kv, 2 "
                + "interleaved paired rounds"), out);
        // no-cache is slower, or (on a loaded machine, 3 short rounds) indistinguishable: either way kv is the pick.
        assertTrue(out.contains("  model=tiny-llama, newTokens=32     no-cache     "), out);
        assertTrue(out.contains("Skipped by rule\n  a rule's line\n"), out);
        List<dev.kvbench.results.JmhResult> results = dev.kvbench.results.JmhResults.read(files.results());
        assertEquals(9 * 7, results.size(), "3 policies x 3 loads x 7 figures");
        assertTrue(results.stream().allMatch(r -> dev.kvbench.results.ServingResults.isServing(r)
                && r.param("strategy").equals("kv") && r.primary().samples().length == 3), results.toString());
        assertTrue(Files.exists(files.meta()) && Files.exists(files.summary()));
        try (var left = Files.list(tmp)) {
            assertEquals(List.of("run.json", "run.meta.json", "run.summary.txt"), left.map(p -> p.getFileName().toString())
                    .sorted().toList(), "the run's work folder is gone");
        }
    }
}
