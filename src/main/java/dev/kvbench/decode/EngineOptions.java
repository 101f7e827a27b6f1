package dev.kvbench.decode;

import dev.kvbench.InvalidSettingException;
import dev.kvbench.InvalidSettingException.Setting;
import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;
import dev.kvbench.runtime.OrtRuntime;

/**
 * How an {@link Engine} runs, besides its model folder and strategy: ONNX Runtime threads and call kind, the hybrid
 * strategy's threshold, the static caches' capacity, and which decoder files to use. Values are checked here, once.
 *
 * @param threads         ONNX Runtime intra-op threads (inter-op is 1, sequential execution)
 * @param runCall         how steps whose outputs are all pinned call ONNX Runtime
 * @param hybridThreshold {@code hybrid}: sequence length at which the cache starts
 * @param cacheCapacity   preallocating caches (static, static-gqa, kv, hybrid): positions to reserve, or 0 for prompt +
 *                        max new tokens of each generation
 * @param decoderFiles    encoder-decoder models: merged or split decoder files
 * @param dtype           which of the folder's graphs: fp32 (the export), q8, q4, ... (file-name suffixes); the decoder's
 * @param assumedPrompt   each prompt stands for a context already in the cache: every prompt column but the last is
 *                        taken as cached without being computed (the cache's entries are whatever its buffers hold,
 *                        zeros when fresh), and the first step feeds the last prompt token. For measuring decode steps
 *                        at a long context without paying its prefill (16 rows x 2048 positions of a 0.5 B model take
 *                        minutes to prefill on two cores): the time per step is a real step's, since attention reads
 *                        every valid position whatever it holds, but the tokens are not the model's. Decoder-only
 *                        models, prompts of one length, strategies whose cache can take it ({@code KvCache#assume})
 * @param encoderDtype    encoder-decoder models: the encoder graph's dtype ({@link GraphDtypes}; {@code dtype} unless a
 *                        dtype per graph was asked for)
 */
public record EngineOptions(int threads, OrtRuntime.RunCall runCall, int hybridThreshold, int cacheCapacity,
                            Layout.DecoderFiles decoderFiles, Dtype dtype, boolean assumedPrompt, Dtype encoderDtype) {
    public static final int MAX_THREADS = 256;

    public EngineOptions {
        if (threads < 1 || threads > MAX_THREADS) {
            throw InvalidSettingException.of(Setting.THREADS, " must be in 1.." + MAX_THREADS + ", got " + threads);
        }
        if (hybridThreshold < 1) {
            throw InvalidSettingException.of(Setting.HYBRID_THRESHOLD, " must be at least 1, got " + hybridThreshold);
        }
        if (cacheCapacity < 0) {
            throw InvalidSettingException.of(Setting.CACHE_CAPACITY, " must be at least 1, got " + cacheCapacity);
        }
        if (runCall == null || decoderFiles == null || dtype == null || encoderDtype == null) {
            throw new IllegalArgumentException("runCall, decoderFiles and the dtypes are required");
        }
        new GraphDtypes(encoderDtype, dtype); // a pair that cannot run together is one line here
    }

    /** Options whose graphs are all of {@code dtype}. */
    public EngineOptions(int threads, OrtRuntime.RunCall runCall, int hybridThreshold, int cacheCapacity,
                         Layout.DecoderFiles decoderFiles, Dtype dtype, boolean assumedPrompt) {
        this(threads, runCall, hybridThreshold, cacheCapacity, decoderFiles, dtype, assumedPrompt, dtype);
    }

    /** One thread, the preferred call, threshold 10, capacity per generation, automatic decoder files, fp32, prompts computed. */
    public static EngineOptions defaults() {
        return new EngineOptions(1, OrtRuntime.RunCall.preferred(), 10, 0, Layout.DecoderFiles.AUTO, Dtype.FP32, false);
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(n, runCall, hybridThreshold, cacheCapacity, decoderFiles, dtype, assumedPrompt, encoderDtype);
    }

    public EngineOptions withRunCall(OrtRuntime.RunCall call) {
        return new EngineOptions(threads, call, hybridThreshold, cacheCapacity, decoderFiles, dtype, assumedPrompt, encoderDtype);
    }

    public EngineOptions withHybridThreshold(int t) {
        return new EngineOptions(threads, runCall, t, cacheCapacity, decoderFiles, dtype, assumedPrompt, encoderDtype);
    }

    public EngineOptions withCacheCapacity(int c) {
        return new EngineOptions(threads, runCall, hybridThreshold, c, decoderFiles, dtype, assumedPrompt, encoderDtype);
    }

    public EngineOptions withDecoderFiles(Layout.DecoderFiles files) {
        return new EngineOptions(threads, runCall, hybridThreshold, cacheCapacity, files, dtype, assumedPrompt, encoderDtype);
    }

    /** Every graph of dtype {@code d}. */
    public EngineOptions withDtype(Dtype d) {
        return new EngineOptions(threads, runCall, hybridThreshold, cacheCapacity, decoderFiles, d, assumedPrompt, d);
    }

    /** A dtype per graph: the encoder's and the decoder's. */
    public EngineOptions withDtypes(GraphDtypes d) {
        return new EngineOptions(threads, runCall, hybridThreshold, cacheCapacity, decoderFiles, d.decoder(), assumedPrompt,
                d.encoder());
    }

    /** The dtype of each graph. */
    public GraphDtypes dtypes() {
        return new GraphDtypes(encoderDtype, dtype);
    }

    public EngineOptions withAssumedPrompt(boolean assumed) {
        return new EngineOptions(threads, runCall, hybridThreshold, cacheCapacity, decoderFiles, dtype, assumed, encoderDtype);
    }

    /** The layout of {@code folder}'s graphs of these dtypes. */
    public Layout layout(java.nio.file.Path folder) {
        return Layout.detect(folder, dtypes());
    }
}
