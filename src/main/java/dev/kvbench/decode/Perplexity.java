package dev.kvbench.decode;


import dev.kvbench.KvbenchException;
import dev.kvbench.runtime.LogitsSink;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores under a model, computed two ways through the same decoding loop, for a batch of rows at once: in one forward
 * pass (the strategy's first step over whole texts, every row of the logits read), and incrementally, one token per
 * step through the strategy's cache, each next token forced. Decoder-only models score a text's tokens after the
 * first (the re-ranking use case); encoder-decoder models score a target given a source (translation scoring): every
 * target token, after the decoder start token.
 */
public final class Perplexity {
    private Perplexity() {
    }

    /** A row's score: the summed log-likelihood of its scored tokens, and how many there were. */
    public record Score(double logLikelihood, int tokens) {
        public double perplexity() {
            return Math.exp(-logLikelihood / tokens);
        }
    }

    /** Perplexity of one text from one pass over it. */
    public static double fullPass(Generator generator, long[] ids) {
        return fullPass(generator, List.of(ids)).get(0).perplexity();
    }

    /** Perplexity of one text fed one token at a time through {@code generator}'s cache. */
    public static double incremental(Generator generator, long[] ids) {
        return incremental(generator, List.of(ids)).get(0).perplexity();
    }

    /** Decoder-only texts, one forward pass for the batch. */
    public static List<Score> fullPass(Generator generator, List<long[]> texts) {
        requireKind(generator, false);
        return score(generator, List.of(), firstTokens(texts), rest(texts), true);
    }

    /** Decoder-only texts, incrementally through the cache. */
    public static List<Score> incremental(Generator generator, List<long[]> texts) {
        requireKind(generator, false);
        return score(generator, List.of(), firstTokens(texts), rest(texts), false);
    }

    /** Encoder-decoder: each target given its source, one forward pass of the decoder (teacher forcing). */
    public static List<Score> fullPass(Generator generator, List<long[]> sources, List<long[]> targets) {
        requireKind(generator, true);
        return score(generator, sources, starts(generator, targets.size()), checkTargets(sources, targets), true);
    }

    /** Encoder-decoder: each target given its source, one target token per step through the cache. */
    public static List<Score> incremental(Generator generator, List<long[]> sources, List<long[]> targets) {
        requireKind(generator, true);
        return score(generator, sources, starts(generator, targets.size()), checkTargets(sources, targets), false);
    }

    /** {@link #givenPrefix(Generator, long[], List, boolean, int)} one candidate at a time. */
    public static List<Score> givenPrefix(Generator generator, long[] prompt, List<long[]> candidates, boolean reusePrefix) {
        return givenPrefix(generator, prompt, candidates, reusePrefix, 1);
    }

    /**
     * Each candidate's log-likelihood given one prompt: decoder-only, the candidate's tokens after the prompt's (the
     * re-ranking case); encoder-decoder, each candidate a target given the prompt as source (n-best rescoring).
     * Candidates go {@code rows} at a time as the rows of one batch, each batch in one step (every row's candidate but its
     * last token appended, {@link Generator#extend(List)}; shorter ones right-padded). With {@code reusePrefix} the
     * prompt is computed once, as one row: all of it but its last token (fed again with each batch, for the first
     * candidate token's logits); the cache is copied into the batch's rows ({@link Generator#repeat}) and, after each
     * batch, rewound to the prompt ({@link Generator#rewind}); an encoder-decoder model's encoder runs once and its
     * output is copied. Where the cache cannot take several columns per row over a past (static-gqa and its quantized
     * caches, {@link Generator#extendsSeveralRows}), the batch's rows advance one forced token per step instead. Without, each batch starts a new sequence of {@code rows} copies of the prompt, computed for
     * every row: the same scores, the prefill paid per candidate.
     */
    public static List<Score> givenPrefix(Generator generator, long[] prompt, List<long[]> candidates, boolean reusePrefix,
                                          int rows) {
        if (candidates.isEmpty()) {
            throw new KvbenchException("no candidates");
        }
        for (long[] c : candidates) {
            if (c.length < 1) {
                throw new KvbenchException("empty candidate");
            }
        }
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be at least 1, got " + rows);
        }
        boolean encoderDecoder = generator.model().encoderDecoder();
        long[] start = encoderDecoder ? starts(generator, 1).get(0) : prompt;
        int batch = Math.min(rows, candidates.size());
        int longest = candidates.stream().mapToInt(c -> c.length).max().orElse(0);
        double[] logLikelihood = new double[candidates.size()];
        boolean begun = false;
        try {
            for (int from = 0; from < candidates.size(); from += batch) {
                List<long[]> chunk = candidates.subList(from, Math.min(candidates.size(), from + batch));
                List<long[]> fed = new ArrayList<>(chunk);
                if (reusePrefix) {
                    if (begun) {
                        generator.rewind(start.length);
                    } else {
                        begun = true;
                        generator.prefill(prompt, longest);
                        generator.repeat(batch);
                    }
                    while (fed.size() < batch) { // the last batch's spare rows: a copy, its scores not read
                        fed.add(chunk.get(0));
                    }
                } else {
                    if (begun) {
                        generator.finish();
                    }
                    generator.begin(encoderDecoder ? java.util.Collections.nCopies(chunk.size(), prompt) : List.of(),
                            java.util.Collections.nCopies(chunk.size(), start), longest);
                    begun = true;
                }
                int fedLongest = fed.stream().mapToInt(c -> c.length).max().orElse(0);
                int first = from;
                if (reusePrefix && batch > 1 && !generator.extendsSeveralRows()) {
                    // One column per step for every row, each row's next token forced (GroupQueryAttention on CPU).
                    for (int i = 0; i < fedLongest; i++) {
                        int at = i;
                        generator.step((logits, row, step) -> {
                            long[] c = fed.get(row);
                            if (at >= c.length) {
                                return (int) generator.padId();
                            }
                            if (row < chunk.size()) {
                                logLikelihood[first + row] += logProb(logits, row, logits.columns() - 1, (int) c[at]);
                            }
                            return (int) c[at];
                        }, i);
                    }
                    continue;
                }
                generator.extend(fed.stream().map(c -> Arrays.copyOf(c, c.length - 1)).toList());
                // The step's last fedLongest columns predict each row's candidate tokens (a shorter one's first).
                generator.step((logits, row, step) -> {
                    long[] c = fed.get(row);
                    if (row < chunk.size()) {
                        for (int i = 0; i < c.length; i++) {
                            logLikelihood[first + row] += logProb(logits, row, logits.columns() - fedLongest + i,
                                    (int) c[i]);
                        }
                    }
                    return (int) c[c.length - 1];
                }, 0);
            }
        } finally {
            if (begun) {
                generator.finish();
            }
        }
        List<Score> scores = new ArrayList<>();
        for (int k = 0; k < candidates.size(); k++) {
            scores.add(new Score(logLikelihood[k], candidates.get(k).length));
        }
        return scores;
    }

    /**
     * Scores {@code scored[r]} after {@code prefixes[r]} (one token each): in one pass over prefix + scored tokens but
     * the last, or one forced token per step.
     */
    private static List<Score> score(Generator generator, List<long[]> sources, List<long[]> prefixes,
                                     List<long[]> scored, boolean onePass) {
        int rows = scored.size();
        double[] logLikelihood = new double[rows];
        if (onePass) {
            List<long[]> inputs = new ArrayList<>();
            for (int r = 0; r < rows; r++) {
                long[] in = Arrays.copyOf(prefixes.get(r), scored.get(r).length);
                System.arraycopy(scored.get(r), 0, in, 1, scored.get(r).length - 1);
                inputs.add(in);
            }
            generator.decode(sources, inputs, 1, true, (logits, row, step) -> {
                long[] s = scored.get(row);
                for (int i = 0; i < s.length; i++) {
                    logLikelihood[row] += logProb(logits, row, i, (int) s[i]); // column i predicts scored token i
                }
                return 0;
            }, null);
        } else {
            int longest = scored.stream().mapToInt(s -> s.length).max().orElse(0);
            generator.decode(sources, prefixes, longest, true, (logits, row, step) -> {
                long[] s = scored.get(row);
                if (step >= s.length) {
                    return (int) generator.padId();
                }
                logLikelihood[row] += logProb(logits, row, logits.columns() - 1, (int) s[step]);
                return (int) s[step];
            }, null);
        }
        List<Score> scores = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            scores.add(new Score(logLikelihood[r], scored.get(r).length));
        }
        return scores;
    }

    private static void requireKind(Generator generator, boolean encoderDecoder) {
        if (generator.model().encoderDecoder() != encoderDecoder) {
            throw new KvbenchException(encoderDecoder ? "scoring a target given a source needs an encoder-decoder model"
                    : "this is an encoder-decoder model: score a target given a source", encoderDecoder ? null
                    : KvbenchException.Remedy.SOURCE_AND_TARGET);
        }
    }

    private static List<long[]> firstTokens(List<long[]> texts) {
        for (long[] t : texts) {
            if (t.length < 2) {
                throw new KvbenchException("score needs at least 2 tokens, got " + t.length);
            }
        }
        return texts.stream().map(t -> new long[] {t[0]}).toList();
    }

    private static List<long[]> rest(List<long[]> texts) {
        return texts.stream().map(t -> Arrays.copyOfRange(t, 1, t.length)).toList();
    }

    private static List<long[]> starts(Generator generator, int rows) {
        long[] start = {generator.model().config().decoderStartTokenId()};
        return java.util.Collections.nCopies(rows, start);
    }

    private static List<long[]> checkTargets(List<long[]> sources, List<long[]> targets) {
        if (sources.size() != targets.size()) {
            throw new IllegalArgumentException(sources.size() + " sources for " + targets.size() + " targets");
        }
        for (long[] t : targets) {
            if (t.length < 1) {
                throw new KvbenchException("empty target");
            }
        }
        return targets;
    }

    /** log softmax(logits at row, column)[token], in double precision. */
    static double logProb(LogitsSink logits, int row, int column, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < logits.vocab(); t++) {
            max = Math.max(max, logits.at(row, column, t));
        }
        double sum = 0;
        for (int t = 0; t < logits.vocab(); t++) {
            sum += Math.exp(logits.at(row, column, t) - max);
        }
        double logProb = logits.at(row, column, token) - max - Math.log(sum);
        if (!Double.isFinite(max) || Double.isNaN(logProb)) {
            // The one-pass scorer reads every column of a row, not only the one the decoding loop checks.
            throw new KvbenchException("the model's logits are not finite at position " + column + (row > 0 ? " of row " + row : "")
                    + ": " + Generator.NOT_FINITE_CAUSE);
        }
        return logProb;
    }
}
