package dev.kvbench.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.decode.Engine;
import dev.kvbench.decode.Perplexity;
import dev.kvbench.model.Model;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.tokenizer.TextTokenizer;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * {@code score --candidates-file} (decoder-only: each line a continuation of {@code --prompt}) and {@code score
 * --targets-file} (encoder-decoder: each line a target of {@code --source}, n-best rescoring): every candidate's
 * log-likelihood given the one prompt, ranked. With {@code --reuse-prefix on} (the default) the prompt is computed
 * once, copied into the rows of each {@code --batch-size} batch of candidates, and the sequence rewound after each
 * batch; {@code off} computes it again per candidate, the same scores.
 */
final class CandidateScoring {
    private CandidateScoring() {
    }

    /** A candidate as read: its line, its text and its token ids. */
    private record Candidate(String where, String text, long[] ids) {
    }

    static int run(ModelOptions o, Path file, String option, String source, boolean reusePrefix, int rows,
                   OutputFormat format, PrintWriter out) {
        InputFile f = InputFile.read(file, option);
        try (Engine engine = o.open()) {
            Model m = engine.model();
            long[] prompt;
            List<Candidate> candidates = new ArrayList<>();
            try (TextTokenizer tokenizer = o.tokenizer(m, true)) {
                prompt = m.encoderDecoder() ? o.textIds(m, tokenizer, source) : o.promptIds(m, tokenizer);
                for (int i = 0; i < f.lines().size(); i++) {
                    String line = f.lines().get(i);
                    String where = f.where(i);
                    long[] text = tokenizer.encode(line);
                    long[] ids = m.encoderDecoder() ? withEos(m, text) : text;
                    if (ids.length == 0) {
                        throw new KvbenchException(where + ": empty candidate");
                    }
                    long positions = (m.encoderDecoder() ? 1 : prompt.length) + (long) ids.length;
                    if (positions > m.maxPositions()) {
                        throw new KvbenchException(where + ": " + (m.encoderDecoder() ? "the start token" : "the prompt's "
                                + prompt.length + " tokens") + " + " + ids.length + " candidate tokens = " + positions
                                + " positions, beyond the model's " + m.maxPositions());
                    }
                    try {
                        engine.generator().checkTokenIds(ids);
                    } catch (KvbenchException e) {
                        throw new KvbenchException(InputFile.label(where, e.getMessage()), e);
                    }
                    candidates.add(new Candidate(where, line, ids));
                }
            }
            if (candidates.isEmpty()) {
                throw new KvbenchException(option + " " + file + " holds no candidates");
            }
            long t0 = System.nanoTime();
            List<Perplexity.Score> scores = Perplexity.givenPrefix(engine.generator(), prompt,
                    candidates.stream().map(Candidate::ids).toList(), reusePrefix, rows);
            double ms = (System.nanoTime() - t0) / 1e6;
            int[] order = IntStream.range(0, scores.size()).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -scores.get(i).logLikelihood()))
                    .mapToInt(Integer::intValue).toArray();
            int[] rank = new int[order.length];
            for (int r = 0; r < order.length; r++) {
                rank[order[r]] = r + 1;
            }
            String given = m.encoderDecoder() ? "a source of " + prompt.length + " tokens"
                    : "a prompt of " + prompt.length + " tokens";
            if (format == OutputFormat.JSON) {
                for (int i = 0; i < candidates.size(); i++) { // input order; each line says its rank
                    ObjectNode n = JsonFiles.MAPPER.createObjectNode();
                    n.put("line", i + 1).put("rank", rank[i]).put("tokens", scores.get(i).tokens())
                            .put("log_likelihood", scores.get(i).logLikelihood())
                            .put("perplexity", scores.get(i).perplexity()).put("strategy", o.strategy.id())
                            .put("reuse_prefix", reusePrefix).put("rows", Math.min(rows, candidates.size()))
                            .put("prompt_tokens", prompt.length)
                            .put("candidate", candidates.get(i).text());
                    out.println(n);
                }
            } else {
                String what = m.encoderDecoder() ? "the source encoded" : "the prompt computed";
                int batch = Math.min(rows, candidates.size());
                out.printf(Locale.ROOT, "%d candidates given %s, %s, %s, %s: %.0f ms%n", candidates.size(), given,
                        o.strategy, reusePrefix ? what + " once (--reuse-prefix on)"
                                : what + " for each (--reuse-prefix off)", batch == 1 ? "one candidate per step"
                                : batch + " candidates per batch (--batch-size)", ms);
                out.printf(Locale.ROOT, "%4s %15s %7s %11s %6s  %s%n", "rank", "log-likelihood", "tokens", "perplexity",
                        "line", "candidate");
                for (int i : order) {
                    out.printf(Locale.ROOT, "%4d %15.6f %7d %11.4f %6d  %s%n", rank[i], scores.get(i).logLikelihood(),
                            scores.get(i).tokens(), scores.get(i).perplexity(), i + 1, candidates.get(i).text());
                }
            }
            out.flush();
            return 0;
        }
    }

    /** A target's ids, EOS last (as the model emits it). */
    private static long[] withEos(Model m, long[] text) {
        long[] out = java.util.Arrays.copyOf(text, text.length + 1);
        out[text.length] = m.config().eosTokenIds().iterator().next();
        return out;
    }
}
