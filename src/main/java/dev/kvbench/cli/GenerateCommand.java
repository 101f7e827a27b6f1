package dev.kvbench.cli;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.BatchResult;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.GenerationResult;
import dev.kvbench.decode.Generator;
import dev.kvbench.decode.Sampler;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.tokenizer.TextTokenizer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate tokens with one strategy, for one prompt or a file of prompts decoded in batches.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptionsMixin options;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--ignore-eos", description = "Do not stop at the EOS token.")
    boolean ignoreEos;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed; the prompt on input line k (from 0) draws "
            + "from seed + k, so the batch size does not change what is sampled (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy (default), else the sampling temperature.")
    double temperature;

    @Option(names = "--top-k", description = "With --temperature > 0: sample among the k most likely tokens (default 0: all).")
    Integer topK;

    @Option(names = "--top-p", description = "With --temperature > 0: sample within the smallest set of tokens of this "
            + "total probability (default 1).")
    Double topP;

    @Option(names = "--turns-file", paramLabel = "FILE", description = "Decoder-only models: a conversation, one user "
            + "turn per line (the first with BOS); after each turn a reply of up to --max-new-tokens is generated, and the "
            + "next turn continues all that came before. One reply per line.")
    Path turnsFile;

    @Option(names = "--samples", paramLabel = "N", description = "With one prompt (--prompt, --prompt-ids; --source for "
            + "encoder-decoder models): N generations of it decoded together as N rows, sample k drawing from seed + k "
            + "(1.." + BatchSizeOption.MAX + "). One line per sample.")
    Integer samples;

    @Option(names = "--reuse-prefix", paramLabel = "on|off", description = "With --turns-file: on keeps the cache across "
            + "turns, each turn appended to it; off generates each reply anew over the whole history. With --samples: on "
            + "computes the prompt once and copies its cache into the rows; off computes it for every row. The same "
            + "tokens (default: on).")
    String reusePrefix;

    @Mixin
    BatchSizeOption batchSize;

    @Option(names = "--format", defaultValue = "text", description = "text (one prompt: streams tokens, the timing line goes "
            + "to stderr; a file: one line per prompt, line breaks written as \\n) or json (one object; a file: JSON Lines, one object per input line, "
            + "in input order) (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (turnsFile != null && samples != null) {
            throw new KvbenchException("give --turns-file (a conversation) or --samples (generations of one prompt), not both");
        }
        if (turnsFile != null) {
            return turns();
        }
        if (samples != null) {
            return samples();
        }
        if (reusePrefix != null) {
            throw new KvbenchException("--reuse-prefix is for --turns-file and --samples: it does nothing here");
        }
        batchSize.check(options.get().promptIdsFile != null || options.get().promptsFile != null, spec);
        Sampler sampler = sampler();
        ModelOptions o = options.get();
        try (Engine engine = o.open()) {
            TextTokenizer tokenizer = o.tokenizer(engine.model(), o.textPrompt());
            try {
                List<ModelOptions.Input> inputs = o.inputs(engine.model(), tokenizer);
                Generator generator = engine.generator();
                for (ModelOptions.Input in : inputs) { // every prompt is checked before the first one runs
                    try {
                        generator.check(in.ids(), maxNewTokens);
                    } catch (KvbenchException e) {
                        throw new KvbenchException(in.label(e.getMessage()), e);
                    }
                }
                PrintWriter out = spec.commandLine().getOut();
                boolean single = inputs.size() == 1 && inputs.get(0).where() == null;
                if (single && format == OutputFormat.TEXT) {
                    stream(engine, inputs.get(0).ids(), sampler, tokenizer, out);
                    return 0;
                }
                int from = 0;
                for (List<ModelOptions.Input> batch : batchSize.split(inputs)) {
                    BatchResult r = generator.generate(batch.stream().map(ModelOptions.Input::ids).toList(), maxNewTokens,
                            ignoreEos, sampler.startingAt(from), null);
                    for (int row = 0; row < batch.size(); row++) {
                        if (format == OutputFormat.JSON) {
                            out.println(json(engine, r, row, from + row, single, tokenizer, batch.get(row).ids()));
                        } else {
                            out.println(oneLine(text(r.tokens()[row], tokenizer)));
                        }
                    }
                    out.flush();
                    if (format == OutputFormat.TEXT) {
                        PrintWriter err = spec.commandLine().getErr();
                        err.printf("[%s: lines %d-%d, %d rows, %d tokens in %.1f ms, %.1f tokens/s, %.1f%% of computed "
                                + "positions padding]%n", generator.strategy(), from + 1, from + batch.size(), batch.size(),
                                r.generatedTokens(), total(r) / 1e6, r.generatedTokens() / (total(r) / 1e9),
                                100 * r.paddingShare());
                        err.flush();
                    }
                    from += batch.size();
                }
            } finally {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            }
        }
        return 0;
    }

    private static long total(BatchResult r) {
        long s = 0;
        for (long n : r.stepNanos()) {
            s += n;
        }
        return Math.max(1, s);
    }

    /** One prompt, text format: tokens printed as they come, the timing line on stderr. */
    private void stream(Engine engine, long[] prompt, Sampler sampler, TextTokenizer tokenizer, PrintWriter out) {
        TextStream stream = new TextStream(tokenizer, out);
        GenerationResult r = engine.generator().generate(prompt, maxNewTokens, ignoreEos, sampler, stream::accept);
        out.println();
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        err.printf("[%s: %d tokens in %.1f ms, %.3f ms/token, %.1f%% outside OrtSession.run, stop: %s]%n",
                engine.generator().strategy(), r.tokens().length, r.totalStepNanos() / 1e6,
                r.totalStepNanos() / 1e6 / Math.max(1, r.tokens().length), 100 * r.overheadShare(), r.stopReason());
        err.flush();
    }

    /** The sampler the options ask for; top-k and top-p only with a temperature. */
    private Sampler sampler() {
        if (temperature == 0 && (topK != null || topP != null)) {
            throw new KvbenchException((topK != null ? "--top-k" : "--top-p") + " does nothing when decoding greedily: "
                    + "give --temperature above 0 to sample");
        }
        return new Sampler(temperature, topK == null ? 0 : topK, topP == null ? 1 : topP, seed);
    }

    /** {@code --samples N}: N generations of one prompt, one row each, the prompt computed once or per row. */
    private Integer samples() {
        ModelOptions o = options.get();
        if (o.promptIdsFile != null || o.promptsFile != null) {
            throw new KvbenchException("--samples generates from one prompt: give --prompt or --prompt-ids (--source for "
                    + "encoder-decoder models), not a prompts file");
        }
        if (samples < 1 || samples > BatchSizeOption.MAX) {
            throw new KvbenchException("--samples must be in 1.." + BatchSizeOption.MAX + ", got " + samples);
        }
        batchSize.check(false, spec);
        boolean reuse = Cli.onOff(reusePrefix, "--reuse-prefix", true);
        Sampler sampler = sampler();
        if (temperature == 0 && samples > 1) {
            throw new KvbenchException("--samples " + samples + " draws the same tokens in every row when decoding "
                    + "greedily: give --temperature above 0 to sample");
        }
        try (Engine engine = o.open()) {
            TextTokenizer tokenizer = o.tokenizer(engine.model(), o.textPrompt());
            try {
                long[] prompt = o.inputs(engine.model(), tokenizer).get(0).ids();
                Generator generator = engine.generator();
                generator.check(prompt, maxNewTokens);
                BatchResult r = generator.samples(prompt, samples, maxNewTokens, ignoreEos, sampler, null, reuse);
                PrintWriter out = spec.commandLine().getOut();
                for (int row = 0; row < samples; row++) {
                    if (format == OutputFormat.JSON) {
                        ObjectNode n = (ObjectNode) JsonFiles.MAPPER.readTree(json(engine, r, row, row, true, tokenizer,
                                prompt));
                        n.put("sample", row + 1).put("seed", seed + row).put("reuse_prefix", reuse);
                        out.println(n);
                    } else {
                        out.println(oneLine(text(r.tokens()[row], tokenizer)));
                    }
                }
                out.flush();
                if (format == OutputFormat.TEXT) {
                    spec.commandLine().getErr().printf(java.util.Locale.ROOT, "[%s: %d samples, %d tokens in %.1f ms, "
                            + "%s]%n", generator.strategy(), samples, r.generatedTokens(), total(r) / 1e6, reuse
                            ? "the prompt computed once, its cache copied into the rows (--reuse-prefix on)"
                            : "the prompt computed for every row (--reuse-prefix off)");
                    spec.commandLine().getErr().flush();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            }
        }
        return 0;
    }

    /** {@code --turns-file}: a conversation, one reply per turn. */
    private Integer turns() {
        ModelOptions o = options.get();
        if (o.prompt != null || o.promptIds != null || o.promptIdsFile != null || o.promptsFile != null) {
            throw new KvbenchException("--turns-file holds the conversation: give no --prompt, --prompt-ids or prompts file");
        }
        batchSize.check(false, spec);
        boolean keep = Cli.onOff(reusePrefix, "--reuse-prefix", true);
        Sampler sampler = sampler();
        InputFile f = InputFile.read(turnsFile, "--turns-file");
        try (Engine engine = o.open()) {
            if (engine.model().encoderDecoder()) {
                throw new KvbenchException("--turns-file continues a decoder-only model's text; this is an "
                        + "encoder-decoder model");
            }
            try (TextTokenizer tokenizer = o.tokenizer(engine.model(), true)) {
                List<long[]> turns = new java.util.ArrayList<>();
                long positions = 0;
                for (int i = 0; i < f.lines().size(); i++) {
                    String where = f.where(i);
                    long[] ids;
                    try {
                        ids = i == 0 ? o.textIds(engine.model(), tokenizer, f.lines().get(i))
                                : tokenizer.encode(f.lines().get(i));
                        engine.generator().checkTokenIds(ids);
                    } catch (KvbenchException e) {
                        throw new KvbenchException(InputFile.label(where, e.getMessage()), e);
                    }
                    positions += ids.length + (long) maxNewTokens;
                    if (positions > engine.model().maxPositions()) {
                        throw new KvbenchException(where + ": the conversation up to this turn's reply needs " + positions
                                + " positions (turns + " + maxNewTokens + " new tokens per reply), beyond the model's "
                                + engine.model().maxPositions());
                    }
                    turns.add(ids);
                }
                long t0 = System.nanoTime();
                List<int[]> replies = dev.kvbench.decode.Conversation.replies(engine.generator(), turns, maxNewTokens,
                        ignoreEos, sampler, keep);
                double ms = (System.nanoTime() - t0) / 1e6;
                PrintWriter out = spec.commandLine().getOut();
                for (int i = 0; i < replies.size(); i++) {
                    if (format == OutputFormat.JSON) {
                        out.println(JsonFiles.MAPPER.createObjectNode().put("turn", i + 1)
                                .put("turn_tokens", turns.get(i).length).put("tokens", replies.get(i).length)
                                .put("strategy", engine.generator().strategy().id()).put("reuse_prefix", keep)
                                .put("text", text(replies.get(i), tokenizer)));
                    } else {
                        out.println(oneLine(text(replies.get(i), tokenizer)));
                    }
                }
                out.flush();
                if (format == OutputFormat.TEXT) {
                    spec.commandLine().getErr().printf(java.util.Locale.ROOT, "[%s: %d turns, %s: %.1f ms]%n",
                            engine.generator().strategy(), turns.size(), keep ? "each appended to the kept cache "
                                    + "(--reuse-prefix on)" : "each reply generated over the whole history (--reuse-prefix off)",
                            ms);
                    spec.commandLine().getErr().flush();
                }
            }
        }
        return 0;
    }

    /** A generated text on one output line: backslash, line breaks and tabs escaped as in Java or JSON strings. */
    static String oneLine(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t");
    }

    private static String text(int[] tokens, TextTokenizer tokenizer) {
        if (tokenizer == null) {
            StringBuilder b = new StringBuilder();
            for (int t : tokens) {
                b.append(b.length() == 0 ? "" : " ").append(t);
            }
            return b.toString();
        }
        return tokenizer.decode(java.util.Arrays.stream(tokens).asLongStream().toArray());
    }

    /** The single-sequence object; for a file, also the input line and the rows decoded together. */
    private String json(Engine engine, BatchResult batch, int row, int index, boolean single, TextTokenizer tokenizer,
                        long[] prompt) {
        GenerationResult r = batch.row(row);
        ObjectMapper mapper = JsonFiles.MAPPER;
        ObjectNode root = mapper.createObjectNode();
        if (!single) {
            root.put("line", index + 1);
        }
        root.put("model", engine.model().folder().toString());
        root.put("strategy", engine.generator().strategy().id());
        var tokens = root.putArray("tokens");
        long[] ids = new long[r.tokens().length];
        for (int i = 0; i < ids.length; i++) {
            tokens.add(r.tokens()[i]);
            ids[i] = r.tokens()[i];
        }
        root.put("text", tokenizer == null ? null : tokenizer.decode(ids));
        root.put("prompt_tokens", prompt.length);
        root.put("stop_reason", r.stopReason().id());
        ObjectNode timing = root.putObject("timing");
        timing.put("batch_rows", batch.rows());
        timing.put("steps", r.runNanos().length);
        timing.put("total_ms", r.totalStepNanos() / 1e6);
        timing.put("run_ms", r.totalRunNanos() / 1e6);
        timing.put("outside_run_ms", (r.totalStepNanos() - r.totalRunNanos()) / 1e6);
        timing.put("ms_per_token", r.totalStepNanos() / 1e6 / Math.max(1, ids.length));
        timing.put("overhead_share", r.overheadShare());
        timing.put("padding_share", batch.paddingShare());
        timing.put("threads", engine.runtime().intraOpThreads());
        timing.put("ort_call", engine.runtime().runCall().label());
        var perStep = timing.putArray("run_us");
        for (long n : r.runNanos()) {
            perStep.add(n / 1000);
        }
        var steps = timing.putArray("step_us");
        for (long n : r.stepNanos()) {
            steps.add(n / 1000);
        }
        root.put("kv_bytes_copied", r.kvBytesCopied());
        return root.toString();
    }

    /** Prints the text as it grows: decodes everything generated so far and prints what is new. */
    private static final class TextStream {
        private final TextTokenizer tokenizer;
        private final PrintWriter out;
        private final java.util.ArrayList<Long> ids = new java.util.ArrayList<>();
        private String shown = "";

        TextStream(TextTokenizer tokenizer, PrintWriter out) {
            this.tokenizer = tokenizer;
            this.out = out;
        }

        void accept(int token) {
            if (tokenizer == null) {
                out.print(token + " ");
            } else {
                ids.add((long) token);
                String text = tokenizer.decode(ids.stream().mapToLong(Long::longValue).toArray());
                if (text.startsWith(shown)) {
                    out.print(text.substring(shown.length()));
                }
                shown = text;
            }
            out.flush();
        }
    }
}
