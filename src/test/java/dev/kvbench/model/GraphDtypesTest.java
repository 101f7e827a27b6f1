package dev.kvbench.model;

import dev.kvbench.KvbenchException;
import dev.kvbench.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A dtype per graph: how it is written, split out of a list, and where it is refused. */
class GraphDtypesTest {
    @Test
    void oneDtypeOrOnePerGraph() {
        assertEquals(GraphDtypes.of(Dtype.Q4), GraphDtypes.parse("q4"));
        assertEquals("q4", GraphDtypes.parse(" Q4 ").id());
        GraphDtypes pair = GraphDtypes.parse("encoder=fp32,decoder=q4");
        assertEquals(new GraphDtypes(Dtype.FP32, Dtype.Q4), pair);
        assertEquals(pair, GraphDtypes.parse("decoder=q4,encoder=fp32"), "either order");
        assertEquals(pair, GraphDtypes.parse("encoder=fp32+decoder=q4"), "+ for JMH's -p, which splits on commas");
        assertEquals("encoder=fp32,decoder=q4", pair.id());
        assertEquals("encoder-fp32-decoder-q4", pair.fileTag());
        assertFalse(pair.uniform());
        assertEquals("q4", GraphDtypes.parse("encoder=q4,decoder=q4").id(), "the same dtype twice is one dtype");
        for (String bad : List.of("encoder=q4", "encoder=q4,decoder=q4,decoder=q8", "encoder=q4,decoder=", "graph=q4,decoder=q4",
                "encoder=fp32,decoder=q4,fp32")) {
            KvbenchException e = assertThrows(KvbenchException.class, () -> GraphDtypes.parse(bad), bad);
            assertTrue(e.getMessage().contains("nor one per graph, encoder=DTYPE,decoder=DTYPE")
                    || e.getMessage().startsWith("unknown dtype"), e.getMessage());
        }
        KvbenchException mixed = assertThrows(KvbenchException.class, () -> GraphDtypes.parse("encoder=fp16,decoder=q4"));
        assertTrue(mixed.getMessage().startsWith("encoder=fp16,decoder=q4 cannot run together: the encoder's float16 output"),
                mixed.getMessage());
    }

    @Test
    void aListKeepsEachPairWhole() {
        assertEquals(List.of("fp32", "encoder=fp32,decoder=q4", "q4"), GraphDtypes.splitList("fp32,encoder=fp32,decoder=q4,q4"));
        assertEquals(List.of("decoder=q8,encoder=fp32", "encoder=fp32,decoder=q4"),
                GraphDtypes.splitList("decoder=q8,encoder=fp32,encoder=fp32,decoder=q4"));
        assertEquals(List.of("q4"), GraphDtypes.splitList("q4"));
    }

    /** The layout opens each graph of its own dtype; a decoder-only model has one graph kind and takes one dtype. */
    @Test
    void theEncoderOfItsDtypeTheDecodersOfTheirs() {
        Layout l = Layout.detect(TestModels.MARIAN, GraphDtypes.parse("encoder=fp32,decoder=q4"));
        assertEquals("encoder_model.onnx", l.graph(Layout.ENCODER).getFileName().toString());
        assertEquals("decoder_model_merged_q4.onnx", l.graph(Layout.MERGED).getFileName().toString());
        assertTrue(l.describe().endsWith(", encoder encoder_model.onnx"), l.describe());
        assertEquals(GraphDtypes.parse("encoder=fp32,decoder=q4"), l.dtypes());
        KvbenchException e = assertThrows(KvbenchException.class,
                () -> Layout.detect(TestModels.LLAMA, GraphDtypes.parse("encoder=fp32,decoder=q4")));
        assertTrue(e.getMessage().startsWith("a dtype per graph (encoder=fp32,decoder=q4) is for encoder-decoder models; "),
                e.getMessage());
        KvbenchException missing = assertThrows(KvbenchException.class,
                () -> Layout.detect(TestModels.MARIAN, GraphDtypes.parse("encoder=int8,decoder=q4")));
        assertTrue(missing.getMessage().startsWith("missing encoder_model_int8.onnx in "), missing.getMessage());
    }
}
