package dev.kvbench.derive;


import com.fasterxml.jackson.databind.JsonNode;
import dev.kvbench.KvbenchException;
import dev.kvbench.support.AtomicFiles;
import dev.kvbench.support.JsonFiles;
import dev.kvbench.support.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The Python side of {@code derive} and {@code synth}: finds a Python 3 that has the {@code onnx} package, and runs
 * one of this package's scripts (resources of the jar) with it. A script ends with one JSON line on success, or exits
 * 2 with one line {@code <script>: <problem>} for bad input, which becomes a {@link KvbenchException}.
 */
public final class OnnxPython {
    private static final long TIMEOUT_S = 3600;

    private OnnxPython() {
    }

    /**
     * {@code explicit} (--python) when given, else {@code $KVBENCH_PYTHON}, else the first of {@code python3},
     * {@code /usr/bin/python3} that can import onnx and numpy.
     */
    public static String find(String explicit) {
        String env = System.getenv("KVBENCH_PYTHON");
        List<String> candidates = explicit != null ? List.of(explicit)
                : env != null && !env.isBlank() ? List.of(env) : List.of("python3", "/usr/bin/python3");
        for (String c : candidates) {
            if (Processes.run(Path.of("."), 120, List.of(c, "-c", "import onnx, numpy")).ok()) {
                return c;
            }
        }
        throw new KvbenchException("this needs Python 3 with the onnx and numpy packages (Debian: apt-get install "
                + "python3-onnx); none of " + String.join(", ", candidates) + " has them (set KVBENCH_PYTHON to choose one)");
    }

    /** The scripts of this package; each is copied beside the others, so one can import another's functions. */
    private static final List<String> SCRIPTS = List.of("kvderive.py", "kvsynth.py", "kvquantize.py", "kvcachequant.py",
            "kvaccuracylevel.py");

    /** Runs {@code script} (a resource of this package, e.g. kvderive.py) in {@code dir}; returns its JSON line. */
    public static JsonNode run(String python, String script, Path dir, List<String> args) {
        try {
            Path scripts = Files.createTempDirectory("kvbench-python-");
            Path file = scripts.resolve(script);
            Thread onInterrupt = AtomicFiles.deleteOnInterrupt(scripts);
            try {
                for (String name : SCRIPTS) {
                    try (InputStream in = OnnxPython.class.getResourceAsStream(name)) {
                        if (in == null) {
                            throw new IllegalStateException(name + " is missing from the jar");
                        }
                        Files.copy(in, scripts.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                List<String> command = new ArrayList<>(List.of(python, file.toString()));
                command.addAll(args);
                Processes.Outcome o = Processes.run(dir, TIMEOUT_S, command);
                String last = o.lastLine();
                String prefix = script.replace(".py", "") + ": ";
                if (o.exitCode() == 2 && last.startsWith(prefix)) {
                    throw new KvbenchException(last.substring(prefix.length()));
                }
                if (!o.ok()) {
                    throw new IllegalStateException(script + " failed (exit " + o.exitCode() + "): " + last);
                }
                return JsonFiles.MAPPER.readTree(last);
            } finally {
                AtomicFiles.dropHook(onInterrupt);
                AtomicFiles.deleteTree(scripts);
            }
        } catch (IOException e) {
            throw new KvbenchException("cannot run " + script + ": " + e.getMessage());
        }
    }
}
