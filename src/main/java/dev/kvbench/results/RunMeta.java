package dev.kvbench.results;


import dev.kvbench.model.Layout;
import dev.kvbench.runtime.OrtRuntime;
import dev.kvbench.support.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The sidecar {@code .meta.json}: what a result was measured on (commit, JVM, ONNX Runtime, CPU, threads, model checksums). */
public final class RunMeta {
    private RunMeta() {
    }

    /** The record every run starts from: the commit of {@code repo}, this JVM and machine, threads, model checksums. */
    public static RunRecord describe(Path repo, List<Path> modelFolders, int threads, String matrix) {
        RunRecord meta = new RunRecord();
        meta.gitSha = git(repo, "rev-parse", "HEAD");
        meta.gitShortSha = gitShortSha(repo);
        meta.gitCommitDate = git(repo, "log", "-1", "--format=%cI");
        meta.gitDirty = !git(repo, "status", "--porcelain", "--untracked-files=no").isEmpty();
        meta.runDate = java.time.OffsetDateTime.now().withNano(0).toString();
        meta.jvm = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        meta.onnxruntime = OrtRuntime.version();
        meta.cpuModel = cpuModel();
        meta.cores = Runtime.getRuntime().availableProcessors();
        meta.os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
        meta.threads = RunRecord.Threads.of(threads);
        meta.matrix = matrix;
        meta.models = modelChecksums(modelFolders);
        return meta;
    }

    public static String gitShortSha(Path repo) {
        String sha = git(repo, "rev-parse", "--short", "HEAD");
        return sha.isEmpty() ? "nogit" : sha;
    }

    static String git(Path repo, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", repo.toString()));
        cmd.addAll(List.of(args));
        Processes.Outcome o = Processes.run(repo, 30, cmd);
        return o.ok() ? o.output().trim() : "";
    }

    /** The sidecar of a result file: {@code x.json} -> {@code x.meta.json} (or another suffix). */
    public static Path sidecar(Path json, String suffix) {
        String name = json.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return json.resolveSibling(stem + suffix);
    }

    /**
     * Warning lines for two result files whose {@code .meta.json} sidecars record different files or checksums for a
     * model of the same name: their figures are of different models. Nothing when either sidecar is absent.
     */
    public static List<String> modelWarnings(Path a, Path b) {
        RunRecord ma = readMeta(sidecar(a, ".meta.json"));
        RunRecord mb = readMeta(sidecar(b, ".meta.json"));
        if (ma == null || mb == null) {
            return List.of();
        }
        return modelWarnings(ma.models, mb.models, a.getFileName().toString(), b.getFileName().toString());
    }

    /** Warning lines for two {@code models} maps (folder name -> file -> SHA-256) that differ for a shared folder name. */
    public static List<String> modelWarnings(Map<String, Map<String, String>> a, Map<String, Map<String, String>> b,
                                             String nameA, String nameB) {
        List<String> warnings = new ArrayList<>();
        if (a == null || b == null) {
            return warnings;
        }
        a.forEach((model, fa) -> {
            Map<String, String> fb = b.get(model);
            if (fb == null || fa.equals(fb)) {
                return;
            }
            Set<String> files = new TreeSet<>(fa.keySet());
            files.addAll(fb.keySet());
            List<String> differing = files.stream().filter(f -> !Objects.equals(fa.get(f), fb.get(f))).toList();
            warnings.add("model " + model + " differs between " + nameA + " and " + nameB + " (checksums of "
                    + String.join(", ", differing) + "): the figures are of different model files");
        });
        return warnings;
    }

    private static RunRecord readMeta(Path meta) {
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        return RunRecord.read(meta);
    }

    /** SHA-256 of every regular file in each model folder and its onnx/ subfolder ({@code onnx/model_q4.onnx}), by folder name. */
    public static Map<String, Map<String, String>> modelChecksums(List<Path> modelFolders) {
        Map<String, Map<String, String>> models = new LinkedHashMap<>();
        for (Path folder : modelFolders) {
            Map<String, String> files = new LinkedHashMap<>();
            models.put(folder.getFileName().toString(), files);
            try (Stream<Path> list = Files.list(folder)) {
                for (Path f : list.sorted().toList()) {
                    if (Files.isRegularFile(f)) {
                        files.put(f.getFileName().toString(), sha256(f));
                    }
                }
                Path graphs = folder.resolve(Layout.ONNX_SUBFOLDER);
                if (Files.isDirectory(graphs)) {
                    try (Stream<Path> inner = Files.list(graphs)) {
                        for (Path f : inner.sorted().toList()) {
                            if (Files.isRegularFile(f)) {
                                files.put(Layout.ONNX_SUBFOLDER + "/" + f.getFileName(), sha256(f));
                            }
                        }
                    }
                }
            } catch (IOException e) {
                files.put("error", e.getMessage());
            }
        }
        return models;
    }

    static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            return "unreadable: " + e.getMessage();
        }
    }
}
