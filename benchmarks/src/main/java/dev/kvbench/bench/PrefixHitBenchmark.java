package dev.kvbench.bench;

import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.decode.Generator;
import dev.kvbench.results.BenchmarkContract;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Time to first token of a request whose prompt is a kept prefix of {@code prefixTokens} plus {@code suffixTokens} new
 * ones (a system prompt, then the user's text): {@code hit=on} rewinds to the prefix kept from the last request and
 * feeds only the suffix (llama.cpp's {@code --cache-reuse}, a prefix-cache hit); {@code off} prefills the whole prompt
 * cold, as {@code PrefillBenchmark} does. The rewind back to the prefix after each request is part of the operation
 * (free for a preallocated cache, a crop of the past for a concatenating one). Decoder-only models.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class PrefixHitBenchmark extends EngineState {
    @Param({"kv", "static", "static-gqa", "static-gqa-int8"})
    public String strategy;

    @Param({"64", "512", "2048"})
    public int prefixTokens;

    @Param({"16"})
    public int suffixTokens;

    @Param({"on", "off"})
    public String hit;

    private long[] suffix;
    private long[] whole;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.PREFIX_HIT + " strategy=" + strategy + " prefixTokens=" + prefixTokens + " hit=" + hit,
                strategy, 10, 1);
        if (engine.model().encoderDecoder()) {
            throw new IllegalStateException("PrefixHitBenchmark is for decoder-only models");
        }
        // The prefix, shortened where the model's positions leave no room for the suffix and a first token.
        prompt = FixedPrompts.prompt(engine.model(),
                Math.min(prefixTokens, engine.model().maxPositions() - suffixTokens - 1));
        suffix = FixedPrompts.continuations(engine.model(), 1, suffixTokens).get(0);
        whole = java.util.Arrays.copyOf(prompt, prompt.length + suffix.length);
        System.arraycopy(suffix, 0, whole, prompt.length, suffix.length);
        if (hit.equals("on")) {
            engine.generator().prefill(prompt, suffixTokens + 1); // the kept prefix, computed once
        }
    }

    @Benchmark
    public int firstToken(SharedPromptCounters counters) {
        Generator g = engine.generator();
        if (hit.equals("off")) {
            int token = g.generate(whole, 1, true, greedy, null).tokens()[0];
            counters.add(g.cacheBytesHeld());
            return token;
        }
        g.extend(suffix);
        int token = g.step(greedy, 0);
        g.rewind(prompt.length); // back to the kept prefix for the next request
        counters.add(g.cacheBytesHeld());
        return token;
    }
}
