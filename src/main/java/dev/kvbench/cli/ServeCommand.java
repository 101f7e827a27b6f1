package dev.kvbench.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.ServingSummary;
import dev.kvbench.results.ServingSummary.Quantiles;
import dev.kvbench.results.ServingSummary.Targets;
import dev.kvbench.results.Statistics;
import dev.kvbench.serve.Policy;
import dev.kvbench.serve.Scheduler;
import dev.kvbench.serve.Served;
import dev.kvbench.serve.Workload;
import dev.kvbench.support.JsonFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kvbench serve}: a service's view of one strategy. Requests arrive at a rate (Poisson, seeded), from closed-loop
 * clients or from a trace, and are served by a policy; per load, the latencies a service's users see (time to first
 * token, time per output token, end to end, inter-token: p50 / p95 / p99), throughput, rows per step, the queue, the
 * inter-token p95 while another request's prompt is computed, and goodput under latency targets. With {@code --repeat}
 * each load runs several times (seeds in a row) and the figures carry 95% intervals over the runs; {@code --out}
 * writes them as a result file {@code compare}, {@code gate} and {@code history} read.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Replay requests arriving at a rate, from closed-loop clients or from a trace against one strategy "
                + "and policy: time to first token, time per output token, end-to-end and inter-token latency "
                + "(p50/p95/p99), throughput, rows per step, the queue and goodput per load.")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", defaultValue = "tiny-llama", description = "Bundled model name or a model folder (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--root", defaultValue = "${sys:kvbench.root:-.}", description = "Repository root (models/).")
    Path root;

    @Option(names = "--strategy", defaultValue = "kv", converter = StrategyOption.Converter.class,
            completionCandidates = StrategyOption.Ids.class, description = "The strategy that serves (default: ${DEFAULT-VALUE}).")
    Strategy strategy;

    @Option(names = "--dtype", defaultValue = "fp32", converter = DtypeOption.PerGraph.class, paramLabel = "DTYPE",
            description = "Which of the folder's graphs: " + DtypeOption.CHOICES_PER_GRAPH + " (default: ${DEFAULT-VALUE}).")
    GraphDtypes dtype;

    @Option(names = "--threads", defaultValue = "1", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--policy", defaultValue = "sequential", description = "sequential (one request at a time, first "
            + "come first served), static-batch (up to --max-batch requests, waiting at most --max-wait-ms for them, "
            + "decoded together to the end) or continuous (requests join the running batch at the next step while it has "
            + "fewer than --max-batch rows, and leave it when done) (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--rate", split = ",", paramLabel = "PER_SECOND[,...]", defaultValue = "1",
            description = "Mean arrival rates, requests per second, one run each (default: ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--clients", paramLabel = "C[,...]", split = ",", description = "Closed loop instead of --rate: C "
            + "clients, each sending its next request the moment its last one finished, one run per value.")
    List<Integer> clients;

    @Option(names = "--trace", paramLabel = "FILE", description = "Replay a trace instead of --rate: JSON Lines, each "
            + "{\"arrival_ms\": T, \"prompt\": TEXT or \"prompt_ids\": [IDS], \"max_new_tokens\": N}.")
    Path trace;

    @Option(names = "--requests", defaultValue = "16", description = "Requests per run, 1..4096 (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the arrivals and drawn lengths (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--prompt-tokens", defaultValue = "16", paramLabel = "N|MIN..MAX", description = "Tokens per prompt, "
            + "or a range each request's length is drawn from uniformly (default: ${DEFAULT-VALUE}).")
    String promptTokens;

    @Option(names = "--max-new-tokens", defaultValue = "16", paramLabel = "N|MIN..MAX", description = "Tokens per answer "
            + "(EOS ignored), or a range drawn from uniformly (default: ${DEFAULT-VALUE}).")
    String newTokens;

    @Option(names = "--max-batch", description = "static-batch and continuous: rows decoded together at most, 1..4096 (default 8).")
    Integer maxBatch;

    @Option(names = "--max-wait-ms", description = "static-batch: how long the first queued request waits for its batch to "
            + "fill (default 10).")
    Double maxWaitMs;

    @Option(names = "--prefill-chunk", paramLabel = "TOKENS", description = "continuous with static-gqa and its quantized "
            + "caches: a joining prompt is computed this many tokens per step, so the running rows wait one chunk at a "
            + "time (default: the whole prompt at once).")
    Integer prefillChunk;

    @Option(names = "--prompt-cache", paramLabel = "on|off", description = "continuous with static-gqa and its quantized "
            + "caches: a joining request reuses the longest prefix of its prompt that a slot holds (a running request's "
            + "or one that finished), copied into its slot, and computes only the rest (default: off).")
    String promptCache;

    @Option(names = "--max-seconds", defaultValue = "300", description = "Per run: no queued request is started after this "
            + "many seconds; what is left is reported as not served (an overloaded run ends by itself) (default: ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--repeat", defaultValue = "1", description = "Runs per load, seeds --seed, --seed + 1, ...: figures are "
            + "the runs' means with 95% intervals (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--slo", paramLabel = "ttft=MS,tpot=MS", description = "Latency targets for goodput, e.g. "
            + "ttft=200,tpot=50 (milliseconds): the share of requests that meet both (default: none).")
    String slo;

    @Option(names = "--format", defaultValue = "text", description = "text, or json: one line per request, then a summary "
            + "line per load (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the summaries as a result file (JSON; must not "
            + "exist) that compare, gate and history read.")
    Path out;

    @Spec
    CommandSpec spec;

    /** Parses {@code --slo}. */
    static Targets targets(String text) {
        double ttft = Double.NaN;
        double tpot = Double.NaN;
        for (String part : text.split(",", -1)) {
            String[] kv = part.split("=", -1);
            double v;
            try {
                v = kv.length == 2 ? Double.parseDouble(kv[1].trim().replaceAll("ms$", "")) : Double.NaN;
            } catch (NumberFormatException e) {
                v = Double.NaN;
            }
            if (kv.length != 2 || !(v > 0 && Double.isFinite(v))) {
                throw new KvbenchException("--slo takes ttft=MS,tpot=MS with milliseconds above 0, got '" + text + "'");
            }
            switch (kv[0].trim()) {
                case "ttft" -> ttft = v;
                case "tpot" -> tpot = v;
                default -> throw new KvbenchException("--slo knows ttft and tpot, not '" + kv[0].trim() + "'");
            }
        }
        return new Targets(Double.isNaN(ttft) ? Double.POSITIVE_INFINITY : ttft,
                Double.isNaN(tpot) ? Double.POSITIVE_INFINITY : tpot);
    }

    /** Parses a length option: N or MIN..MAX. */
    static Workload.Lengths lengths(String text, String option) {
        String t = text.trim();
        try {
            int dots = t.indexOf("..");
            Workload.Lengths l = dots < 0 ? Workload.Lengths.fixed(Integer.parseInt(t))
                    : new Workload.Lengths(Integer.parseInt(t.substring(0, dots).trim()),
                    Integer.parseInt(t.substring(dots + 2).trim()));
            return l;
        } catch (NumberFormatException | KvbenchException e) {
            throw new KvbenchException(option + " takes N or MIN..MAX with 1 <= MIN <= MAX, got '" + text + "'");
        }
    }

    /** One load: a rate, a number of clients, or the trace. */
    private record Load(String kind, double value) {
        String label() {
            return kind.equals("trace") ? "trace" : dev.kvbench.results.ServingResults.trim(value);
        }
    }

    @Override
    public Integer call() {
        Policy p = Policy.parse(policy);
        if (p == Policy.SEQUENTIAL && maxBatch != null) {
            throw new KvbenchException("--max-batch is static-batch's and continuous's; it does nothing with --policy sequential");
        }
        if (p != Policy.STATIC_BATCH && maxWaitMs != null) {
            throw new KvbenchException("--max-wait-ms is static-batch's; it does nothing with --policy " + p);
        }
        if (!(maxSeconds > 0 && Double.isFinite(maxSeconds))) {
            throw new KvbenchException("--max-seconds must be a finite number above 0, got " + maxSeconds);
        }
        if (prefillChunk != null && (p != Policy.CONTINUOUS || prefillChunk < 1)) {
            throw new KvbenchException(prefillChunk < 1 ? "--prefill-chunk must be at least 1 token, got " + prefillChunk
                    : "--prefill-chunk is continuous's; it does nothing with --policy " + p);
        }
        boolean cachePrompts = Cli.onOff(promptCache, "--prompt-cache", false);
        if (cachePrompts && p != Policy.CONTINUOUS) {
            throw new KvbenchException("--prompt-cache is continuous's; it does nothing with --policy " + p);
        }
        Scheduler.Settings settings = new Scheduler.Settings(p, p == Policy.SEQUENTIAL ? 1 : maxBatch == null ? 8 : maxBatch,
                p == Policy.STATIC_BATCH ? maxWaitMs == null ? 10 : maxWaitMs : 0, (long) (maxSeconds * 1e9),
                prefillChunk == null ? 0 : prefillChunk, cachePrompts);
        if (requests < 1 || requests > 4096) {
            throw new KvbenchException("--requests must be in 1..4096, got " + requests);
        }
        if (repeat < 1 || repeat > 100) {
            throw new KvbenchException("--repeat must be in 1..100, got " + repeat);
        }
        for (double r : rates) {
            if (!(r > 0 && Double.isFinite(r))) {
                throw new KvbenchException("--rate takes request rates above 0 per second, got " + r);
            }
        }
        var parsed = spec.commandLine().getParseResult();
        int loads = (clients != null ? 1 : 0) + (trace != null ? 1 : 0) + (parsed.hasMatchedOption("--rate") ? 1 : 0);
        if (loads > 1) {
            throw new KvbenchException("give one of --rate (open loop), --clients (closed loop) or --trace, not several");
        }
        if (trace != null) {
            for (String o : List.of("--requests", "--seed", "--prompt-tokens", "--max-new-tokens", "--repeat")) {
                if (parsed.hasMatchedOption(o)) {
                    throw new KvbenchException(o + " does nothing with --trace: the trace gives the requests");
                }
            }
        }
        for (int c : clients == null ? List.<Integer>of() : clients) {
            if (c < 1 || c > requests) {
                throw new KvbenchException("--clients must be in 1..--requests (" + requests + "), got " + c);
            }
        }
        Workload.Lengths prompts = lengths(promptTokens, "--prompt-tokens");
        Workload.Lengths answers = lengths(newTokens, "--max-new-tokens");
        if (prompts.min() < 2) {
            throw new KvbenchException("--prompt-tokens must be at least 2, got '" + promptTokens + "'");
        }
        Targets targets = slo == null ? null : targets(slo);
        if (out != null) {
            dev.kvbench.results.ServingResults.requireNew(out, "--out");
        }
        Path folder = BenchmarkContract.resolveModel(root.toAbsolutePath().normalize(), model);
        PrintWriter print = spec.commandLine().getOut();
        try (Engine engine = new Engine(folder, strategy, EngineOptions.defaults().withThreads(threads).withDtypes(dtype))) {
            List<Load> list = trace != null ? List.of(new Load("trace", 0))
                    : clients != null ? clients.stream().map(c -> new Load("clients", c)).toList()
                    : rates.stream().map(r -> new Load("rate", r)).toList();
            if (cachePrompts && !engine.generator().admitsRows()) {
                throw new KvbenchException("--prompt-cache needs a cache with a slot per row (static-gqa and its quantized "
                        + "caches, decoder-only models); " + strategy + " on " + folder.getFileName() + " holds no row "
                        + "apart from the others");
            }
            if (prefillChunk != null && !engine.generator().admitsRows()) {
                throw new KvbenchException("--prefill-chunk needs a cache with a slot per row (static-gqa and its quantized "
                        + "caches, decoder-only models); " + strategy + " on " + folder.getFileName()
                        + " computes a joining prompt with the batch's next step");
            }
            Workload traced = trace == null ? null : TraceFile.read(trace, engine.model());
            List<List<Workload>> workloads = new ArrayList<>();
            for (Load load : list) {
                List<Workload> runs = new ArrayList<>();
                for (int k = 0; k < repeat; k++) {
                    runs.add(traced != null ? traced : load.kind().equals("clients")
                            ? Workload.clients(engine.model(), (int) load.value(), requests, seed + k, prompts, answers)
                            : Workload.poisson(engine.model(), load.value(), requests, seed + k, prompts, answers));
                }
                workloads.add(runs);
            }
            for (List<Workload> runs : workloads) { // every request checked before the first run starts
                for (Workload w : runs) {
                    for (Workload.Request r : w.requests()) {
                        engine.generator().check(r.prompt(), r.maxNewTokens());
                    }
                }
            }
            if (format == OutputFormat.TEXT) {
                header(print, folder, engine.generator(), p, settings, list.get(0), prompts, answers, targets);
            }
            List<dev.kvbench.results.ServingResults.Entry> entries = new ArrayList<>();
            long started = System.nanoTime();
            int done = 0;
            for (int i = 0; i < list.size(); i++) {
                List<ServingSummary> summaries = new ArrayList<>();
                for (Workload w : workloads.get(i)) {
                    Scheduler.Run run = Scheduler.run(engine.generator(), w, settings);
                    summaries.add(ServingSummary.of(run, targets));
                    if (format == OutputFormat.JSON) {
                        for (Served s : run.served()) {
                            print.println(requestLine(list.get(i), s));
                        }
                    }
                    done++;
                    progress(started, done, list.size() * repeat);
                }
                report(print, list.get(i), summaries, settings, targets != null);
                entries.add(new dev.kvbench.results.ServingResults.Entry(folder.getFileName().toString(), strategy.id(), dtype.toString(),
                        p.id(), settings.maxBatch(), settings.prefillChunk(), settings.promptCache(), list.get(i).kind(),
                        list.get(i).value(),
                        slo == null ? null : slo.replace(" ", ""), summaries));
            }
            if (out != null) {
                dev.kvbench.results.RunRecord meta = dev.kvbench.results.RunMeta.describe(root.toAbsolutePath().normalize(),
                        List.of(folder), threads, "serve");
                meta.dtype = dtype.id();
                dev.kvbench.results.ServingResults.write(out, entries, meta);
                if (format == OutputFormat.TEXT) {
                    print.println("wrote " + out);
                }
            }
        }
        print.flush();
        return 0;
    }

    private void header(PrintWriter print, Path folder, dev.kvbench.decode.Generator g, Policy p,
                        Scheduler.Settings settings, Load load, Workload.Lengths prompts, Workload.Lengths answers,
                        Targets targets) {
        String batch = switch (p) {
            case SEQUENTIAL -> "";
            case STATIC_BATCH -> String.format(Locale.ROOT, " (up to %d rows, waiting at most %.0f ms)", settings.maxBatch(),
                    settings.maxWaitMillis());
            case CONTINUOUS -> String.format(Locale.ROOT, " (up to %d rows, %s)", settings.maxBatch(),
                    g.admitsRows() ? "joining in free slots" + (settings.prefillChunk() > 0
                            ? ", prompts " + settings.prefillChunk() + " tokens per step" : "")
                            + (settings.promptCache() ? ", prompt cache" : "")
                            : g.batchesUnequalRows() ? "a join recomputes the running rows"
                            : "new requests join when the batch has drained: rows of different lengths cannot share it");
        };
        String what = switch (load.kind()) {
            case "trace" -> "the trace " + trace;
            case "clients" -> requests + " requests of " + prompts + " + " + answers + " tokens per run (closed loop: each "
                    + "client sends its next request when its last one finished)";
            default -> requests + " requests of " + prompts + " + " + answers + " tokens per rate (Poisson arrivals, seed "
                    + seed + ")";
        };
        print.printf(Locale.ROOT, "serve %s: %s, %s%s, %s%s%s%n", folder.getFileName(), strategy, p, batch, what,
                repeat > 1 ? String.format(Locale.ROOT, "; %d runs each, mean ± 95%% interval", repeat) : "",
                targets == null ? "" : String.format(Locale.ROOT, "; targets ttft %s ms, tpot %s ms",
                        limit(targets.ttftMs()), limit(targets.tpotMs())));
        print.printf(Locale.ROOT, "%8s %6s %14s %20s %20s %20s %5s %6s %8s%n",
                load.kind().equals("clients") ? "clients" : load.kind().equals("trace") ? "" : "rate/s", "req/s", "tok/s",
                "TTFT p50/p95/p99 ms", "TPOT p50/p95/p99 ms", "E2E p50/p95/p99 ms", "rows", "queue", "goodput");
        print.flush();
    }

    /** Time left on stderr while runs go on (text output, more than one run). */
    private void progress(long started, int done, int total) {
        if (format != OutputFormat.TEXT || total < 2 || done == total) {
            return;
        }
        double each = (System.nanoTime() - started) / 1e9 / done;
        spec.commandLine().getErr().printf(Locale.ROOT, "serve: %d of %d runs, about %.0f s left%n", done, total,
                each * (total - done));
        spec.commandLine().getErr().flush();
    }

    private static String limit(double ms) {
        return Double.isInfinite(ms) ? "none" : String.format(Locale.ROOT, "%.0f", ms);
    }

    private ObjectNode requestLine(Load load, Served s) {
        ObjectNode n = loadField(JsonFiles.MAPPER.createObjectNode(), load).put("request", s.request().index())
                .put("arrival_ms", s.request().arrivalNanos() / 1e6).put("queue_ms", s.queueNanos() / 1e6)
                .put("ttft_ms", s.ttftNanos() / 1e6).put("tpot_ms", s.tpotNanos() / 1e6)
                .put("e2e_ms", s.e2eNanos() / 1e6).put("rows", s.rows()).put("cancelled", s.cancelled())
                .put("reused_tokens", s.reusedTokens());
        var prompt = n.putArray("prompt");
        Arrays.stream(s.request().prompt()).forEach(prompt::add);
        var ids = n.putArray("tokens");
        Arrays.stream(s.tokens()).forEach(ids::add);
        var gaps = n.putArray("inter_token_ms");
        Arrays.stream(s.interTokenNanos()).forEach(g -> gaps.add(g / 1e6));
        return n;
    }

    private void report(PrintWriter print, Load load, List<ServingSummary> runs, Scheduler.Settings settings,
                        boolean withTargets) {
        ServingSummary first = runs.get(0);
        if (format == OutputFormat.JSON) {
            ObjectNode sum = loadField(JsonFiles.MAPPER.createObjectNode().put("summary", true), load)
                    .put("strategy", strategy.id()).put("policy", settings.policy().id())
                    .put("max_batch", settings.maxBatch()).put("runs", runs.size());
            dev.kvbench.results.ServingResults.putFigures(sum, runs);
            print.println(sum);
        } else {
            print.printf(Locale.ROOT, "%8s %6.2f %14s %20s %20s %20s %5.1f %6d %8s%n", load.label(),
                    mean(runs, ServingSummary::requestsPerSecond), withInterval(runs, ServingSummary::tokensPerSecond),
                    three(runs, ServingSummary::ttftMs), three(runs, ServingSummary::tpotMs), three(runs, ServingSummary::e2eMs),
                    mean(runs, ServingSummary::meanRows), runs.stream().mapToInt(ServingSummary::maxQueue).max().orElse(0),
                    withTargets ? String.format(Locale.ROOT, "%.0f%%", 100 * mean(runs, ServingSummary::goodput)) : "-");
            double with = mean(runs, ServingSummary::interTokenP95WithPrefillMs);
            if (!Double.isNaN(with)) {
                print.printf(Locale.ROOT, "%8s inter-token p95 %.1f ms in gaps with another request's prompt computed "
                        + "(%d gaps), %.1f ms without: %.2fx%n", "", with, first.gapsWithPrefill(),
                        mean(runs, ServingSummary::interTokenP95WithoutPrefillMs),
                        with / mean(runs, ServingSummary::interTokenP95WithoutPrefillMs));
            }
            double reused = mean(runs, ServingSummary::promptReusedShare);
            if (reused > 0) {
                print.printf(Locale.ROOT, "%8s prompt cache: %.0f%% of the prompt tokens reused from what a slot held%n", "",
                        100 * reused);
            }
            int unserved = runs.stream().mapToInt(ServingSummary::unserved).sum();
            if (unserved > 0) {
                print.printf(Locale.ROOT, "%8s overloaded: %d of %d requests not started within --max-seconds %s (the "
                        + "queue grew to %d)%n", "", unserved, runs.stream().mapToInt(ServingSummary::requests).sum(),
                        dev.kvbench.results.ServingResults.trim(maxSeconds), runs.stream().mapToInt(ServingSummary::maxQueue).max().orElse(0));
            }
        }
        print.flush();
    }

    private static ObjectNode loadField(ObjectNode n, Load load) {
        return switch (load.kind()) {
            case "clients" -> n.put("clients", (int) load.value());
            case "trace" -> n.put("trace", true);
            default -> n.put("rate", load.value());
        };
    }

    private static double mean(List<ServingSummary> runs, ToDoubleFunction<ServingSummary> f) {
        return runs.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static String withInterval(List<ServingSummary> runs, ToDoubleFunction<ServingSummary> f) {
        double[] x = runs.stream().mapToDouble(f).toArray();
        if (x.length < 2) {
            return String.format(Locale.ROOT, "%.1f", x[0]);
        }
        return String.format(Locale.ROOT, "%.1f ± %.1f", Statistics.mean(x), Statistics.confidenceHalfWidth(x, 0.95));
    }

    private static String three(List<ServingSummary> runs, java.util.function.Function<ServingSummary, Quantiles> f) {
        return String.format(Locale.ROOT, "%.1f/%.1f/%.1f", mean(runs, r -> f.apply(r).p50()),
                mean(runs, r -> f.apply(r).p95()), mean(runs, r -> f.apply(r).p99()));
    }
}
