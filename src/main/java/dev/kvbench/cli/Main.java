package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Arrays;

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
                DeriveCommand.class, SynthCommand.class, ProbeCommand.class})
public final class Main {
    public static final int CHECK_FAILED = 1;
    public static final int BAD_INPUT = 2;
    public static final int INTERNAL_ERROR = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs a command with the given output streams; returns the exit code (0 ok, 1 check failed, 2 bad input, 3 internal). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        boolean debug = Arrays.asList(args).contains("--debug");
        String[] rest = Arrays.stream(args).filter(a -> !a.equals("--debug")).toArray(String[]::new);
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (debug) {
                e.printStackTrace(commandLine.getErr());
            }
            if (e instanceof KvbenchException) {
                commandLine.getErr().println("kvbench: error: " + KvbenchException.firstLine(e.getMessage()));
                return BAD_INPUT;
            }
            commandLine.getErr().println("kvbench: internal error: " + KvbenchException.firstLine(String.valueOf(e))
                    + (debug ? "" : " (--debug shows where)"));
            return INTERNAL_ERROR;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            if (debug) {
                e.printStackTrace(e.getCommandLine().getErr());
            }
            String message = e.getCause() instanceof KvbenchException k ? k.getMessage() : e.getMessage();
            e.getCommandLine().getErr().println("kvbench: error: " + KvbenchException.firstLine(message) + " (see --help)");
            return BAD_INPUT;
        });
        return cli.execute(rest);
    }
}
