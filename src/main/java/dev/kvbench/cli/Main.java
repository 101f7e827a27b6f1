package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kvbench}: generate, score, bench, compare, report. Bad input is one line on stderr and exit code 2. */
@Command(name = "kvbench", mixinStandardHelpOptions = true, version = "kvbench 0.1.0",
        description = "Decoding strategies (no cache, dynamic, hybrid, static KV cache) on ONNX Runtime, measured.",
        subcommands = {GenerateCommand.class, ScoreCommand.class, BenchCommand.class, CompareCommand.class,
                ReportCommand.class, GateCommand.class, AbCommand.class})
public final class Main {
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs a command with the given output streams; returns the exit code (0 ok, 1 failure, 2 bad input). */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof KvbenchException) {
                commandLine.getErr().println("kvbench: error: " + e.getMessage());
                return BAD_INPUT;
            }
            commandLine.getErr().println("kvbench: internal error: " + e);
            return 1;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("kvbench: error: " + e.getMessage() + " (see --help)");
            return BAD_INPUT;
        });
        return cli.execute(args);
    }
}
