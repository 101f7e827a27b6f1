package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.cache.EmptyPast;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

import java.nio.ByteBuffer;
import java.nio.LongBuffer;

/**
 * A static cache in the manner of Hugging Face's {@code StaticCache}: capacity fixed when the generation starts,
 * past tensors bound every step over the same preallocated buffers, and the model ({@code model_static.onnx})
 * returns only the new entries, which this cache index-copies to each row's own next position: a row's holes
 * ({@link BatchRows}) are not copied, so row r holds its positions [0, valid[r]) with nothing in between. The attention
 * mask, [rows, capacity + new], marks each row's valid cache positions and the new tokens that are not holes.
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
    private final EmptyPast emptyPast;
    /** Per layer: where the graph writes a decode step's new entries, and where this step's new entries are. */
    private final Layer[] layers;
    private PreallocatedKv kv;
    /** [rows, capacity + 1]: per row, 1 where the cache holds a valid entry, then 1 for the decode step's new token. */
    private LongBuffer decodeMaskBuffer;
    private OnnxTensor decodeMask;
    private boolean fromNoPastGraph;
    /** Per row, the cache positions it holds: [0, valid[r]). */
    private int[] valid = new int[0];

    public StaticKvCache(OrtEnvironment env, KvLayout layout) {
        this.env = env;
        this.layout = layout;
        this.emptyPast = new EmptyPast(env, layout);
        this.layers = new Layer[layout.layers()];
        for (int i = 0; i < layers.length; i++) {
            layers[i] = new Layer();
        }
    }

    /**
     * One layer's new-entry buffers. {@code decodeNew} are tensors over {@code newKeys} / {@code newValues} ([rows, kv
     * heads, 1, head dim]), made once per capacity and pinned as a decode step's outputs; {@code currentKeys} /
     * {@code currentValues} are views of the step's new entries, to be index-copied: the decode buffers, a prompt
     * step's own buffers, or the no-past graph's outputs (copies). Bytes at the cache's element size (float32 or
     * float16): the index copy moves bytes.
     */
    private static final class Layer {
        ByteBuffer newKeys;
        ByteBuffer newValues;
        final LayerKv decodeNew = new LayerKv();
        ByteBuffer currentKeys;
        ByteBuffer currentValues;
    }

    @Override
    public boolean reservesCapacity() {
        return true;
    }

    @Override
    public void begin(int rows, int capacity) throws OrtException {
        if (kv == null || !kv.fits(rows, capacity)) {
            closeBuffers();
            use(new PreallocatedKv(env, layout, rows, capacity));
        }
        reset();
    }

    /**
     * Buffers of {@code copies} rows, the row's valid positions copied into each, each row's mask marking them.
     */
    @Override
    public void repeat(int copies) throws OrtException {
        int held = valid[0];
        PreallocatedKv to = kv.repeated(env, copies, held, false);
        closeBuffers();
        use(to);
        for (int r = 0; r < copies; r++) {
            valid[r] = held;
            for (int c = 0; c <= kv.capacity; c++) {
                decodeMaskBuffer.put(r * (kv.capacity + 1) + c, c < held || c == kv.capacity ? 1L : 0L);
            }
        }
    }

    /** Takes {@code buffers} as the cache's, with its new-entry buffers and masks for their rows and capacity. */
    private void use(PreallocatedKv buffers) throws OrtException {
        kv = buffers;
        int rows = buffers.rows;
        int capacity = buffers.capacity;
        valid = new int[rows];
        decodeMaskBuffer = Tensors.directLongs((long) rows * (capacity + 1));
        decodeMask = Tensors.longs(env, decodeMaskBuffer, 0, rows * (capacity + 1), rows, capacity + 1);
        long[] one = {rows, layout.kvHeads(), 1, layout.headDim()};
        for (Layer l : layers) {
            l.newKeys = entries(one);
            l.newValues = entries(one);
            l.decodeNew.set(OnnxTensor.createTensor(env, l.newKeys, one, layout.element()),
                    OnnxTensor.createTensor(env, l.newValues, one, layout.element()));
        }
    }

    @Override
    public void bind(StepBinding step, BatchRows rows, int newTokens) throws OrtException {
        kv.checkRoom(columns(), newTokens);
        // Only the static graph takes the mask; the export's no-past or merged decoder (first encoder-decoder step)
        // does not, and a merged one wants zero-length pasts.
        fromNoPastGraph = !step.accepts(IoNames.ATTENTION_MASK);
        if (fromNoPastGraph) {
            for (KvLayout.Slot slot : layout.slots()) {
                if (step.accepts(slot.pastKey())) {
                    step.borrow(slot.pastKey(), emptyPast.forRows(rows.count()));
                    step.borrow(slot.pastValue(), emptyPast.forRows(rows.count()));
                }
                step.request(exportedPresent(slot.presentKey()));
                step.request(exportedPresent(slot.presentValue()));
            }
            return;
        }
        long[] newShape = {rows.count(), layout.kvHeads(), newTokens, layout.headDim()};
        for (int i = 0; i < layout.layers(); i++) {
            KvLayout.Slot slot = layout.slots().get(i);
            step.borrow(slot.pastKey(), kv.layers[i].key());
            step.borrow(slot.pastValue(), kv.layers[i].value());
            Layer l = layers[i];
            if (newTokens == 1) {
                l.currentKeys = l.newKeys;
                l.currentValues = l.newValues;
                step.pin(slot.presentKey(), l.decodeNew.key());
                step.pin(slot.presentValue(), l.decodeNew.value());
            } else {
                l.currentKeys = entries(newShape);
                l.currentValues = entries(newShape);
                step.pinOwned(slot.presentKey(), OnnxTensor.createTensor(step.env(), l.currentKeys, newShape, layout.element()));
                step.pinOwned(slot.presentValue(), OnnxTensor.createTensor(step.env(), l.currentValues, newShape, layout.element()));
            }
        }
        if (newTokens == 1) {
            step.borrow(IoNames.ATTENTION_MASK, decodeMask); // the new token's flag, the last column, is always 1
        } else {
            step.own(IoNames.ATTENTION_MASK, wideMask(rows, newTokens));
        }
    }

    /** A direct buffer for new entries of {@code shape}, at the cache's element size. */
    private ByteBuffer entries(long[] shape) {
        return Tensors.directBytes(Tensors.elements(shape) * layout.elementBytes());
    }

    /** The mask of a step feeding several columns: each row's valid cache positions, then the fed columns but holes. */
    private OnnxTensor wideMask(BatchRows rows, int newTokens) throws OrtException {
        int width = kv.capacity + newTokens;
        LongBuffer mask = Tensors.directLongs((long) rows.count() * width);
        for (int r = 0; r < rows.count(); r++) {
            for (int c = 0; c < kv.capacity; c++) {
                mask.put(r * width + c, decodeMaskBuffer.get(r * (kv.capacity + 1) + c));
            }
            for (int j = 0; j < newTokens; j++) {
                mask.put(r * width + kv.capacity + j, rows.isHole(r, columns() + j) ? 0L : 1L);
            }
        }
        return Tensors.longs(env, mask, 0, rows.count() * width, rows.count(), width);
    }

    @Override
    public void update(StepBinding step, BatchRows rows, int newTokens) {
        int eb = layout.elementBytes();
        int hd = layout.headDim() * eb; // bytes of one head's entry
        int heads = layout.kvHeads();
        int length = columns();
        if (fromNoPastGraph) {
            for (int i = 0; i < layout.layers(); i++) { // the no-past graph's outputs are ORT's: read once, copied below
                KvLayout.Slot slot = layout.slots().get(i);
                layers[i].currentKeys = step.output(exportedPresent(slot.presentKey())).getByteBuffer();
                layers[i].currentValues = step.output(exportedPresent(slot.presentValue())).getByteBuffer();
            }
        }
        for (int r = 0; r < rows.count(); r++) {
            for (int j = 0; j < newTokens; j++) {
                if (rows.isHole(r, length + j)) {
                    continue; // padding: not kept, the row's next entry takes its place
                }
                for (int i = 0; i < layout.layers(); i++) {
                    for (int h = 0; h < heads; h++) {
                        int rh = r * heads + h;
                        int to = (rh * kv.capacity + valid[r]) * hd;
                        int from = (rh * newTokens + j) * hd;
                        kv.layers[i].keyBytes().put(to, layers[i].currentKeys, from, hd);
                        kv.layers[i].valueBytes().put(to, layers[i].currentValues, from, hd);
                    }
                }
                decodeMaskBuffer.put(r * (kv.capacity + 1) + valid[r], 1L);
                valid[r]++;
            }
        }
        // The index copy, plus the graph's concatenation of the whole capacity with the new entries.
        long bpp = layout.bytesPerPosition() * rows.count();
        advance(newTokens, (long) newTokens * bpp + (long) (kv.capacity + newTokens) * bpp);
    }

    /**
     * Each row keeps its positions among the first {@code columns} columns (its holes never entered the cache); the
     * mask forgets the others, which the next index copies overwrite.
     */
    @Override
    public void rewind(BatchRows rows, int columns) {
        for (int r = 0; r < rows.count(); r++) {
            int keep = 0;
            for (int j = 0; j < columns; j++) {
                keep += rows.isHole(r, j) ? 0 : 1;
            }
            for (int p = keep; p < valid[r]; p++) {
                decodeMaskBuffer.put(r * (kv.capacity + 1) + p, 0L);
            }
            valid[r] = keep;
        }
        keepColumns(columns);
    }

    /** The export's name for a static graph's output: {@code new_key_values.i.decoder.key} -> {@code present.i.decoder.key}. */
    private static String exportedPresent(String newEntries) {
        return IoNames.PRESENT_PREFIX + newEntries.substring(newEntries.indexOf('.') + 1);
    }

    @Override
    public void reset() {
        java.util.Arrays.fill(valid, 0);
        if (kv != null) {
            for (int r = 0; r < kv.rows; r++) {
                for (int c = 0; c <= kv.capacity; c++) {
                    decodeMaskBuffer.put(r * (kv.capacity + 1) + c, c == kv.capacity ? 1L : 0L);
                }
            }
        }
        super.reset();
    }

    @Override
    public long bytesHeld() {
        return kv == null ? 0 : kv.bytes();
    }

    private void closeBuffers() {
        if (kv != null) {
            kv = Closeables.close(kv);
            decodeMask = Closeables.close(decodeMask);
            for (Layer l : layers) {
                l.decodeNew.close();
            }
        }
    }

    @Override
    public void close() {
        closeBuffers();
        emptyPast.close();
    }
}
