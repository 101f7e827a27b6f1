package dev.kvbench.cli;

import dev.kvbench.KvbenchException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Command-line arguments as UTF-8 whatever the locale. The JVM decodes {@code argv} with the locale's charset, so
 * under a C/POSIX locale a non-ASCII {@code --prompt} arrives as replacement characters (and tokenizes to other ids).
 * Where the locale is not UTF-8, the arguments' bytes are read again from {@code /proc/self/cmdline} and decoded as
 * UTF-8; where that is not possible, a non-ASCII argument is refused with one line rather than run as other text.
 */
final class CommandLineText {
    private CommandLineText() {
    }

    static String[] utf8(String[] args) {
        String jnu = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (jnu.equalsIgnoreCase("UTF-8") || jnu.equalsIgnoreCase("UTF8") || Arrays.stream(args).allMatch(CommandLineText::plain)) {
            return args;
        }
        String[] recovered;
        try {
            recovered = fromProc(args);
        } catch (KvbenchException e) {
            System.err.println("kvbench: error: " + e.getMessage());
            System.exit(Cli.BAD_INPUT);
            return args;
        }
        if (recovered == null) {
            System.err.println("kvbench: error: the locale's encoding (" + jnu + ") cannot carry non-ASCII arguments: "
                    + "run with a UTF-8 locale (LANG=C.UTF-8)");
            System.exit(Cli.BAD_INPUT);
        }
        return recovered;
    }

    /** Printable ASCII without '?' (which the JVM may have put for a byte it could not decode). */
    private static boolean plain(String s) {
        return s.chars().allMatch(c -> c < 0x80 && c != '?');
    }

    /** The last {@code args.length} entries of /proc/self/cmdline decoded as strict UTF-8, or null when they do not line up. */
    static String[] fromProc(String[] args) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        List<byte[]> entries = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                entries.add(Arrays.copyOfRange(raw, start, i));
                start = i + 1;
            }
        }
        if (entries.size() < args.length) {
            return null;
        }
        String[] out = new String[args.length];
        int offset = entries.size() - args.length;
        for (int i = 0; i < args.length; i++) {
            try {
                out[i] = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(entries.get(offset + i))).toString();
            } catch (CharacterCodingException e) {
                throw new KvbenchException("argument " + (i + 1) + " is not UTF-8 text");
            }
            if (plain(args[i]) && !out[i].equals(args[i])) {
                return null; // not the same argument list (an embedding launcher): do not guess
            }
        }
        return out;
    }
}
