package dev.kvbench.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kvbench.KvbenchException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The self-attention cache of a decoder as the ONNX graph declares it: per layer the past input names and the
 * output names that carry the next past, and the KV head count and head dimension read from the past inputs'
 * metadata (dims 1 and 3), and the element type the cache holds: float32, float16 (fp16 and q4f16 graphs), or int8
 * (uint8 holding two 4-bit values,
 * head dim halved) for a GroupQueryAttention graph with a quantized cache ({@code model_gqa_kv8.onnx},
 * {@code model_gqa_kv4.onnx}). With grouped-query attention the KV head count is below the
 * query head count.
 */
public record KvLayout(int layers, int kvHeads, int headDim, List<Slot> slots, ai.onnxruntime.OnnxJavaType element) {

    /** A decoder without past inputs: no layers (the no-cache strategy feeds it the whole history). */
    public static final KvLayout NONE = new KvLayout(0, 1, 1, List.of());

    /** A float32 cache. */
    public KvLayout(int layers, int kvHeads, int headDim, List<Slot> slots) {
        this(layers, kvHeads, headDim, slots, ai.onnxruntime.OnnxJavaType.FLOAT);
    }

    /** One layer's cache entry: where its key/value go in, and where the next values come out. */
    public record Slot(String pastKey, String pastValue, String presentKey, String presentValue) {
    }

    private static final Pattern PAST = Pattern.compile(Pattern.quote(IoNames.PAST_PREFIX) + "(\\d+)\\.(decoder\\.)?(key|value)");

    /** Reads the layout from a session whose inputs include the past; {@code outputPrefix} names the outputs. */
    public static KvLayout read(OrtSession session, String file, String outputPrefix) {
        try {
            Map<Integer, String[]> byLayer = new TreeMap<>();
            long kvHeads = -1;
            long headDim = -1;
            ai.onnxruntime.OnnxJavaType element = null;
            for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
                Matcher m = PAST.matcher(e.getKey());
                if (!m.matches()) {
                    continue;
                }
                long[] shape = ((TensorInfo) e.getValue().getInfo()).getShape();
                if (shape.length != 4) {
                    throw new KvbenchException(file + ": past input " + e.getKey() + " has rank " + shape.length + ", expected 4");
                }
                if (shape[1] <= 0 || shape[3] <= 0) {
                    throw new KvbenchException(file + ": past input " + e.getKey() + " has no fixed KV head count or head dim");
                }
                ai.onnxruntime.OnnxJavaType type = ((TensorInfo) e.getValue().getInfo()).type;
                if (type != ai.onnxruntime.OnnxJavaType.FLOAT && type != ai.onnxruntime.OnnxJavaType.FLOAT16
                        && type != ai.onnxruntime.OnnxJavaType.INT8 && type != ai.onnxruntime.OnnxJavaType.UINT8) {
                    throw new KvbenchException(file + ": past input " + e.getKey() + " is " + type + "; the engine keeps "
                            + "float32 and float16 caches (and GroupQueryAttention's int8 and packed 4-bit ones)");
                }
                if (element != null && element != type) {
                    throw new KvbenchException(file + ": past inputs mix " + element + " and " + type);
                }
                element = type;
                kvHeads = shape[1];
                headDim = shape[3];
                int layer = Integer.parseInt(m.group(1));
                String infix = m.group(2) == null ? "" : m.group(2);
                String[] names = byLayer.computeIfAbsent(layer, k -> new String[4]);
                int at = m.group(3).equals("key") ? 0 : 1;
                names[at] = e.getKey();
                names[at + 2] = outputPrefix + "." + layer + "." + infix + m.group(3);
            }
            if (byLayer.isEmpty()) {
                throw new KvbenchException(file + ": no past_key_values.* inputs");
            }
            List<Slot> slots = new ArrayList<>();
            var outputs = session.getOutputNames();
            for (int layer = 0; layer < byLayer.size(); layer++) {
                String[] n = byLayer.get(layer);
                if (n == null || n[0] == null || n[1] == null) {
                    throw new KvbenchException(file + ": past_key_values for layer " + layer + " are incomplete");
                }
                if (!outputs.contains(n[2]) || !outputs.contains(n[3])) {
                    throw new KvbenchException(file + ": missing output " + n[2] + " or " + n[3]);
                }
                slots.add(new Slot(n[0], n[1], n[2], n[3]));
            }
            return new KvLayout(slots.size(), (int) kvHeads, (int) headDim, List.copyOf(slots), element);
        } catch (OrtException e) {
            throw new KvbenchException(file + ": cannot read input metadata: " + e.getMessage(), e);
        }
    }

    /** Values held per cached position, keys and values of every layer. */
    public long valuesPerPosition() {
        return 2L * layers * kvHeads * headDim;
    }

    /** Bytes of one cache element: 4 for float32, 2 for float16, 1 for int8 and for uint8 (two packed 4-bit values). */
    public int elementBytes() {
        return element.size;
    }

    /** Bytes held per cached position, keys and values of every layer, at the cache's element size. */
    public long bytesPerPosition() {
        return valuesPerPosition() * elementBytes();
    }

    /**
     * Whether the cache holds float values, float32 or float16 (every graph's but the quantized-cache
     * GroupQueryAttention's).
     */
    public boolean floatCache() {
        return element == ai.onnxruntime.OnnxJavaType.FLOAT || element == ai.onnxruntime.OnnxJavaType.FLOAT16;
    }
}
