package dev.kvbench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What only a process of its own shows, run as a user runs it (the shaded jar, after {@code package}): a command line
 * of many KB, standard output on a full disk or a closed pipe, a C locale, and Ctrl-C during a bench run.
 */
class ProcessLevelIT {
    static final Path JAR = TestModels.ROOT.resolve("target/benchmarks.jar");
    static final String LLAMA = TestModels.LLAMA.toString();

    static ProcessBuilder kvbench(String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "-Dkvbench.root=" + TestModels.ROOT, "-cp", JAR.toString(),
                "dev.kvbench.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }

    record Ran(int code, String out, String err) {
    }

    static Ran run(ProcessBuilder pb, Path tmp) throws Exception {
        File out = tmp.resolve("out-" + System.nanoTime()).toFile();
        File err = tmp.resolve("err-" + System.nanoTime()).toFile();
        if (pb.redirectOutput().file() == null) {
            pb.redirectOutput(out);
        }
        pb.redirectError(err);
        Process p = pb.start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "finished in time");
        return new Ran(p.exitValue(), out.exists() ? Files.readString(out.toPath()) : "", Files.readString(err.toPath()));
    }

    static String ids(int n) {
        return String.join(",", Collections.nCopies(n, "5"));
    }

    @Test
    void aCommandLineOfManyKilobytesDoesNotCrash(@TempDir Path tmp) throws Exception {
        // 2,000 ids (about 4 KB) crashed ONNX Runtime's start-up on the JVM's main-thread stack (exit 139, no output).
        Ran wrongModel = run(kvbench("generate", "--model", tmp.resolve("nope").toString(), "--prompt-ids", ids(2000)), tmp);
        assertEquals(2, wrongModel.code(), wrongModel.err());
        assertTrue(wrongModel.err().contains("model folder not found"), wrongModel.err());
        Ran real = run(kvbench("generate", "--model", LLAMA, "--prompt-ids", ids(2000), "--max-new-tokens", "2",
                "--ignore-eos", "--format", "json"), tmp);
        assertEquals(0, real.code(), real.err());
        assertEquals(2000, new ObjectMapper().readTree(real.out()).path("prompt_tokens").asInt());
        // The longest single argument Linux passes (128 KiB): 30,000 ids.
        Ran longest = run(kvbench("generate", "--model", LLAMA, "--prompt-ids", ids(30000)), tmp);
        assertEquals(2, longest.code(), longest.err());
        assertTrue(longest.err().contains("prompt of 30000 tokens"), longest.err());
    }

    @Test
    void aFullDiskIsAnErrorNotASilentSuccess(@TempDir Path tmp) throws Exception {
        File full = new File("/dev/full");
        for (List<String> args : List.of(
                List.of("generate", "--model", LLAMA, "--prompt-ids", "1,2", "--max-new-tokens", "8"),
                List.of("generate", "--model", LLAMA, "--prompt-ids", "1,2", "--max-new-tokens", "8", "--format", "json"),
                List.of("compare", "--format", "json", ReliabilityTest.BENCH_RESULT.toString(), ReliabilityTest.BENCH_RESULT.toString()))) {
            Ran r = run(kvbench(args.toArray(String[]::new)).redirectOutput(full), tmp);
            assertEquals(2, r.code(), args + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("cannot write standard output: No space left on device"), r.err());
        }
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1,2\n3,4\n");
        Ran lines = run(kvbench("generate", "--model", LLAMA, "--prompt-ids-file", ids.toString(), "--format", "json",
                "--max-new-tokens", "4").redirectOutput(full), tmp);
        assertEquals(2, lines.code(), lines.err());
    }

