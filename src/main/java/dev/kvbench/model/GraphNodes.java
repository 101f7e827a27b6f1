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
 * Field numbers are onnx.proto's: ModelProto.graph 7; GraphProto.node 1, initializer 5; NodeProto input 1, name 3,
 * op_type 4, attribute 5, domain 7; AttributeProto name 1, i 3, g 6, graphs 11; TensorProto dims 1, name 8 (the
 * initializers' shapes are read, never their data).
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

    /**
     * A graph file's nodes (main graph and subgraphs, in file order) and the shapes of its initializers by name.
     */
    public record Graph(List<Node> nodes, java.util.Map<String, long[]> initializerShapes) {
        /** Whether any node is of {@code opType}. */
        public boolean has(String opType) {
            return nodes.stream().anyMatch(n -> n.opType().equals(opType));
        }

        /**
         * The positions the graph's rotary tables hold: the rows of the {@code cos_cache} initializer that
         * GroupQueryAttention (input 7) or RotaryEmbedding (input 2) reads, the smallest where there are several; -1
         * where the graph computes its rotary angles itself (no table, no limit of its own).
         */
        public int rotaryPositions() {
            long rows = -1;
            for (Node n : nodes) {
                int at = n.opType().equals("GroupQueryAttention") ? 7 : n.opType().equals("RotaryEmbedding") ? 2 : -1;
                long[] shape = at >= 0 && n.inputs().size() > at ? initializerShapes.get(n.inputs().get(at)) : null;
                if (shape != null && shape.length >= 1 && shape[0] > 0) {
                    rows = rows < 0 ? shape[0] : Math.min(rows, shape[0]);
                }
            }
            return (int) Math.min(rows, Integer.MAX_VALUE);
        }
    }

    /** Every node of {@code file}'s main graph and its subgraphs, in file order. */
    public static List<Node> read(Path file) {
        return readGraph(file).nodes();
    }

    /** {@code file}'s nodes and initializer shapes, without reading weights. */
    public static Graph readGraph(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream s = CodedInputStream.newInstance(in);
            s.setSizeLimit(Integer.MAX_VALUE);
            s.setRecursionLimit(512);
            List<Node> nodes = new ArrayList<>();
            java.util.Map<String, long[]> shapes = new java.util.HashMap<>();
            while (!s.isAtEnd()) {
                int tag = s.readTag();
                if (WireFormat.getTagFieldNumber(tag) == 7 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    within(s, () -> graph(s, nodes, shapes));
                } else if (!s.skipField(tag)) {
                    break;
                }
            }
            return new Graph(nodes, shapes);
        } catch (IOException | RuntimeException e) {
            throw new KvbenchException(file + " is not a readable ONNX model: " + e.getMessage());
        }
    }

    /**
     * Whether every node of {@code graphs} that quantizes activations at run time is MatMulNBits at accuracy level 4
     * (and there is at least one): its int8 compute quantizes each position's activations per block of K, so what a
     * strategy feeds does not change the scales; only the kernel's float-level differences (another attention kernel,
     * another path for one row than for many) are rounded into steps of that int8 rounding.
     */
    public static boolean onlyInt8MatMulNBits(List<Path> graphs) {
        boolean any = false;
        for (Path g : graphs) {
            for (Node n : read(g)) {
                if (n.quantizesActivations()) {
                    if (!n.opType().equals("MatMulNBits")) {
                        return false;
                    }
                    any = true;
                }
            }
        }
        return any;
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

    private static void graph(CodedInputStream s, List<Node> nodes, java.util.Map<String, long[]> shapes) throws IOException {
        while (!s.isAtEnd()) {
            int tag = s.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                within(s, () -> node(s, nodes, shapes));
            } else if (field == 5 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                within(s, () -> initializer(s, shapes));
            } else {
                s.skipField(tag);
            }
        }
    }

    private static void initializer(CodedInputStream s, java.util.Map<String, long[]> shapes) throws IOException {
        List<Long> dims = new ArrayList<>();
        String name = null;
        while (!s.isAtEnd()) {
            int tag = s.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 1 && wireType(tag) == WireFormat.WIRETYPE_VARINT) {
                dims.add(s.readInt64());
            } else if (field == 1 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                within(s, () -> {
                    while (!s.isAtEnd()) {
                        dims.add(s.readInt64());
                    }
                });
            } else if (field == 8 && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                name = s.readStringRequireUtf8();
            } else {
                s.skipField(tag);
            }
        }
        if (name != null) {
            shapes.put(name, dims.stream().mapToLong(Long::longValue).toArray());
        }
    }

    private static void node(CodedInputStream s, List<Node> nodes, java.util.Map<String, long[]> shapes) throws IOException {
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
                case 5 -> within(s, () -> attribute(s, inner, ints, shapes));
                default -> s.skipField(tag);
            }
        }
        nodes.add(new Node(op, name, domain, List.copyOf(inputs), java.util.Map.copyOf(ints)));
        nodes.addAll(inner);
    }

    private static void attribute(CodedInputStream s, List<Node> nodes, java.util.Map<String, Long> ints,
                                  java.util.Map<String, long[]> shapes) throws IOException {
        String name = null;
        Long value = null;
        while (!s.isAtEnd()) {
            int tag = s.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if ((field == 6 || field == 11) && wireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                within(s, () -> graph(s, nodes, shapes));
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
