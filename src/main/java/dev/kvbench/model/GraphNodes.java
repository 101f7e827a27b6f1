package dev.kvbench.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.kvbench.KvbenchException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes of an ONNX graph file, read with protobuf's wire-format reader (only the fields needed: each node's op
 * type, name, domain and inputs, subgraphs of If/Loop included), without loading weights. ONNX Runtime's Java API
 * does not expose a session's nodes; this is how {@code check} learns that a graph quantizes activations at run time.
 * Field numbers are onnx.proto's: ModelProto.graph 7; GraphProto.node 1; NodeProto input 1, name 3, op_type 4,
 * attribute 5, domain 7; AttributeProto name 1, i 3, g 6, graphs 11.
 */
public final class GraphNodes {
    /** One node: what it computes, its inputs, and its integer attributes. */
    public record Node(String opType, String name, String domain, List<String> inputs, java.util.Map<String, Long> ints) {
        /**
         * Whether the node quantizes an activation tensor at run time with a scale computed from more than the one
         * position: DynamicQuantizeLinear and DynamicQuantizeMatMul (one scale per tensor), and MatMulNBits at
         * accuracy level 4 (int8 compute of A, whose CPU kernel takes other paths for one row than for many).
         */
        public boolean quantizesActivations() {
            return DYNAMIC_QUANTIZATION.contains(opType)
                    || opType.equals("MatMulNBits") && ints.getOrDefault("accuracy_level", 0L) == 4;
        }
    }

    /**
     * Ops that quantize an activation tensor with one scale computed from the whole tensor at run time, so that a
     * position fed alone is quantized differently from the same position fed with its prefix.
     */
    private static final List<String> DYNAMIC_QUANTIZATION = List.of("DynamicQuantizeLinear", "DynamicQuantizeMatMul");

    private GraphNodes() {
    }

    /** Every node of {@code file}'s main graph and its subgraphs, in file order. */
    public static List<Node> read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream s = CodedInputStream.newInstance(in);
            s.setSizeLimit(Integer.MAX_VALUE);
            s.setRecursionLimit(512);
            List<Node> nodes = new ArrayList<>();
            while (!s.isAtEnd()) {
                int tag = s.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 7 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    within(s, () -> graph(s, nodes));
                } else if (!s.skipField(tag)) {
                    break;
                }
            }
            return nodes;
        } catch (IOException | RuntimeException e) {
            throw new KvbenchException(file + " is not a readable ONNX model: " + e.getMessage());
        }
    }

    /**
     * The first node of {@code graphs} that quantizes an activation dynamically (DynamicQuantizeLinear and the fused
     * DynamicQuantizeMatMul), as {@code op 'name'}; null when there is none (weight-only or float graphs).
     */
    public static String dynamicActivationQuantization(List<Path> graphs) {
        for (Path g : graphs) {
            for (Node n : read(g)) {
                if (n.quantizesActivations()) {
                    return n.opType() + (n.opType().equals("MatMulNBits") ? " (accuracy level 4)" : "") + " '" + n.name()
                            + "' in " + g.getFileName();
                }
            }
        }
        return null;
    }

    private interface Body {
        void read() throws IOException;
    }

    private static void within(CodedInputStream s, Body body) throws IOException {
        int old = s.pushLimit(s.readRawVarint32());
        body.read();
        s.popLimit(old);
    }

    private static int wireType(int tag) {
        return tag & 7;
    }

    private static void graph(CodedInputStream s, List<Node> nodes) throws IOException {
        while (!s.isAtEnd()) {
            int tag = s.readTag();
            if (WireFormat.getTagFieldNumber(tag) == 1 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                within(s, () -> node(s, nodes));
            } else {
                s.skipField(tag);
            }
        }
    }

    private static void node(CodedInputStream s, List<Node> nodes) throws IOException {
        String op = "";
        String name = "";
        String domain = "";
        List<String> inputs = new ArrayList<>();
        java.util.Map<String, Long> ints = new java.util.HashMap<>();
        List<Node> inner = new ArrayList<>();
        while (!s.isAtEnd()) {
            int tag = s.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> inputs.add(s.readStringRequireUtf8());
                case 3 -> name = s.readStringRequireUtf8();
                case 4 -> op = s.readStringRequireUtf8();
                case 7 -> domain = s.readStringRequireUtf8();
                case 5 -> within(s, () -> attribute(s, inner, ints));
                default -> s.skipField(tag);
            }
        }
        nodes.add(new Node(op, name, domain, List.copyOf(inputs), java.util.Map.copyOf(ints)));
        nodes.addAll(inner);
    }

    private static void attribute(CodedInputStream s, List<Node> nodes, java.util.Map<String, Long> ints) throws IOException {
        String name = null;
        Long value = null;
        while (!s.isAtEnd()) {
            int tag = s.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if ((field == 6 || field == 11) && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                within(s, () -> graph(s, nodes));
            } else if (field == 1 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                name = s.readStringRequireUtf8();
            } else if (field == 3 && wireType(tag) == WireFormat.WIRETYPE_VARINT) {
                value = s.readInt64();
            } else {
                s.skipField(tag);
            }
        }
        if (name != null && value != null) {
            ints.put(name, value);
        }
    }
}
