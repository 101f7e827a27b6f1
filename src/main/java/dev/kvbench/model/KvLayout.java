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
 * metadata (dims 1 and 3). With grouped-query attention the KV head count is below the query head count.
 */
public record KvLayout(int layers, int kvHeads, int headDim, List<Slot> slots) {

    /** A decoder without past inputs: no layers (the no-cache strategy feeds it the whole history). */
    public static final KvLayout NONE = new KvLayout(0, 1, 1, List.of());

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
            return new KvLayout(slots.size(), (int) kvHeads, (int) headDim, List.copyOf(slots));
        } catch (OrtException e) {
            throw new KvbenchException(file + ": cannot read input metadata: " + e.getMessage(), e);
        }
    }

    /** Floats held per cached position, keys and values of every layer. */
    public long floatsPerPosition() {
        return 2L * layers * kvHeads * headDim;
    }
}
