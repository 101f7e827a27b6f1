package dev.kvbench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.GenerationResult;
import dev.kvbench.decode.Sampler;
import dev.kvbench.tokenizer.TextTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;

@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate tokens with one strategy.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptionsMixin options;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--ignore-eos", description = "Do not stop at the EOS token.")
    boolean ignoreEos;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--temperature", defaultValue = "0", description = "0 for greedy (default), else the sampling temperature.")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens (0: all).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Sample within the smallest set of tokens of this total probability.")
    double topP;

    @Option(names = "--format", defaultValue = "text", description = "text (streams tokens; the timing line goes to stderr) or json (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Sampler sampler = new Sampler(temperature, topK, topP, seed);
        ModelOptions o = options.get();
        try (Engine engine = o.open()) {
            TextTokenizer tokenizer = o.tokenizer(engine.model(), o.prompt != null);
            try {
                long[] prompt = o.promptIds(engine.model(), tokenizer);
                PrintWriter out = spec.commandLine().getOut();
                IntConsumer stream = format == OutputFormat.TEXT ? new TextStream(tokenizer, out) : null;
                GenerationResult r = engine.generator().generate(prompt, maxNewTokens, ignoreEos, sampler, stream);
                if (format == OutputFormat.TEXT) {
                    out.println();
                    out.flush();
                    PrintWriter err = spec.commandLine().getErr();
                    err.printf("[%s: %d tokens in %.1f ms, %.3f ms/token, %.1f%% outside OrtSession.run, stop: %s]%n",
                            engine.generator().strategy(), r.tokens().length, r.totalStepNanos() / 1e6,
                            r.totalStepNanos() / 1e6 / Math.max(1, r.tokens().length), 100 * r.overheadShare(), r.stopReason());
                    err.flush();
                } else {
                    out.println(json(engine, r, tokenizer, prompt));
                }
                out.flush();
            } finally {
                if (tokenizer != null) {
                    tokenizer.close();
                }
            }
        }
        return 0;
    }

    private String json(Engine engine, GenerationResult r, TextTokenizer tokenizer, long[] prompt) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
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
        root.put("stop_reason", r.stopReason());
        ObjectNode timing = root.putObject("timing");
        timing.put("steps", r.tokens().length);
        timing.put("total_ms", r.totalStepNanos() / 1e6);
        timing.put("run_ms", r.totalRunNanos() / 1e6);
        timing.put("outside_run_ms", (r.totalStepNanos() - r.totalRunNanos()) / 1e6);
        timing.put("ms_per_token", r.totalStepNanos() / 1e6 / Math.max(1, ids.length));
        timing.put("overhead_share", r.overheadShare());
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
    private static final class TextStream implements IntConsumer {
        private final TextTokenizer tokenizer;
        private final PrintWriter out;
        private final java.util.ArrayList<Long> ids = new java.util.ArrayList<>();
        private String shown = "";

        TextStream(TextTokenizer tokenizer, PrintWriter out) {
            this.tokenizer = tokenizer;
            this.out = out;
        }

        @Override
        public void accept(int token) {
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
