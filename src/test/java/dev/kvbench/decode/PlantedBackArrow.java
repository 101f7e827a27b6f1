package dev.kvbench.decode;

/** A back-arrow planted for {@code ArchitectureTest}: an engine-package class that calls a workbench class. */
public final class PlantedBackArrow {
    private PlantedBackArrow() {
    }

    static boolean assumedPrompt() {
        return dev.kvbench.results.BenchmarkContract.assumedPrompt();
    }
}
