package dev.kvbench.cli;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.matrix.RunFiles;
import dev.kvbench.results.JmhResult;
import dev.kvbench.results.JmhResults;
import dev.kvbench.results.RunMeta;
import dev.kvbench.results.RunRecord;
import dev.kvbench.results.Summary;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Joins the result files of {@code bench --shard K/N} runs into one result file, as if one machine had run the whole
 * matrix: the same commit and the same model files, or nothing is written. The reference strategy's configurations,
 * which every shard runs, are kept once (from the first shard); each shard's metadata and verdict stay in the merged
 * metadata.
 */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Join the result files of `bench --shard K/N` runs (same commit, same model files) into one result "
                + "file with its .meta.json and .summary.txt; compare, report and history read it like any other.")
final class MergeCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", paramLabel = "SHARD.json", description = "The shards' result files (with their .meta.json).")
    List<Path> shards;

    @Option(names = "--out", required = true, description = "The merged result file; neither it nor its sidecars may exist.")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        RunFiles files = RunFiles.forResults(out);
        files.checkNoneExists();
        Cli.checkWritable(files.results().getParent());
        ObjectMapper m = JsonFiles.MAPPER;
        ArrayNode merged = m.createArrayNode();
        RunRecord meta = null;
        List<RunRecord.MergedShard> shardMeta = new java.util.ArrayList<>();
        Set<String> keys = new HashSet<>();
        int duplicates = 0;
        // The split first, from the metadata alone: a shard twice, missing or interrupted is refused before any merging.
        // (A file given twice is the same shard twice.)
        Split split = new Split();
        List<RunRecord> metas = new java.util.ArrayList<>();
        for (Path shard : shards) {
            Path metaFile = RunMeta.sidecar(shard, ".meta.json");
            if (!Files.isRegularFile(metaFile)) {
                throw new KvbenchException(shard + " has no .meta.json: merge checks that every shard measured the same "
                        + "commit and model files");
            }
            metas.add(RunRecord.read(metaFile));
            split.add(shard, metas.get(metas.size() - 1));
        }
        split.checkComplete();
        for (int f = 0; f < shards.size(); f++) {
            Path shard = shards.get(f);
            List<JmhResult> parsed = JmhResults.read(shard); // strict: what is merged is valid
            JsonNode raw = JsonFiles.read(shard, "result file");
            RunRecord sm = metas.get(f);
            if (meta == null) {
                meta = sm.copy();
            } else {
                String sha = Objects.toString(meta.gitSha, "");
                if (!sha.equals(Objects.toString(sm.gitSha, ""))) {
                    throw new KvbenchException("refusing to merge different commits: " + shards.get(0) + " measured "
                            + shortSha(sha) + ", " + shard + " " + shortSha(Objects.toString(sm.gitSha, "")));
                }
                List<String> differ = RunMeta.modelWarnings(meta.models, sm.models, shards.get(0).getFileName()
                        .toString(), shard.getFileName().toString());
                if (!differ.isEmpty()) {
                    throw new KvbenchException("refusing to merge: " + differ.get(0));
                }
                if (!Objects.equals(meta.models, sm.models)) {
                    throw new KvbenchException("refusing to merge results of different models: " + shards.get(0) + " and " + shard);
                }
            }
            shardMeta.add(new RunRecord.MergedShard(shard.toString(), Objects.toString(sm.shard, ""),
                    Objects.toString(sm.cpuModel, ""), Objects.toString(sm.runDate, ""),
                    sm.strategyVerdicts));
            for (int i = 0; i < parsed.size(); i++) {
                if (keys.add(parsed.get(i).key())) {
                    merged.add(raw.get(i));
                } else {
                    duplicates++;
                }
            }
        }
        meta.shard = null;
        meta.mergedShards = shardMeta;
        List<JmhResult> results = JmhResults.parse(merged, files.results().toString());
        String summary = "kvbench merged run: " + shards.size() + " shards, " + results.size() + " configurations\n"
                + Summary.render(results);
        // Each file only under a new name: a second merge to the same --out at the same moment fails instead of
        // replacing this one's files (the names were checked free before the work; this holds them to it).
        java.nio.file.Path current = files.results();
        try {
            AtomicFiles.writeNew(current, m.writerWithDefaultPrettyPrinter().writeValueAsBytes(merged));
            current = files.meta();
            AtomicFiles.writeNew(current, meta.bytes());
            current = files.summary();
            AtomicFiles.writeNew(current, summary);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new KvbenchException(current + " exists: results are never overwritten (another merge to the same --out?)");
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf("merged %d configurations from %d shards (%d kept once: run by every shard) into %s%nmeta:    %s%n"
                + "summary: %s%n", results.size(), shards.size(), duplicates, files.results(), files.meta(), files.summary());
        o.flush();
        return 0;
    }

    private static String shortSha(String sha) {
        return sha.length() > 8 ? sha.substring(0, 8) : sha.isEmpty() ? "(unknown)" : sha;
    }

    /**
     * The shards given must be one whole split: every file a shard ({@code "shard": "K/N"} in its metadata) of the same
     * N, each K from 1 to N exactly once, none interrupted. Anything else would drop rows (a shard given twice or
     * missing, a whole run given as a shard) or hide an interrupted shard's missing parts.
     */
    static final class Split {
        private final java.util.Map<Integer, Path> byIndex = new java.util.TreeMap<>();
        private int of;
        private Path first;
        private String twice;

        void add(Path file, RunRecord meta) {
            String label = Objects.toString(meta.shard, "");
            java.util.regex.Matcher k = java.util.regex.Pattern.compile("(\\d+)/(\\d+)").matcher(label);
            if (!k.matches()) {
                throw new KvbenchException(file + " is not a shard (its .meta.json names no shard K/N: a whole run): merge "
                        + "joins the shards of one `bench --shard K/N` run");
            }
            int index = Integer.parseInt(k.group(1));
            int n = Integer.parseInt(k.group(2));
            if (first == null) {
                first = file;
                of = n;
            } else if (n != of) {
                throw new KvbenchException(first + " is a shard of " + of + " but " + file + " is shard " + label
                        + ": shards of different splits");
            }
            if (meta.interrupted != null) {
                throw new KvbenchException(file + " (shard " + label + ") was interrupted after "
                        + meta.interrupted.finishedParts() + " of " + meta.interrupted.plannedParts()
                        + " parts: run that shard again; merge joins whole shards");
            }
            Path other = byIndex.putIfAbsent(index, file);
            if (other != null && twice == null) {
                twice = "shard " + label + " is given twice (" + other + " and " + file + ")";
            }
        }

        void checkComplete() {
            String missing = missing();
            if (twice != null) {
                throw new KvbenchException(twice + missing);
            }
            if (!missing.isEmpty()) {
                throw new KvbenchException(missing.substring(2) + ": merge needs every shard of the run (given: "
                        + byIndex.keySet().stream().map(i -> i + "/" + of).collect(java.util.stream.Collectors.joining(", "))
                        + ")");
            }
        }

        private String missing() {
            List<String> absent = new java.util.ArrayList<>();
            for (int i = 1; i <= of; i++) {
                if (!byIndex.containsKey(i)) {
                    absent.add(i + "/" + of);
                }
            }
            return absent.isEmpty() ? "" : "; " + (absent.size() == 1 ? "shard " + absent.get(0) + " is missing"
                    : "shards " + String.join(", ", absent) + " are missing");
        }
    }
}
