package dev.kvbench.cli;

import dev.kvbench.KvbenchException;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.List;
import java.util.stream.Collectors;

/** A picocli parameter error as the one line users read: no "Error: " echo, no wall of the whole option group. */
final class ParameterErrors {
    private ParameterErrors() {
    }

    static String oneLine(CommandLine.ParameterException e) {
        if (e.getCause() instanceof KvbenchException k) {
            return KvbenchException.firstLine(k.getMessage());
        }
        if (e instanceof CommandLine.MissingParameterException missing) {
            List<String> names = missing.getMissing().stream()
                    .filter(a -> !(a instanceof OptionSpec o) || o.required() || missing.getMissing().size() == 1)
                    .map(ParameterErrors::name).distinct().collect(Collectors.toList());
            if (names.isEmpty()) {
                names = missing.getMissing().stream().map(ParameterErrors::name).distinct().limit(1).toList();
            }
            if (!names.isEmpty()) {
                return "missing required " + (names.size() == 1 ? "option " : "options ") + String.join(", ", names);
            }
        }
        String message = KvbenchException.firstLine(e.getMessage());
        return message.startsWith("Error: ") ? message.substring("Error: ".length()) : message;
    }

    private static String name(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
    }
}
