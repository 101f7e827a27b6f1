package dev.kvbench.cli;


import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kvbench.paired.AbMeasurement;
import dev.kvbench.paired.Side;
import dev.kvbench.results.RunRecord;
import dev.kvbench.support.AtomicFiles;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The parts of {@code ab} that need no build: refs and option ranges are checked before anything is built, and its
 * result files never replace a file (a run in the same second, or a file already there, gets the next free name).
 */
class AbCommandTest {
    @Test
    void unknownRefIsBadInput() {
        CliTestSupport.assertBadInput("unknown git ref 'no-such-ref'", "ab", "no-such-ref", "--root", ".");
    }

    @Test
    void optionRangesAreBadInput() {
        CliTestSupport.assertBadInput("--rounds must be in 2..100", "ab", "HEAD", "--rounds", "1");
        CliTestSupport.assertBadInput("--pairs must be in 5..10000", "ab", "HEAD", "--pairs", "0");
        CliTestSupport.assertBadInput("--alpha must be in (0, 1)", "ab", "HEAD", "--alpha", "1.5");
        CliTestSupport.assertBadInput("--threshold must be a percentage", "ab", "HEAD", "--threshold", "-1");
        CliTestSupport.assertBadInput("-p takes NAME=VALUE", "ab", "HEAD", "-p", "strategy");
        CliTestSupport.assertBadInput("Invalid value for option '--method'", "ab", "HEAD", "--method", "guess");
    }

    private static RunRecord side(String name) {
        RunRecord r = new RunRecord();
        r.matrix = name;
        return r;
    }

    @Test
    void resultsOfTheSameSecondGetNewNamesAndNothingIsOverwritten(@TempDir Path tmp) throws Exception {
        ObjectMapper m = new ObjectMapper();
        AbMeasurement.Sides sides = new AbMeasurement.Sides("b", "h", Map.of(),
                Map.of(Side.BASE, List.of(m.readTree("[]")), Side.HEAD, List.of(m.readTree("[]"))),
                Map.of(Side.BASE, side("base"), Side.HEAD, side("head")));
        Files.writeString(tmp.resolve("ab-x-base.json"), "an earlier run's file");
        Path[] first = AbCommand.writeSides(tmp, "ab-x", sides, "-ab.png");
        assertEquals(tmp.resolve("ab-x-2-base.json"), first[0]);
        assertEquals(tmp.resolve("ab-x-2-head.json"), first[1]);
        assertEquals(tmp.resolve("ab-x-2"), first[2], "the stem for the chart");
        assertEquals("an earlier run's file", Files.readString(tmp.resolve("ab-x-base.json")));
        assertEquals("{\n  \"matrix\" : \"head\"\n}", Files.readString(tmp.resolve("ab-x-2-head.meta.json")));
        // A second run in the same second, then one whose chart name is taken.
        assertEquals(tmp.resolve("ab-x-3-base.json"), AbCommand.writeSides(tmp, "ab-x", sides, "-ab.png")[0]);
        Files.writeString(tmp.resolve("ab-x-4-ab.png"), "a chart");
        assertEquals(tmp.resolve("ab-x-5-base.json"), AbCommand.writeSides(tmp, "ab-x", sides, "-ab.png")[0]);
        try (var left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void aNewFileIsNeverWrittenOverAnExistingOne(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("merged.json");
        AtomicFiles.writeNew(f, "first");
        assertThrows(FileAlreadyExistsException.class, () -> AtomicFiles.writeNew(f, "second"));
        assertEquals("first", Files.readString(f));
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(f), left.toList(), "the refused write leaves nothing behind");
        }
    }
}
