package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.model.Layout;
import dev.kvbench.model.Model;
import dev.kvbench.tokenizer.TextTokenizer;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by the commands that run a model: which folder, strategy, threads, prompt. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "Model folder (Optimum / transformers.js layout).")
    Path model;

    @Option(names = "--strategy", defaultValue = "kv", converter = StrategyOption.Converter.class,
            completionCandidates = StrategyOption.Ids.class,
            description = "One of: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Strategy strategy;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads, 1.." + EngineOptions.MAX_THREADS + " (default: ${DEFAULT-VALUE}).")
    int threads;

    static final int DEFAULT_HYBRID_THRESHOLD = 10;

    @Option(names = "--hybrid-threshold", paramLabel = "POSITIONS",
            description = "--strategy hybrid only: sequence length at which the cache starts (default: " + DEFAULT_HYBRID_THRESHOLD + ").")
    Integer hybridThreshold;

    @Option(names = "--cache-capacity", paramLabel = "POSITIONS",
            description = "Preallocating strategies (static, static-gqa, kv, hybrid): positions to reserve, 1 to the model's "
                    + "positions, checked against every input before the first one runs (default: what each input needs).")
    Integer cacheCapacity;

    @Option(names = "--dtype", defaultValue = "fp32", converter = DtypeOption.PerGraph.class, paramLabel = "DTYPE",
            description = "Which of the folder's graphs: " + DtypeOption.CHOICES_PER_GRAPH + " (file suffixes as "
                    + "transformers.js names them, in the folder or its onnx/ subfolder; default: ${DEFAULT-VALUE}).")
    GraphDtypes dtype;

    @Option(names = "--decoder", defaultValue = "auto", description = "Decoder files: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Layout.DecoderFiles decoder;

    @Option(names = "--ort-call", defaultValue = "auto", description = "How steps with only pinned outputs call ONNX Runtime: direct (no per-call Java objects), public (OrtSession.run), or auto: direct where this ONNX Runtime allows it (default: ${DEFAULT-VALUE}).")
    OrtCallOption ortCall;

    @Option(names = "--prompt", description = "Input text: the prompt (generate) or the text scored (score); for "
            + "encoder-decoder models the source text.")
    String prompt;

    @Option(names = "--prompt-ids", description = "Prompt as comma-separated token ids, for example 1,2,3.")
    String promptIds;

    @Option(names = "--prompt-ids-file", paramLabel = "FILE",
            description = "Inputs as token ids, one comma-separated list per line, processed in batches of --batch-size.")
    Path promptIdsFile;

    @Option(names = "--prompts-file", paramLabel = "FILE",
            description = "Input texts, one per line (for encoder-decoder models: source texts).")
    Path promptsFile;

    @Option(names = "--no-bos", description = "Do not prepend the BOS token to a text prompt of a decoder-only model.")
    boolean noBos;

    Engine open() {
        return new Engine(model, strategy, engineOptions());
    }

    /** The options as the engine takes them; out-of-range values are one-line errors. */
    EngineOptions engineOptions() {
        if (cacheCapacity != null && cacheCapacity < 1) {
            throw new KvbenchException("--cache-capacity must be at least 1, got " + cacheCapacity);
        }
        if (hybridThreshold != null && strategy != Strategy.HYBRID) {
            throw new KvbenchException("--hybrid-threshold does nothing with --strategy " + strategy + " (it is for hybrid)");
        }
        return new EngineOptions(threads, ortCall.single(), hybridThreshold == null ? DEFAULT_HYBRID_THRESHOLD : hybridThreshold,
                cacheCapacity == null ? 0 : cacheCapacity, decoder, dtype.decoder(), false, dtype.encoder());
    }

    /** A prompt and where it came from: {@code FILE line N}, or null for a single --prompt / --prompt-ids. */
    record Input(String where, long[] ids) {
        String label(String message) {
            return InputFile.label(where, message);
        }
    }

    /** Whether the prompt is text (so a tokenizer is needed). */
    boolean textPrompt() {
        return prompt != null || promptsFile != null;
    }

    /**
     * The prompts, in input order: one from --prompt or --prompt-ids, or one per line of --prompt-ids-file or
     * --prompts-file. Exactly one of the four; files are read and checked whole here.
     */
    java.util.List<Input> inputs(Model m, TextTokenizer tokenizer) {
        int given = (prompt != null ? 1 : 0) + (promptIds != null ? 1 : 0) + (promptIdsFile != null ? 1 : 0)
                + (promptsFile != null ? 1 : 0);
        if (given != 1) {
            throw new KvbenchException("give exactly one of --prompt, --prompt-ids, --prompt-ids-file and --prompts-file");
        }
        if (noBos && !textPrompt()) {
            throw new KvbenchException("--no-bos does nothing with token ids (they are fed as given)");
        }
        if (promptIdsFile != null) {
            InputFile f = InputFile.read(promptIdsFile, "--prompt-ids-file");
            return inputs(f, f.parse(ModelOptions::parseIds));
        }
        if (promptsFile != null) {
            InputFile f = InputFile.read(promptsFile, "--prompts-file");
            return inputs(f, f.parse(line -> textIds(m, tokenizer, line)));
        }
        return java.util.List.of(new Input(null, promptIds(m, tokenizer)));
    }

    private static java.util.List<Input> inputs(InputFile f, java.util.List<long[]> ids) {
        java.util.List<Input> out = new java.util.ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            out.add(new Input(f.where(i), ids.get(i)));
        }
        return out;
    }

    /** The prompt ids: parsed from --prompt-ids, or --prompt tokenized with BOS (decoder-only) or EOS (source) added. */
    long[] promptIds(Model m, TextTokenizer tokenizer) {
        if ((prompt == null) == (promptIds == null)) {
            throw new KvbenchException("give exactly one of --prompt and --prompt-ids");
        }
        if (promptIds != null) {
            return parseIds(promptIds);
        }
        return textIds(m, tokenizer, prompt);
    }

    /** A text prompt's ids: BOS first for a decoder-only model (unless --no-bos), EOS last for a source. */
    long[] textIds(Model m, TextTokenizer tokenizer, String prompt) {
        if (noBos && m.encoderDecoder()) {
            throw new KvbenchException("--no-bos does nothing for an encoder-decoder model (its sources get EOS, never BOS)");
        }
        if (prompt.isBlank()) {
            throw new KvbenchException("empty prompt");
        }
        long[] text = tokenizer.encode(prompt);
        if (text.length == 0) {
            throw new KvbenchException("empty prompt");
        }
        if (m.encoderDecoder()) {
            long[] out = java.util.Arrays.copyOf(text, text.length + 1);
            out[text.length] = m.config().eosTokenIds().iterator().next();
            return out;
        }
        int bos = m.config().bosTokenId();
        if (noBos || bos < 0) {
            return text;
        }
        long[] out = new long[text.length + 1];
        out[0] = bos;
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }

    /** The prompts, opening the tokenizer only for text. */
    java.util.List<Input> inputs(Model m) {
        if (!textPrompt()) {
            return inputs(m, null);
        }
        try (TextTokenizer tokenizer = tokenizer(m, true)) {
            return inputs(m, tokenizer);
        }
    }

    static long[] parseIds(String csv) {
        if (csv.isBlank()) {
            throw new KvbenchException("empty prompt");
        }
        String[] parts = csv.split(",", -1); // -1: a trailing comma leaves an empty part, refused like "1,,2"
        long[] ids = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isBlank()) {
                throw new KvbenchException("empty token id at position " + (i + 1) + " of '" + abbreviate(csv) + "'");
            }
            try {
                ids[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new KvbenchException("'" + abbreviate(parts[i].trim()) + "' is not a token id");
            }
        }
        return ids;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 28) + "..." + s.substring(s.length() - 28);
    }

    /** The tokenizer, only when a text prompt or text output needs it; null for id-only use without tokenizer.json. */
    TextTokenizer tokenizer(Model m, boolean required) {
        if (!required && !m.folder().resolve("tokenizer.json").toFile().isFile()) {
            return null;
        }
        return TextTokenizer.load(m.folder(), m.vocab());
    }
}
