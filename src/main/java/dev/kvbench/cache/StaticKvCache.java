package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;

/**
 * A static cache in the manner of Hugging Face's {@code StaticCache}: capacity fixed when the generation starts,
 * past tensors bound every step over the same preallocated buffers, and the model ({@code model_static.onnx})
 * returns only the new entries, which this cache index-copies to the current position. The attention mask,
 * [1, capacity + new], marks the valid cache positions and the new tokens.
 * <p>Encoder-decoder models ({@code decoder_model_static.onnx}): the first step runs the export's no-past decoder,
 * which computes the cross-attention cache and returns its self-attention entries whole as {@code present.i.decoder.*};
 * this cache copies them in like any new entries. The static graph runs every later step.
 * <p>Cost: the graph attends over the whole capacity (masked) and concatenates it with the new entries every step,
 * so a step costs O(capacity) whatever the current length. That is why {@link #begin} allocates exactly the
 * capacity asked for, not the largest seen so far.
 */
public final class StaticKvCache extends CountingKvCache {
    private final OrtEnvironment env;
    private final KvLayout layout;
    private final FloatBuffer[] newKeys;
    private final FloatBuffer[] newValues;
    private final OnnxTensor[] decodeNewKeys;
    private final OnnxTensor[] decodeNewValues;
    private final FloatBuffer[] currentKeys;
    private final FloatBuffer[] currentValues;
    private PreallocatedKv kv;
    private LongBuffer mask;
    private OnnxTensor decodeMask;
    private boolean fromNoPastGraph;
    private OnnxTensor emptyPast;

    public StaticKvCache(OrtEnvironment env, KvLayout layout) {
        this.env = env;
        this.layout = layout;
        int n = layout.layers();
        newKeys = new FloatBuffer[n];
        newValues = new FloatBuffer[n];
        decodeNewKeys = new OnnxTensor[n];
        decodeNewValues = new OnnxTensor[n];
        currentKeys = new FloatBuffer[n];
        currentValues = new FloatBuffer[n];
    }

    @Override
    public void begin(int capacity) throws OrtException {
        if (kv == null || kv.capacity != capacity) {
            releaseBuffers();
            kv = new PreallocatedKv(env, layout, capacity);
            // [0, capacity): 1 where the cache holds an entry; [capacity, 2 * capacity): always 1 (the new tokens).
            mask = Tensors.directLongs(2L * capacity);
            for (int i = capacity; i < 2 * capacity; i++) {
                mask.put(i, 1L);
            }
            decodeMask = Tensors.longs(env, mask, 0, capacity + 1, 1, capacity + 1);
            long[] one = {1, layout.kvHeads(), 1, layout.headDim()};
            for (int i = 0; i < layout.layers(); i++) {
                if (decodeNewKeys[i] == null) {
                    newKeys[i] = Tensors.directFloats(Tensors.elements(one));
                    newValues[i] = Tensors.directFloats(Tensors.elements(one));
                    decodeNewKeys[i] = OnnxTensor.createTensor(env, newKeys[i], one);
                    decodeNewValues[i] = OnnxTensor.createTensor(env, newValues[i], one);
                }
            }
        }
        reset();
    }

    @Override
    public void bind(StepBinding step, int newTokens) throws OrtException {
        kv.checkRoom(length(), newTokens);
        // Only the static graph takes the mask; the export's no-past or merged decoder (first encoder-decoder step)
        // does not, and a merged one wants zero-length pasts.
        fromNoPastGraph = !step.accepts(IoNames.ATTENTION_MASK);
        if (fromNoPastGraph) {
            for (KvLayout.Slot slot : layout.slots()) {
                if (step.accepts(slot.pastKey())) {
                    if (emptyPast == null) {
                        emptyPast = Tensors.emptyPast(env, layout.kvHeads(), layout.headDim());
                    }
                    step.borrow(slot.pastKey(), emptyPast);
                    step.borrow(slot.pastValue(), emptyPast);
                }
                step.request(exportedPresent(slot.presentKey()));
                step.request(exportedPresent(slot.presentValue()));
            }
            return;
        }
        long[] newShape = {1, layout.kvHeads(), newTokens, layout.headDim()};
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            step.borrow(slot.pastKey(), kv.keys[i]);
            step.borrow(slot.pastValue(), kv.values[i]);
            if (newTokens == 1) {
                currentKeys[i] = newKeys[i];
                currentValues[i] = newValues[i];
                step.pin(slot.presentKey(), decodeNewKeys[i]);
                step.pin(slot.presentValue(), decodeNewValues[i]);
            } else {
                currentKeys[i] = Tensors.directFloats(Tensors.elements(newShape));
                currentValues[i] = Tensors.directFloats(Tensors.elements(newShape));
                step.pinOwned(slot.presentKey(), OnnxTensor.createTensor(step.env(), currentKeys[i], newShape));
                step.pinOwned(slot.presentValue(), OnnxTensor.createTensor(step.env(), currentValues[i], newShape));
            }
        }
        if (newTokens == 1) {
            step.borrow(IoNames.ATTENTION_MASK, decodeMask);
        } else {
            step.own(IoNames.ATTENTION_MASK,
                    Tensors.longs(step.env(), mask, 0, kv.capacity + newTokens, 1, kv.capacity + newTokens));
        }
    }

    @Override
    public void update(StepBinding step, int newTokens) {
        int hd = layout.headDim();
        int length = length();
        if (fromNoPastGraph) {
            for (int i = 0; i < layout.layers(); i++) { // the no-past graph's outputs are ORT's: read once, copied below
                KvLayout.Slot slot = layout.slots().get(i);
                currentKeys[i] = step.output(exportedPresent(slot.presentKey())).getFloatBuffer();
                currentValues[i] = step.output(exportedPresent(slot.presentValue())).getFloatBuffer();
            }
        }
        for (int i = 0; i < layout.layers(); i++) {
            for (int h = 0; h < layout.kvHeads(); h++) {
                int to = (h * kv.capacity + length) * hd;
                int from = h * newTokens * hd;
                kv.keyBuffers[i].put(to, currentKeys[i], from, newTokens * hd);
                kv.valueBuffers[i].put(to, currentValues[i], from, newTokens * hd);
            }
        }
        for (int p = length; p < length + newTokens; p++) {
            mask.put(p, 1L);
        }
        // The index copy, plus the graph's concatenation of the whole capacity with the new entries.
        long fpp = layout.floatsPerPosition();
        advance(newTokens, ((long) newTokens * fpp + (long) (kv.capacity + newTokens) * fpp) * Float.BYTES);
    }

    /** The export's name for a static graph's output: {@code new_key_values.i.decoder.key} -> {@code present.i.decoder.key}. */
    private static String exportedPresent(String newEntries) {
        return IoNames.PRESENT_PREFIX + newEntries.substring(newEntries.indexOf('.') + 1);
    }

    @Override
    public void reset() {
        if (kv != null) {
            for (int p = 0; p < kv.capacity; p++) {
                mask.put(p, 0L);
            }
        }
        super.reset();
    }

    private void releaseBuffers() {
        if (kv != null) {
            kv.close();
            decodeMask.close();
            kv = null;
        }
    }

    @Override
    public void close() {
        releaseBuffers();
        if (emptyPast != null) {
            emptyPast.close();
        }
        for (int i = 0; i < decodeNewKeys.length; i++) {
            if (decodeNewKeys[i] != null) {
                decodeNewKeys[i].close();
                decodeNewValues[i].close();
            }
        }
    }
}
