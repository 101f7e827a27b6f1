package dev.kvbench.cache;

import ai.onnxruntime.OnnxTensor;
import dev.kvbench.runtime.Closeables;

/**
 * One layer's key and value tensors, as the caches keep them per layer (transformers' per-layer cache objects do the
 * same). A pair either owns its tensors ({@link #close} closes them) or views tensors owned elsewhere ({@link #forget}
 * drops the references); either way it is empty afterwards.
 */
final class LayerKv {
    private OnnxTensor key;
    private OnnxTensor value;

    /** {@code layers} empty pairs. */
    static LayerKv[] forLayers(int layers) {
        LayerKv[] out = new LayerKv[layers];
        for (int i = 0; i < layers; i++) {
            out[i] = new LayerKv();
        }
        return out;
    }

    OnnxTensor key() {
        return key;
    }

    OnnxTensor value() {
        return value;
    }

    boolean isEmpty() {
        return key == null;
    }

    /** Takes the two tensors; the pair must be empty. */
    void set(OnnxTensor key, OnnxTensor value) {
        if (this.key != null) {
            throw new IllegalStateException("layer pair already holds tensors");
        }
        this.key = key;
        this.value = value;
    }

    /** Closes both tensors and forgets them. */
    void close() {
        key = Closeables.close(key);
        value = Closeables.close(value);
    }

    /** Forgets both tensors without closing them (their owner closes them). */
    void forget() {
        key = null;
        value = null;
    }

    /** Closes every pair. */
    static void closeAll(LayerKv[] layers) {
        for (LayerKv l : layers) {
            l.close();
        }
    }

    /** Forgets every pair. */
    static void forgetAll(LayerKv[] layers) {
        for (LayerKv l : layers) {
            l.forget();
        }
    }
}
