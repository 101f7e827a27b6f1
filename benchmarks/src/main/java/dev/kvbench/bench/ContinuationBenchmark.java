package dev.kvbench.bench;

import dev.kvbench.decode.Conversation;
import dev.kvbench.decode.FixedPrompts;
import dev.kvbench.results.BenchmarkContract;
import java.util.ArrayList;
import java.util.List;
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
 * A conversation: {@code turns} turns of {@code turnTokens} tokens, each followed by a greedy reply of
 * {@code replyTokens} tokens ({@link Conversation#replies}). {@code reuse=on} keeps the cache across turns and appends
 * each turn to it; {@code off} generates each reply anew over the whole history, as a stateless service would. What
 * reuse saves grows with the turns: the history's prefill, once per turn. Decoder-only models.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class ContinuationBenchmark extends EngineState {
    @Param({"kv", "static", "static-gqa", "static-gqa-int8"})
    public String strategy;

    @Param({"4", "8"})
    public int turns;

    @Param({"32", "128"})
    public int turnTokens;

    @Param({"16"})
    public int replyTokens;

    @Param({"on", "off"})
    public String reuse;

    private List<long[]> conversation;

    @Setup(Level.Trial)
    public void open() {
        open(BenchmarkContract.CONTINUATION + " strategy=" + strategy + " turns=" + turns + " reuse=" + reuse, strategy,
                10, 1);
        if (engine.model().encoderDecoder()) {
            throw new IllegalStateException("ContinuationBenchmark is for decoder-only models");
        }
        conversation = new ArrayList<>();
        conversation.add(FixedPrompts.prompt(engine.model(), turnTokens));
        conversation.addAll(FixedPrompts.continuations(engine.model(), turns - 1, turnTokens));
    }

    @Benchmark
    public int converse(SharedPromptCounters counters) {
        List<int[]> replies = Conversation.replies(engine.generator(), conversation, replyTokens, true, greedy,
                reuse.equals("on"));
        counters.add(engine.generator().cacheBytesHeld());
        return replies.get(replies.size() - 1)[replyTokens - 1];
    }
}
