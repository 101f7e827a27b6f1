package dev.kvbench.cli;

import org.junit.jupiter.api.Test;

/** The parts of {@code ab} that need no build: refs and option ranges are checked before anything is built. */
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
}
