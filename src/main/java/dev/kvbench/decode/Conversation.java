package dev.kvbench.decode;

import dev.kvbench.KvbenchException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation with a decoder-only model: turns of user tokens, each followed by a generated reply, every turn
 * appended to all that came before. With {@code keepCache} the sequence stays begun across turns and each turn is
 * appended to it ({@link Generator#extend}): the history is never computed again. Without, each reply is a new
 * generation over the whole history so far: the same tokens (greedy, or a seeded sampler restarted per reply), the
 * history's prefill paid per turn.
 */
public final class Conversation {
    private Conversation() {
    }

    /** The replies, one per turn: up to {@code maxNewTokens} tokens each, ending at EOS unless {@code ignoreEos}. */
    public static List<int[]> replies(Generator generator, List<long[]> turns, int maxNewTokens, boolean ignoreEos,
                                      NextToken next, boolean keepCache) {
        if (generator.model().encoderDecoder()) {
            throw new KvbenchException("a conversation continues a decoder-only model's text; this is an encoder-decoder "
                    + "model");
        }
        if (turns.isEmpty()) {
            throw new KvbenchException("no turns");
        }
        for (long[] t : turns) {
            if (t.length == 0) {
                throw new KvbenchException("empty turn");
            }
        }
        List<int[]> replies = new ArrayList<>();
        if (!keepCache) {
            long[] history = new long[0];
            for (long[] turn : turns) {
                history = concat(history, turn);
                int[] reply = generator.generate(history, maxNewTokens, ignoreEos, next, null).tokens();
                replies.add(reply);
                history = concat(history, Arrays.stream(reply).asLongStream().toArray());
            }
            return replies;
        }
        long later = turns.stream().skip(1).mapToLong(t -> t.length).sum() + (long) turns.size() * maxNewTokens;
        generator.begin(turns.get(0), Math.toIntExact(Math.min(Integer.MAX_VALUE, later)));
        try {
            for (int t = 0; t < turns.size(); t++) {
                if (t > 0) {
                    generator.extend(turns.get(t));
                }
                next.restart(1); // per reply, as a new generation restarts it: a seeded sampler draws the same tokens
                int[] reply = new int[maxNewTokens];
                int n = 0;
                while (n < maxNewTokens) {
                    int token = generator.step(next, n);
                    reply[n++] = token;
                    if (!ignoreEos && generator.model().config().isEos(token)) {
                        break;
                    }
                }
                replies.add(Arrays.copyOf(reply, n));
            }
        } finally {
            generator.finish();
        }
        return replies;
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
