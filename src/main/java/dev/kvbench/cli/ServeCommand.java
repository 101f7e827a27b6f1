package dev.kvbench.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.EngineOptions;
import dev.kvbench.decode.Strategy;
import dev.kvbench.model.GraphDtypes;
import dev.kvbench.results.BenchmarkContract;
import dev.kvbench.results.Statistics;
import dev.kvbench.serve.Policy;
import dev.kvbench.serve.Scheduler;
import dev.kvbench.serve.Served;
import dev.kvbench.serve.Workload;
import dev.kvbench.support.JsonFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code kvbench serve}: a service's view of one strategy. Requests arrive at a rate (Poisson, seeded) and are
 * served by a policy; per rate, the latencies a service's users see (time to first token, time per output token, end
 * to end: p50 / p95 / p99), throughput and goodput under latency targets.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Replay requests arriving at a rate against one strategy and policy: time to first token, time per "
                + "output token, end-to-end latency (p50/p95/p99), throughput and goodput per rate.")
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
            + "come first served) or static-batch (up to --max-batch requests, waiting at most --max-wait-ms for them, "
            + "decoded together to the end) (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--rate", split = ",", paramLabel = "PER_SECOND[,...]", defaultValue = "1",
            description = "Mean arrival rates, requests per second, one run each (default: ${DEFAULT-VALUE}).")
    List<Double> rates;

    @Option(names = "--clients", paramLabel = "C[,...]", split = ",", description = "Closed loop instead of --rate: C "
            + "clients, each sending its next request the moment its last one finished, one run per value.")
    List<Integer> clients;

    @Option(names = "--requests", defaultValue = "16", description = "Requests per rate, 1..4096 (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the arrivals (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--prompt-tokens", defaultValue = "16", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--max-new-tokens", defaultValue = "16", description = "Tokens per answer, EOS ignored (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--max-batch", description = "static-batch: requests decoded together at most, 1..4096 (default 8).")
    Integer maxBatch;

    @Option(names = "--max-wait-ms", description = "static-batch: how long the first queued request waits for its batch to "
            + "fill (default 10).")
    Double maxWaitMs;

    @Option(names = "--slo", paramLabel = "ttft=MS,tpot=MS", description = "Latency targets for goodput, e.g. "
            + "ttft=200,tpot=50 (milliseconds): the share of requests that meet both (default: none).")
    String slo;

    @Option(names = "--format", defaultValue = "text", description = "text, or json: one line per request, then a summary "
            + "line per rate (default: ${DEFAULT-VALUE}).")
    OutputFormat format;

    @Spec
    CommandSpec spec;

    /** Latency targets in milliseconds. */
    record Targets(double ttftMs, double tpotMs) {
        static Targets parse(String text) {
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

        boolean met(Served s) {
            return s.ttftNanos() / 1e6 <= ttftMs && s.tpotNanos() / 1e6 <= tpotMs;
        }
    }

    @Override
    public Integer call() {
        Policy p = Policy.parse(policy);
        if (p == Policy.SEQUENTIAL && (maxBatch != null || maxWaitMs != null)) {
            throw new KvbenchException((maxBatch != null ? "--max-batch" : "--max-wait-ms") + " is static-batch's; it does "
                    + "nothing with --policy sequential");
        }
        Scheduler.Settings settings = new Scheduler.Settings(p, p == Policy.SEQUENTIAL ? 1 : maxBatch == null ? 8 : maxBatch,
                p == Policy.SEQUENTIAL ? 0 : maxWaitMs == null ? 10 : maxWaitMs);
        if (requests < 1 || requests > 4096) {
            throw new KvbenchException("--requests must be in 1..4096, got " + requests);
        }
        for (double r : rates) {
            if (!(r > 0 && Double.isFinite(r))) {
                throw new KvbenchException("--rate takes request rates above 0 per second, got " + r);
            }
        }
        if (clients != null && spec.commandLine().getParseResult().hasMatchedOption("--rate")) {
            throw new KvbenchException("give --rate (open loop) or --clients (closed loop), not both");
        }
        for (int c : clients == null ? List.<Integer>of() : clients) {
            if (c < 1 || c > requests) {
                throw new KvbenchException("--clients must be in 1..--requests (" + requests + "), got " + c);
            }
        }
        Targets targets = slo == null ? null : Targets.parse(slo);
        Path folder = BenchmarkContract.resolveModel(root.toAbsolutePath().normalize(), model);
        PrintWriter out = spec.commandLine().getOut();
        try (Engine engine = new Engine(folder, strategy, EngineOptions.defaults().withThreads(threads).withDtypes(dtype))) {
            List<Workload> workloads = clients != null
                    ? clients.stream().map(c -> Workload.clients(engine.model(), c, requests, promptTokens, newTokens)).toList()
                    : rates.stream().map(r -> Workload.poisson(engine.model(), r, requests, seed, promptTokens, newTokens))
                    .toList();
            engine.generator().check(workloads.get(0).requests().get(0).prompt(), newTokens);
            if (format == OutputFormat.TEXT) {
                out.printf(Locale.ROOT, "serve %s: %s, %s%s, %d requests of %d + %d tokens per %s%s%n",
                        folder.getFileName(), strategy, p, p == Policy.STATIC_BATCH ? String.format(
                                Locale.ROOT, " (up to %d rows, waiting at most %.0f ms)", settings.maxBatch(),
                                settings.maxWaitMillis()) : "", requests, promptTokens, newTokens, clients != null
                                ? "run (closed loop: each client sends its next request when its last one finished)"
                                : "rate (Poisson arrivals, seed " + seed + ")",
                        targets == null ? "" : String.format(Locale.ROOT, "; targets ttft %s ms, tpot %s ms",
                                limit(targets.ttftMs()), limit(targets.tpotMs())));
                out.printf(Locale.ROOT, "%8s %6s %8s %22s %22s %22s %6s %8s%n", clients != null ? "clients" : "rate/s",
                        "req/s", "tok/s",
                        "TTFT p50/p95/p99 ms", "TPOT p50/p95/p99 ms", "E2E p50/p95/p99 ms", "rows", "goodput");
                out.flush();
            }
            for (int i = 0; i < workloads.size(); i++) {
                List<Served> served = Scheduler.run(engine.generator(), workloads.get(i), settings);
                report(out, clients != null ? clients.get(i) : rates.get(i), served, targets, settings);
            }
        }
        return 0;
    }

    private static String limit(double ms) {
        return Double.isInfinite(ms) ? "none" : String.format(Locale.ROOT, "%.0f", ms);
    }

    private void report(PrintWriter out, double rate, List<Served> served, Targets targets, Scheduler.Settings settings) {
        double[] ttft = served.stream().mapToDouble(s -> s.ttftNanos() / 1e6).toArray();
        double[] tpot = served.stream().mapToDouble(s -> s.tpotNanos() / 1e6).toArray();
        double[] e2e = served.stream().mapToDouble(s -> s.e2eNanos() / 1e6).toArray();
        long first = served.stream().mapToLong(s -> s.request().arrivalNanos()).min().orElse(0);
        long last = served.stream().mapToLong(s -> s.tokenNanos()[s.tokenNanos().length - 1]).max().orElse(1);
        double seconds = Math.max(1e-9, (last - first) / 1e9);
        long tokens = served.stream().mapToLong(s -> s.tokens().length).sum();
        double rows = served.stream().mapToInt(Served::rows).average().orElse(1);
        double good = targets == null ? Double.NaN : served.stream().filter(targets::met).count() / (double) served.size();
        if (format == OutputFormat.JSON) {
            for (Served s : served) {
                ObjectNode n = load(JsonFiles.MAPPER.createObjectNode(), rate).put("request", s.request().index())
                        .put("arrival_ms", s.request().arrivalNanos() / 1e6).put("queue_ms", s.queueNanos() / 1e6)
                        .put("ttft_ms", s.ttftNanos() / 1e6).put("tpot_ms", s.tpotNanos() / 1e6)
                        .put("e2e_ms", s.e2eNanos() / 1e6).put("rows", s.rows()).put("prompt_tokens", s.request().prompt().length);
                var ids = n.putArray("tokens");
                Arrays.stream(s.tokens()).forEach(ids::add);
                var gaps = n.putArray("inter_token_ms");
                Arrays.stream(s.interTokenNanos()).forEach(g -> gaps.add(g / 1e6));
                out.println(n);
            }
            ObjectNode sum = load(JsonFiles.MAPPER.createObjectNode().put("summary", true), rate)
                    .put("strategy", strategy.id()).put("policy", settings.policy().id()).put("requests", served.size())
                    .put("requests_per_second", served.size() / seconds).put("tokens_per_second", tokens / seconds)
                    .put("mean_rows", rows);
            putQuantiles(sum, "ttft_ms", ttft);
            putQuantiles(sum, "tpot_ms", tpot);
            putQuantiles(sum, "e2e_ms", e2e);
            if (targets != null) {
                sum.put("goodput", good);
            }
            out.println(sum);
        } else {
            out.printf(Locale.ROOT, "%8s %6.2f %8.1f %22s %22s %22s %6.1f %8s%n", trim(rate), served.size() / seconds,
                    tokens / seconds, three(ttft), three(tpot), three(e2e), rows,
                    targets == null ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * good));
        }
        out.flush();
    }

    /** A run's load in JSON: its arrival rate, or its closed-loop clients. */
    private ObjectNode load(ObjectNode n, double load) {
        return clients != null ? n.put("clients", (int) load) : n.put("rate", load);
    }

    private static void putQuantiles(ObjectNode n, String name, double[] x) {
        n.put(name + "_p50", Statistics.quantile(x, 0.5)).put(name + "_p95", Statistics.quantile(x, 0.95))
                .put(name + "_p99", Statistics.quantile(x, 0.99));
    }

    private static String three(double[] x) {
        return String.format(Locale.ROOT, "%.1f/%.1f/%.1f", Statistics.quantile(x, 0.5), Statistics.quantile(x, 0.95),
                Statistics.quantile(x, 0.99));
    }

    private static String trim(double rate) {
        return rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate);
    }
}
