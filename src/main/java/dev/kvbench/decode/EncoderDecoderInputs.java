package dev.kvbench.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kvbench.model.IoNames;
import dev.kvbench.model.KvLayout;
import dev.kvbench.model.Model;
import dev.kvbench.cache.EmptyPast;
import dev.kvbench.runtime.Closeables;
import dev.kvbench.runtime.StepBinding;
import dev.kvbench.runtime.Tensors;

import java.util.List;
import java.util.Map;

/**
 * Encoder-decoder models: the encoder runs once per sequence; its output and mask go to every decoder step. The
 * cross-attention keys and values come out of the first no-past decoder step ({@code present.i.encoder.*}); they are
 * copied once into tensors this class owns and fed unchanged as {@code past_key_values.i.encoder.*} to every
 * with-past step. No-past steps get zero-length encoder pasts where the graph (merged) requires them. Sources of
 * different lengths are right-padded, with {@code 0} in the encoder's and the cross-attention's masks at the padding.
 */
final class EncoderDecoderInputs implements ModelInputs {
    private final Model model;
    private final OrtEnvironment env;
    private final List<KvLayout.Slot> cross;
    private final EmptyPast emptyCross;
    private final OnnxTensor[] crossKeys;
    private final OnnxTensor[] crossValues;
    private OrtSession.Result encoded;
    private OnnxTensor encoderHidden;
    private OnnxTensor encoderMask;
    /** The encoder's output repeated for several rows ({@link #repeat}), owned here; null while it is the encoder's. */
    private OnnxTensor ownedHidden;
    private boolean captured;
    private int rows;

    EncoderDecoderInputs(Model model, OrtEnvironment env) throws OrtException {
        this.model = model;
        this.env = env;
        this.cross = model.crossSlots();
        KvLayout kv = model.hasKv() ? model.kv() : KvLayout.NONE;
        this.emptyCross = new EmptyPast(env, kv);
        this.crossKeys = new OnnxTensor[cross.size()];
        this.crossValues = new OnnxTensor[cross.size()];
    }

    @Override
    public void begin(List<long[]> sources, long padId) throws OrtException {
        closeSequence();
        rows = sources.size();
        int width = sources.stream().mapToInt(s -> s.length).max().orElse(0);
        var ids = Tensors.directLongs((long) rows * width);
        var mask = Tensors.directLongs((long) rows * width);
        for (int r = 0; r < rows; r++) {
            long[] s = sources.get(r);
            for (int c = 0; c < width; c++) {
                ids.put(r * width + c, c < s.length ? s[c] : padId);
                mask.put(r * width + c, c < s.length ? 1L : 0L);
            }
        }
        try (OnnxTensor input = OnnxTensor.createTensor(env, ids, new long[] {rows, width})) {
            encoderMask = OnnxTensor.createTensor(env, mask, new long[] {rows, width});
            encoded = model.encoder().run(Map.of(IoNames.INPUT_IDS, input, IoNames.ATTENTION_MASK, encoderMask));
            encoderHidden = (OnnxTensor) encoded.get(IoNames.LAST_HIDDEN_STATE)
                    .orElseGet(() -> encoded.get(0));
        }
    }

    @Override
    public void bind(StepBinding step, TokenHistory history, int from, int to, boolean pastNonEmpty) throws OrtException {
        step.borrow(IoNames.ENCODER_ATTENTION_MASK, encoderMask);
        if (step.accepts(IoNames.ENCODER_HIDDEN_STATES)) {
            step.borrow(IoNames.ENCODER_HIDDEN_STATES, encoderHidden);
        }
        for (int i = 0; i < cross.size(); i++) {
            KvLayout.Slot slot = cross.get(i);
            if (step.accepts(slot.pastKey())) {
                boolean real = pastNonEmpty && captured;
                step.borrow(slot.pastKey(), real ? crossKeys[i] : emptyCross.forRows(rows));
                step.borrow(slot.pastValue(), real ? crossValues[i] : emptyCross.forRows(rows));
            }
            if (!pastNonEmpty && !captured) {
                step.request(slot.presentKey());
                step.request(slot.presentValue());
            }
        }
    }

    @Override
    public void update(StepBinding step, boolean pastNonEmpty) throws OrtException {
        if (pastNonEmpty || captured) {
            return;
        }
        for (int i = 0; i < cross.size(); i++) {
            crossKeys[i] = copy(step.output(cross.get(i).presentKey()));
            crossValues[i] = copy(step.output(cross.get(i).presentValue()));
        }
        captured = true;
    }

    /**
     * The encoder's output and mask (and the cross-attention cache, once captured) repeated for {@code copies} rows, into
     * tensors this class owns: the encoder does not run again.
     */
    @Override
    public void repeat(int copies) throws OrtException {
        if (rows != 1) {
            throw new IllegalStateException("repeats one row, not " + rows);
        }
        OnnxTensor hidden = Tensors.repeatRows(env, encoderHidden, copies);
        OnnxTensor mask;
        try {
            mask = Tensors.repeatRows(env, encoderMask, copies);
        } catch (OrtException | RuntimeException e) {
            hidden.close();
            throw e;
        }
        for (int i = 0; i < cross.size() && captured; i++) {
            OnnxTensor k = crossKeys[i];
            OnnxTensor v = crossValues[i];
            crossKeys[i] = Tensors.repeatRows(env, k, copies);
            crossValues[i] = Tensors.repeatRows(env, v, copies);
            k.close();
            v.close();
        }
        encoderMask.close();
        if (ownedHidden != null) {
            ownedHidden.close();
        }
        encoderMask = mask;
        encoderHidden = hidden;
        ownedHidden = hidden;
        rows = copies;
    }

    private OnnxTensor copy(OnnxTensor t) throws OrtException {
        return Tensors.copy(env, t);
    }

    private void closeSequence() {
        for (int i = 0; i < cross.size(); i++) {
            if (crossKeys[i] != null) {
                crossKeys[i].close();
                crossValues[i].close();
                crossKeys[i] = null;
                crossValues[i] = null;
            }
        }
        captured = false;
        if (encoded != null) {
            encoded.close();
            encoded = null;
        }
        if (encoderMask != null) {
            encoderMask.close();
            encoderMask = null;
        }
        ownedHidden = Closeables.close(ownedHidden);
        encoderHidden = null;
    }

    @Override
    public void close() {
        closeSequence();
        emptyCross.close();
    }
}