    @Test
    void aClosedPipeStopsALongGeneration(@TempDir Path tmp) throws Exception {
        ProcessBuilder pb = kvbench("generate", "--model", LLAMA, "--prompt-ids", "1,2", "--max-new-tokens", "2000", "--ignore-eos");
        pb.redirectError(tmp.resolve("err").toFile());
        Process p = pb.start();
        InputStream out = p.getInputStream();
        assertTrue(out.read() >= 0, "the text starts");
        out.close(); // like `| head -c 1`
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(tmp.resolve("err"));
        assertEquals(2, p.exitValue(), err);
        assertTrue(err.contains("cannot write standard output"), err);
        assertFalse(err.contains("[kv: 2000 tokens"), "it stopped instead of generating on: " + err);
    }

    @Test
    void aNonAsciiPromptReadsTheSameUnderACLocale(@TempDir Path tmp) throws Exception {
        String prompt = "Grüße aus Köln — naïve café";
        ProcessBuilder utf8 = kvbench("score", "--model", LLAMA, "--prompt", prompt, "--format", "json");
        utf8.environment().put("LC_ALL", "C.UTF-8");
        ProcessBuilder c = kvbench("score", "--model", LLAMA, "--prompt", prompt, "--format", "json");
        Map<String, String> env = c.environment();
        env.keySet().removeIf(k -> k.startsWith("LC_") || k.equals("LANG"));
        env.put("LC_ALL", "C");
        Ran a = run(utf8, tmp);
        Ran b = run(c, tmp);
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        JsonNode x = new ObjectMapper().readTree(a.out());
        JsonNode y = new ObjectMapper().readTree(b.out());
        assertEquals(x.path("tokens").asInt(), y.path("tokens").asInt(), "same tokens under C and C.UTF-8");
        assertEquals(x.path("perplexity_full").asDouble(), y.path("perplexity_full").asDouble(), 0.0);
    }

