package dev.kvbench.matrix;

import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a bench run will do on a folder, planned before anything runs, asserted on the plan's data. */
class BenchPlanTest {
    static final BenchPlan.Settings TINY = new BenchPlan.Settings(256, 2048, false, 1, 1);

    @Test
    void theOfferLeavesOutWhatTheFolderLacksAndRefusesAChosenOne() {
        Layout marian = Layout.detect(TestModels.MARIAN, Dtype.FP32);
        BenchPlan.Offered o = BenchPlan.offered(MatrixPlan.Kind.FULL, null, TestModels.MARIAN, marian);
        assertTrue(o.strategies().contains(Strategy.KV) && !o.strategies().contains(Strategy.STATIC_GQA), o.toString());
        assertTrue(o.notAvailable().stream().anyMatch(l -> l.startsWith("static-gqa: not available -- ")), o.toString());
        assertEquals(List.of(Strategy.KV, Strategy.STATIC), BenchPlan.offered(MatrixPlan.Kind.FULL,
                List.of(Strategy.KV, Strategy.STATIC, Strategy.KV), TestModels.MARIAN, marian).strategies(), "each once");
        KvbenchException e = assertThrows(KvbenchException.class, () -> BenchPlan.offered(MatrixPlan.Kind.FULL,
                List.of(Strategy.STATIC_GQA), TestModels.MARIAN, marian));
        assertTrue(e.getMessage().startsWith("static-gqa is not available: "), e.getMessage());
    }

    @Test
    void theDefaultRunPlansItsVerdictFirstAndItsFollowUpFromThePicks() {
        BenchPlan p = BenchPlan.of(MatrixPlan.Kind.DEFAULT, List.of(Strategy.values()), TINY, false);
        assertEquals(Strategy.KV, p.reference());
        assertEquals(List.of(), p.peaks(), "the default run measures peak memory after its verdict");
        assertEquals(List.of(), p.skipped());
        assertEquals(List.of(Strategy.STATIC, Strategy.STATIC_GQA, Strategy.STATIC_GQA_INT8), p.verdictPlan().candidates());
        BenchRun.FollowUp f = p.followUp(List.of(Strategy.KV, Strategy.STATIC_GQA));
        assertEquals(List.of(MatrixPlanTest.step("kv", 256, 2048), MatrixPlanTest.step("static-gqa", 256, 2048),
                MatrixPlanTest.prefill("kv", 64, 512, 2047), MatrixPlanTest.prefill("static-gqa", 64, 512, 2047)),
                f.parts().subList(0, 4));
        assertEquals(MatrixPlanTest.shared("static-gqa", List.of(512), List.of("1"), List.of(512), 4, true),
                f.parts().subList(f.parts().size() - 6, f.parts().size()), "shared prompts last");
        assertEquals(List.of(new MatrixPlan.PeakRun(Strategy.KV, 1, 2040), new MatrixPlan.PeakRun(Strategy.STATIC_GQA, 1, 2040)),
                f.peaks());
    }

    @Test
    void withoutKvTheFirstRunnableIsTheReferenceAndAShardKeepsIt() {
        BenchPlan p = BenchPlan.of(MatrixPlan.Kind.FULL, List.of(Strategy.STATIC, Strategy.STATIC_GQA, Strategy.HYBRID),
                new BenchPlan.Settings(256, 2048, false, 2, 2), true);
        assertEquals(Strategy.STATIC, p.reference());
        assertTrue(p.shardStrategies().contains(Strategy.STATIC), p.shardStrategies().toString());
        assertTrue(p.plan().parts().stream().anyMatch(x -> x.value().equals("static")), "the reference in every shard");
        assertTrue(p.plan().parts().stream().allMatch(x -> p.shardStrategies().stream().anyMatch(s -> x.value().equals(s.id())
                || x.value().startsWith(s.id() + "-"))), p.plan().parts().toString());
    }
}
