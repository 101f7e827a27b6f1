package dev.kvbench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.model.Layout;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.support.Processes;
import dev.kvbench.runtime.OrtRuntime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The sidecar {@code .meta.json}: what a result was measured on (commit, JVM, ONNX Runtime, CPU, threads, model checksums). */
public final class RunMeta {
    private RunMeta() {
    }

    public static ObjectNode describe(Path repo, List<Path> modelFolders, int threads, String matrix) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode meta = mapper.createObjectNode();
        meta.put("git_sha", git(repo, "rev-parse", "HEAD"));
        meta.put("git_short_sha", gitShortSha(repo));
        meta.put("git_commit_date", git(repo, "log", "-1", "--format=%cI"));
        meta.put("git_dirty", !git(repo, "status", "--porcelain", "--untracked-files=no").isEmpty());
        meta.put("run_date", java.time.OffsetDateTime.now().withNano(0).toString());
        meta.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        meta.put("onnxruntime", OrtRuntime.version());
        meta.put("cpu_model", cpuModel());
        meta.put("cores", Runtime.getRuntime().availableProcessors());
        meta.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        ObjectNode t = meta.putObject("threads");
        t.put("onnxruntime_intra_op", threads);
        t.put("onnxruntime_inter_op", 1);
        t.put("execution_mode", "sequential");
        t.put("jmh_threads", 1);
        meta.put("matrix", matrix);
        meta.set("models", modelChecksums(modelFolders));
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
        JsonNode ma = readMeta(sidecar(a, ".meta.json"));
        JsonNode mb = readMeta(sidecar(b, ".meta.json"));
        if (ma == null || mb == null) {
            return List.of();
        }
        return modelWarnings(ma.path("models"), mb.path("models"), a.getFileName().toString(), b.getFileName().toString());
    }

    /** Warning lines for two {@code models} objects (folder name -> file -> SHA-256) that differ for a shared folder name. */
    public static List<String> modelWarnings(JsonNode a, JsonNode b, String nameA, String nameB) {
        List<String> warnings = new ArrayList<>();
        a.fieldNames().forEachRemaining(model -> {
            JsonNode fa = a.get(model);
            JsonNode fb = b.get(model);
            if (fb == null || fa.equals(fb)) {
                return;
            }
            Set<String> files = new TreeSet<>();
            fa.fieldNames().forEachRemaining(files::add);
            fb.fieldNames().forEachRemaining(files::add);
            List<String> differing = files.stream().filter(f -> !fa.path(f).equals(fb.path(f))).toList();
            warnings.add("model " + model + " differs between " + nameA + " and " + nameB + " (checksums of "
                    + String.join(", ", differing) + "): the figures are of different model files");
        });
        return warnings;
    }

    private static JsonNode readMeta(Path meta) {
        if (!Files.isRegularFile(meta)) {
            return null;
        }
        return JsonFiles.read(meta, "run metadata file");
    }

    /** SHA-256 of every regular file in each model folder and its onnx/ subfolder ({@code onnx/model_q4.onnx}), by folder name. */
    public static ObjectNode modelChecksums(List<Path> modelFolders) {
        ObjectNode models = new ObjectMapper().createObjectNode();
        for (Path folder : modelFolders) {
            ObjectNode files = models.putObject(folder.getFileName().toString());
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