    @Test
    void ctrlCKeepsWhatFinishedMarksTheRunAndLeavesNoTempFile(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run.json");
        ProcessBuilder pb = kvbench("bench", "--quick", "--strategies", "kv", "--out", out.toString());
        pb.redirectOutput(tmp.resolve("console").toFile()).redirectError(tmp.resolve("stderr").toFile());
        Process p = pb.start();
        long deadline = System.currentTimeMillis() + 240_000;
        while (!Files.readString(tmp.resolve("console")).contains("[3/") && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(Files.readString(tmp.resolve("console")).contains("[3/"), Files.readString(tmp.resolve("console")));
        // Ctrl-C is SIGINT; where this JVM was started with SIGINT ignored (a background job of a shell without job
        // control), its children ignore it too, so SIGTERM stands in: the same shutdown path, exit 128 + 15.
        boolean intIgnored = signalIgnored(2);
        new ProcessBuilder("kill", intIgnored ? "-TERM" : "-INT", String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String err = Files.readString(tmp.resolve("stderr"));
        assertEquals(intIgnored ? 143 : 130, p.exitValue(), err);
        assertTrue(err.contains("kvbench: interrupted: kept"), err);
        JsonNode meta = new ObjectMapper().readTree(tmp.resolve("run.meta.json").toFile());
        assertTrue(meta.path("interrupted").path("finished_parts").asInt() >= 2, meta.toString());
        String summary = Files.readString(tmp.resolve("run.summary.txt"));
        assertTrue(summary.startsWith("(interrupted after"), summary);
        assertTrue(summary.contains("GenerationBenchmark on tiny-llama"), summary);
        try (Stream<Path> left = Files.list(tmp)) {
            List<String> names = left.map(f -> f.getFileName().toString()).sorted().toList();
            assertEquals(List.of("console", "run.json", "run.log", "run.meta.json", "run.summary.txt", "stderr"), names,
                    "no temporary file is left");
        }
        assertTrue(new ObjectMapper().readTree(out.toFile()).size() >= 2);
    }

    /**
     * Ctrl-C during `ab --strategies` (the paired rounds the default bench starts with) leaves no kvbench-ab-* folder in
     * the temporary folder (it was left there before) and writes no result.
     */
    @Test
    void ctrlCOfPairedRoundsLeavesNoTemporaryFolder(@TempDir Path tmp) throws Exception {
        Path javaTmp = Files.createDirectories(tmp.resolve("java-tmp"));
        Path out = tmp.resolve("out"); // a new --out: an interrupted run leaves no empty folder either
        ProcessBuilder pb = new ProcessBuilder("java", "-Djava.io.tmpdir=" + javaTmp, "-Dkvbench.root=" + TestModels.ROOT,
                "-cp", JAR.toString(), "dev.kvbench.cli.Main", "ab", "--strategies", "kv,static-gqa", "-p", "newTokens=16",
                "--pairs", "5", "--rounds", "6", "--out", out.toString());
        pb.redirectOutput(tmp.resolve("console").toFile()).redirectError(tmp.resolve("stderr").toFile());
        Process p = pb.start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (!Files.readString(tmp.resolve("stderr")).contains("[round 1/6] done") && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        String before;
        try (Stream<Path> during = Files.list(javaTmp)) {
            before = during.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("kvbench-ab-")).findFirst().orElse("");
        }
        assertFalse(before.isEmpty(), "the rounds' folder exists while they run: " + Files.readString(tmp.resolve("stderr")));
        boolean intIgnored = signalIgnored(2);
        new ProcessBuilder("kill", intIgnored ? "-TERM" : "-INT", String.valueOf(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(intIgnored ? 143 : 130, p.exitValue(), Files.readString(tmp.resolve("stderr")));
        try (Stream<Path> left = Files.list(javaTmp)) {
            assertEquals(List.of(), left.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("kvbench-ab-")).toList());
        }
        assertFalse(Files.exists(out), "no result, and no empty --out folder, of an interrupted run");
    }

    /**
     * report --out and history --out on a full disk (a 16 KiB file-size limit: the first chart does not fit) leave
     * nothing: no folder with one PNG that blocked the rerun, no hidden work folder. The rerun then writes them.
     */
    @Test
    void aReportOnAFullDiskLeavesNothingAndTheRerunWorks(@TempDir Path tmp) throws Exception {
        // Two commits' files for history: the committed result, and a copy whose metadata names another commit.
        Path results = Files.createDirectories(tmp.resolve("results"));
        Path meta = ReliabilityTest.BENCH_RESULT.resolveSibling("bench-ff3ddf2.meta.json");
        Path a = Files.copy(ReliabilityTest.BENCH_RESULT, results.resolve("a.json"));
        Files.copy(meta, results.resolve("a.meta.json"));
        Path b = Files.copy(ReliabilityTest.BENCH_RESULT, results.resolve("b.json"));
        Files.writeString(results.resolve("b.meta.json"), Files.readString(meta).replace("ff3ddf2", "aa3ddf2"));
        for (String command : List.of("report", "history")) {
            Path out = tmp.resolve(command + "-out");
            List<String> args = new ArrayList<>(List.of(command, a.toString()));
            if (command.equals("history")) {
                args.add(b.toString());
            }
            args.addAll(List.of("--out", out.toString()));
            List<String> limited = new ArrayList<>(List.of("bash", "-c", "ulimit -f 16; exec \"$@\"", "kvbench", "java",
                    "-XX:-UsePerfData", "-cp", JAR.toString(), "dev.kvbench.cli.Main"));
            limited.addAll(args);
            Ran full = run(new ProcessBuilder(limited), tmp);
            assertEquals(2, full.code(), command + ": " + full.err());
            assertTrue(full.err().contains("File too large (nothing written)"), full.err());
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(), left.map(f -> f.getFileName().toString())
                        .filter(n -> n.startsWith(command + "-out") || n.startsWith("." + command + "-out")).toList());
            }
            if (command.equals("report")) { // history writes its folder through the same AtomicFiles.writeFolder
                Ran rerun = run(kvbench(args.toArray(String[]::new)), tmp);
                assertEquals(0, rerun.code(), rerun.err());
                assertTrue(Files.isRegularFile(out.resolve(command + ".html")), rerun.out());
            }
        }
    }

    /**
     * Ctrl-C during derive (its checks) and during synth (its further dtype, after the fp32 model was made) leaves
     * nothing: no .kvbench-derive-* work folder, no half model that check would pass, no --out, no temporary file.
     */
    @Test
    void anInterruptedDeriveOrSynthLeavesNothing(@TempDir Path tmp) throws Exception {
        TestModels.pythonOnnx();
        Path config = Files.writeString(tmp.resolve("tiny.json"), TestModels.TINY_LLAMA_CONFIG);
        Map<String, List<String>> runs = new java.util.LinkedHashMap<>();
        runs.put("derive: [2/", List.of("derive", "--model", LLAMA, "--out"));
        runs.put("synth: quantize: ", List.of("synth", "--config", config.toString(), "--dtypes", "q4", "--out"));
        for (var run : runs.entrySet()) {
            Path work = Files.createDirectories(tmp.resolve(run.getValue().get(0)));
            Path javaTmp = Files.createDirectories(work.resolve("java-tmp"));
            List<String> cmd = new ArrayList<>(List.of("java", "-Djava.io.tmpdir=" + javaTmp, "-cp", JAR.toString(),
                    "dev.kvbench.cli.Main"));
            cmd.addAll(run.getValue());
            cmd.add(work.resolve("out").toString());
            Path stderr = work.resolve("stderr");
            Process p = new ProcessBuilder(cmd).redirectOutput(work.resolve("console").toFile()).redirectError(stderr.toFile())
                    .start();
            long deadline = System.currentTimeMillis() + 120_000;
            while (!Files.readString(stderr).contains(run.getKey()) && p.isAlive() && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(p.isAlive(), "still at work when interrupted: " + Files.readString(stderr));
            boolean intIgnored = signalIgnored(2);
            new ProcessBuilder("kill", intIgnored ? "-TERM" : "-INT", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(intIgnored ? 143 : 130, p.exitValue(), Files.readString(stderr));
            try (Stream<Path> left = Files.list(work)) {
                assertEquals(List.of("console", "java-tmp", "stderr"), left.map(f -> f.getFileName().toString()).sorted().toList(),
                        run.getValue().get(0) + ": no work folder and no --out");
            }
            try (Stream<Path> left = Files.list(javaTmp)) {
                // ONNX Runtime's own native-library folder (emptied once loaded) is its business; kvbench's files are gone.
                assertEquals(List.of(), left.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith("onnxruntime-java"))
                        .toList());
            }
        }
    }

    /**
     * A truncated weights file is one line on stderr, exit 2 (ONNX Runtime's own error log printed its lines first), and
     * quantize refuses it before its rewrite (it was exit 3, "internal error ... ValueError").
     */
    @Test
    void aTruncatedWeightsFileIsOneLine(@TempDir Path tmp) throws Exception {
        Path folder = ReliabilityTest.linkedLlama(tmp.resolve("truncated"),
                java.util.Collections.singletonMap("weights.onnx_data", null));
        byte[] weights = Files.readAllBytes(TestModels.LLAMA.resolve("weights.onnx_data"));
        Files.write(folder.resolve("weights.onnx_data"), java.util.Arrays.copyOf(weights, 100_000));
        for (List<String> args : List.of(List.of("generate", "--model", folder.toString(), "--prompt-ids", "1,2"),
                List.of("quantize", "--model", folder.toString(), "--dtype", "q8", "--out", tmp.resolve("q8").toString()))) {
            Ran r = run(kvbench(args.toArray(String[]::new)), tmp);
            assertEquals(2, r.code(), args + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("its external weights file is shorter than the graph says"), r.err());
        }
        assertFalse(Files.exists(tmp.resolve("q8")));
    }

    /** Whether this process ignores signal {@code number} (the SigIgn mask of /proc/self/status): children inherit it. */
    static boolean signalIgnored(int number) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("SigIgn:"))
                .mapToLong(l -> Long.parseUnsignedLong(l.substring("SigIgn:".length()).strip(), 16))
                .anyMatch(mask -> (mask & (1L << (number - 1))) != 0);
    }

    static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
