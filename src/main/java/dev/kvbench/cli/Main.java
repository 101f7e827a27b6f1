package dev.kvbench.cli;


import dev.kvbench.results.ErrorWording;
import dev.kvbench.runtime.OrtRuntime;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kvbench}: generate, score, bench, compare, ab, gate, report. Exit codes: 0 success, 1 a check failed
 * (a regression, a gate, a disagreement), 2 bad input (one line on stderr), 3 an internal error (one line; the stack
 * trace only with {@code --debug}).
 */
@Command(name = "kvbench", mixinStandardHelpOptions = true, version = "kvbench 0.1.0",
        description = "Decoding strategies (no cache, dynamic, hybrid, static KV cache) on ONNX Runtime, measured. "
                + "Add --debug anywhere for stack traces.",
        subcommands = {GenerateCommand.class, ScoreCommand.class, BenchCommand.class, CompareCommand.class,
                ReportCommand.class, GateCommand.class, AbCommand.class, HistoryCommand.class, BisectCommand.class, CheckCommand.class,
                DeriveCommand.class, QuantizeCommand.class, SynthCommand.class, ProbeCommand.class, MergeCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {
    /**
     * The stack of the thread that runs a command. ONNX Runtime's environment start-up overflowed the JVM's default
     * main-thread stack when the command line was a few KB long (a 2,000-id {@code --prompt-ids}); 256 MiB is
     * reserved address space, touched only as far as it is used.
     */
    static final long COMMAND_STACK_BYTES = 256L << 20;
    /** Columns of the usage help. */
    static final int USAGE_WIDTH = 110;

    public static void main(String[] args) throws InterruptedException {
        String[] decoded = CommandLineText.utf8(args);
        int[] code = {Cli.INTERNAL_ERROR};
        Thread command = new Thread(null, () -> code[0] = run(decoded), "kvbench", COMMAND_STACK_BYTES);
        command.start();
        command.join();
        System.exit(code[0]);
    }

    /**
     * Runs a command on standard output and error, both UTF-8 whatever the locale; a failed write to standard output
     * (a closed pipe, a full disk) ends the command with exit 2 and one line.
     */
    public static int run(String... args) {
        CheckedOutput out = new CheckedOutput(new FileOutputStream(FileDescriptor.out), "standard output");
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(new FileOutputStream(FileDescriptor.err),
                java.nio.charset.StandardCharsets.UTF_8), true);
        return run(out, err, args);
    }

    /** Runs a command with the given output streams; returns the exit code (0 ok, 1 check failed, 2 bad input, 3 internal). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        boolean debug = Arrays.asList(args).contains("--debug");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--debug")).toArray(String[]::new);
        if (args.length > 0 && args[0].equals("--debug")) {
            debug = true;
        }
        boolean showTrace = debug;
        if (debug) {
            OrtRuntime.logWarnings(true);
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // picocli breaks lines after '.' and '/': a wider text leaves fewer places where a name such as report.html
        // could be split (ReliabilityTest holds every help text to none).
        cli.setUsageHelpWidth(USAGE_WIDTH);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (showTrace) {
                e.printStackTrace(commandLine.getErr());
            }
            if (ErrorWording.badInput(e)) {
                commandLine.getErr().println("kvbench: error: " + ErrorWording.of(e));
                return Cli.BAD_INPUT;
            }
            commandLine.getErr().println("kvbench: internal error: " + ErrorWording.of(e)
                    + (showTrace ? "" : " (--debug shows where)"));
            return Cli.INTERNAL_ERROR;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            if (showTrace) {
                e.printStackTrace(e.getCommandLine().getErr());
            }
            e.getCommandLine().getErr().println("kvbench: error: " + ParameterErrors.oneLine(e, a) + " (see --help)");
            return Cli.BAD_INPUT;
        });
        int code = cli.execute(rest);
        if (code == 0 && (out instanceof CheckedOutput checked ? checked.broken() : out.checkError())) {
            err.println("kvbench: error: " + (out instanceof CheckedOutput c ? c.failure() : "cannot write the output"));
            return Cli.BAD_INPUT;
        }
        return code;
    }
}
