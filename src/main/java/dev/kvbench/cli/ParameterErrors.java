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
        return oneLine(e, new String[0]);
    }

    /**
     * {@code e} in one line; {@code args} (the command line) name an option given twice where picocli's message would
     * be the dump of the whole option group it belongs to ("expected only one match but got ...").
     */
    static String oneLine(CommandLine.ParameterException e, String[] args) {
        if (e.getCause() instanceof KvbenchException k) {
            return KvbenchException.firstLine(k.getMessage());
        }
        if (String.valueOf(e.getMessage()).contains("expected only one match but got")) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String a : args) {
                String name = a.startsWith("--") ? a.split("=", 2)[0] : null;
                if (name != null && !seen.add(name)) {
                    return "option '" + name + "' is given twice: give it once";
                }
            }
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
