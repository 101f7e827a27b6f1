package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.model.Model;
import dev.kvbench.serve.Workload;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A serving trace: JSON Lines, one request per line, {@code {"arrival_ms": T, "prompt": "text"} } or with
 * {@code "prompt_ids": [ids]} instead of the text, and {@code "max_new_tokens": N}, optionally
 * {@code "cancel_after_tokens": K} (the client cancels after K tokens: its row is freed at the next step) (an empty line is an error, as in
 * every input file); requests are numbered in file order and replayed at their arrival times (which need not be sorted). Text prompts are
 * tokenized as {@code generate}'s are (BOS first for a decoder-only model, EOS last for a source).
 */
final class TraceFile {
    private TraceFile() {
    }

    static Workload read(Path file, Model model) {
        InputFile f = InputFile.read(file, "--trace");
        List<Workload.Request> out = new ArrayList<>();
        TextTokenizer tokenizer = null;
        try {
            for (int i = 0; i < f.lines().size(); i++) {
                String line = f.lines().get(i);
                String where = f.where(i);
                JsonNode n;
                try {
                    n = JsonFiles.MAPPER.readTree(line);
                } catch (java.io.IOException e) {
                    throw new KvbenchException(where + ": not a JSON object");
                }
                if (n == null || !n.isObject()) {
                    throw new KvbenchException(where + ": not a JSON object");
                }
                JsonNode at = n.get("arrival_ms");
                if (at == null || !at.isNumber() || !(at.asDouble() >= 0) || !Double.isFinite(at.asDouble())) {
                    throw new KvbenchException(where + ": arrival_ms must be a number of milliseconds >= 0");
                }
                JsonNode max = n.get("max_new_tokens");
                if (max == null || !max.canConvertToInt() || !max.isIntegralNumber() || max.asInt() < 1) {
                    throw new KvbenchException(where + ": max_new_tokens must be a whole number >= 1");
                }
                boolean text = n.has("prompt");
                if (text == n.has("prompt_ids")) {
                    throw new KvbenchException(where + ": give exactly one of prompt and prompt_ids");
                }
                long[] ids;
                if (text) {
                    if (!n.get("prompt").isTextual()) {
                        throw new KvbenchException(where + ": prompt must be a string");
                    }
                    if (tokenizer == null) {
                        tokenizer = TextTokenizer.load(model.folder(), model.vocab());
                    }
                    ids = new ModelOptions().textIds(model, tokenizer, n.get("prompt").asText());
                } else {
                    JsonNode a = n.get("prompt_ids");
                    if (!a.isArray() || a.isEmpty()) {
                        throw new KvbenchException(where + ": prompt_ids must be a non-empty array of token ids");
                    }
                    ids = new long[a.size()];
                    for (int k = 0; k < ids.length; k++) {
                        JsonNode v = a.get(k);
                        if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() >= model.vocab()) {
                            throw new KvbenchException(where + ": prompt_ids[" + k + "] " + v + " is not a token id in [0, "
                                    + model.vocab() + ")");
                        }
                        ids[k] = v.asLong();
                    }
                }
                for (var it = n.fieldNames(); it.hasNext(); ) {
                    String name = it.next();
                    if (!List.of("arrival_ms", "prompt", "prompt_ids", "max_new_tokens", "cancel_after_tokens").contains(name)) {
                        throw new KvbenchException(where + ": unknown field '" + name + "'");
                    }
                }
                int cancel = 0;
                JsonNode c = n.get("cancel_after_tokens");
                if (c != null) {
                    if (!c.isIntegralNumber() || !c.canConvertToInt() || c.asInt() < 1) {
                        throw new KvbenchException(where + ": cancel_after_tokens must be a whole number >= 1");
                    }
                    cancel = c.asInt();
                }
                out.add(new Workload.Request(out.size(), (long) (at.asDouble() * 1e6), ids, max.asInt(), cancel));
            }
        } finally {
            if (tokenizer != null) {
                tokenizer.close();
            }
        }
        if (out.size() > 4096) {
            throw new KvbenchException("--trace " + file + " holds " + out.size() + " requests; at most 4096");
        }
        return new Workload(out);
    }
}
