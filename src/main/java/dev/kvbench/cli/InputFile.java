package dev.kvbench.cli;

import dev.kvbench.KvbenchException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An input file of one item per line ({@code --prompt-ids-file}, {@code --prompts-file}, {@code --texts-file}), read
 * whole and checked before any model work: a missing or unreadable file, an empty file and an empty line are one-line
 * input errors naming the file and line. A final line break is optional; a UTF-8 byte-order mark is dropped.
 */
record InputFile(Path file, List<String> lines) {

    static InputFile read(Path file, String option) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new KvbenchException(option + ": " + file + " does not exist");
        } catch (CharacterCodingException e) {
            throw new KvbenchException(option + ": " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new KvbenchException(option + ": cannot read " + file + ": " + e.getMessage());
        }
        if (lines.isEmpty()) {
            throw new KvbenchException(option + ": " + file + " is empty");
        }
        if (lines.get(0).startsWith("\uFEFF")) { // a byte-order mark (Windows editors) is not text to tokenize
            lines = new ArrayList<>(lines);
            lines.set(0, lines.get(0).substring(1));
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                throw new KvbenchException(where(file, i) + ": empty line");
            }
        }
        return new InputFile(file, List.copyOf(lines));
    }

    /** A message about an input, prefixed with where it came from ({@code FILE line N}); unchanged when {@code where} is null. */
    static String label(String where, String message) {
        return where == null ? message : where + ": " + message;
    }

    /** {@code FILE line N} (1-based) for messages. */
    static String where(Path file, int index) {
        return file + " line " + (index + 1);
    }

    String where(int index) {
        return where(file, index);
    }

    /** Applies {@code parse} to every line; a failure is reported with the file and line. */
    <T> List<T> parse(LineParser<T> parse) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            try {
                out.add(parse.apply(lines.get(i)));
            } catch (KvbenchException e) {
                throw new KvbenchException(label(where(i), e.getMessage()), e);
            }
        }
        return out;
    }

    @FunctionalInterface
    interface LineParser<T> {
        T apply(String line);
    }
}
