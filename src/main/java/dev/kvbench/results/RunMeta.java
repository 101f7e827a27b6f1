package dev.kvbench.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kvbench.runtime.OrtRuntime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
        meta.put("git_dirty", !git(repo, "status", "--porcelain", "--untracked-files=no").isEmpty());
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
        ObjectNode models = meta.putObject("models");
        for (Path folder : modelFolders) {
            ObjectNode files = models.putObject(folder.getFileName().toString());
            try (Stream<Path> list = Files.list(folder)) {
                for (Path f : list.sorted().toList()) {
                    if (Files.isRegularFile(f)) {
                        files.put(f.getFileName().toString(), sha256(f));
                    }
                }
            } catch (IOException e) {
                files.put("error", e.getMessage());
            }
        }
        return meta;
    }

    public static String gitShortSha(Path repo) {
        String sha = git(repo, "rev-parse", "--short", "HEAD");
        return sha.isEmpty() ? "nogit" : sha;
    }

    static String git(Path repo, String... args) {
        try {
            String[] cmd = new String[args.length + 3];
            cmd[0] = "git";
            cmd[1] = "-C";
            cmd[2] = repo.toString();
            System.arraycopy(args, 0, cmd, 3, args.length);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            return p.exitValue() == 0 ? out : "";
        } catch (IOException | InterruptedException | IllegalThreadStateException e) {
            return "";
        }
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
