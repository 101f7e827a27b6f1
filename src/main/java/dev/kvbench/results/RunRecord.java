package dev.kvbench.results;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.JsonFiles;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A result file's {@code .meta.json}: what the run measured on (commit, JVM, ONNX Runtime, CPU, threads, model
 * checksums), how (matrix, dtype, call, forks, shard; an {@code ab} run's rounds), and what the bench found beside the
 * JMH figures (verdicts, token latency, recommendation, peak memory; interrupted; merged shards). Written and read
 * through {@link JsonFiles#MAPPER}, keys in snake case as before; a field this version does not know is kept as read
 * (a newer or older file merged or re-read loses nothing), and an absent one stays absent ({@code null}).
 *
 * <p>The figures sections (verdicts, token latency, recommendation, peak memory) keep their own JSON shapes, which the
 * classes that compute them write ({@code StrategyVerdicts}, {@code TokenLatency}, {@code Recommendation},
 * {@code PeakMemory}); this record types everything around them.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"git_sha", "git_short_sha", "git_commit_date", "git_dirty", "run_date", "jvm", "onnxruntime", "cpu_model",
        "cores", "os", "threads", "matrix", "models", "machine_limits", "dtype", "ort_call", "forks", "no_cache_max_tokens",
        "shard", "ab_rounds", "ab_bench", "ab_params", "ab_strategies"})
public final class RunRecord {
    /** The threads every measurement ran with. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Threads(int onnxruntimeIntraOp, int onnxruntimeInterOp, String executionMode, int jmhThreads) {
        /** {@code intraOp} ONNX Runtime threads, one inter-op, sequential execution, one JMH thread. */
        public static Threads of(int intraOp) {
            return new Threads(intraOp, 1, "sequential", 1);
        }
    }

    /** This machine's limits for the roofline, and how they were probed. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record MachineLimits(double readBytesPerSecond, double matmulMacsPerSecond, String probe) {
    }

    /** An interrupted run: how many of its planned parts finished. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Interrupted(int finishedParts, int plannedParts) {
    }

    /** A lossy cache's accuracy, in words, next to its verdict. */
    public record LossyAccuracy(String strategy, String accuracy) {
    }

    /** One shard of a merged run. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MergedShard(String file, String shard, String cpuModel, String runDate, JsonNode strategyVerdicts) {
    }

    public String gitSha;
    public String gitShortSha;
    public String gitCommitDate;
    public Boolean gitDirty;
    public String runDate;
    public String jvm;
    public String onnxruntime;
    public String cpuModel;
    public Integer cores;
    public String os;
    public Threads threads;
    /** The bench matrix (quick, default, full), or "ab". */
    public String matrix;
    /** Per model folder, per file: its SHA-256 (or "error"). */
    public Map<String, Map<String, String>> models;
    public MachineLimits machineLimits;
    public String dtype;
    public String ortCall;
    public Integer forks;
    public Integer noCacheMaxTokens;
    /** "K/N" for a shard of a run; absent for a whole run (and a merged one). */
    public String shard;
    /**
     * The paired measurement's settings ({@code dev.kvbench.paired}); the keys keep the {@code ab_} of the command that
     * first wrote them, so older files and the history read on.
     */
    public Integer abRounds;
    public String abBench;
    public String abParams;
    /** An {@code ab --strategies} run: its reference and candidates, comma-separated. */
    public String abStrategies;
    public List<JsonNode> peakMemory;
    public JsonNode strategyVerdicts;
    public JsonNode tokenLatency;
    public JsonNode recommendation;
    public List<LossyAccuracy> lossyAccuracy;
    public Interrupted interrupted;
    public List<MergedShard> mergedShards;

    private final Map<String, JsonNode> other = new LinkedHashMap<>();

    /** Fields this version does not know, kept as read. */
    @JsonAnyGetter
    public Map<String, JsonNode> other() {
        return other;
    }

    @JsonAnySetter
    public void other(String name, JsonNode value) {
        other.put(name, value);
    }

    /** The commit as a report labels it: the short sha, "+dirty" when the tree had changes; "" when unknown. */
    public String commitLabel() {
        String sha = gitShortSha != null ? gitShortSha : gitSha != null ? gitSha : "";
        return sha.isEmpty() ? "" : sha + (Boolean.TRUE.equals(gitDirty) ? "+dirty" : "");
    }

    /** Reads a {@code .meta.json}; a file that is not such a record (broken, wrong types) is one line of bad input. */
    public static RunRecord read(Path file) {
        return of(JsonFiles.read(file, "run metadata file"), file);
    }

    /** The record in a JSON tree read from {@code file} (named in errors). */
    public static RunRecord of(JsonNode tree, Path file) {
        if (!tree.isObject()) {
            throw new KvbenchException(file + " is not a JSON object");
        }
        try {
            return JsonFiles.MAPPER.treeToValue(tree, RunRecord.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new KvbenchException(file + " is not a run metadata file: " + KvbenchException.firstLine(e.getMessage()));
        }
    }

    /** This record as a JSON tree. */
    public JsonNode tree() {
        return JsonFiles.MAPPER.valueToTree(this);
    }

    /** The file's bytes: pretty-printed JSON. */
    public byte[] bytes() {
        try {
            return JsonFiles.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An independent copy (two sides of an {@code ab} run start from one description). */
    public RunRecord copy() {
        return JsonFiles.MAPPER.convertValue(tree(), RunRecord.class);
    }

    /** Adds a peak-memory figure (the PeakMemory JSON line of one run). */
    public void addPeakMemory(JsonNode figures) {
        if (peakMemory == null) {
            peakMemory = new ArrayList<>();
        }
        peakMemory.add(figures);
    }
}
