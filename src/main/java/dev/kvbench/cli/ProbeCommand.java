package dev.kvbench.cli;

import dev.kvbench.results.Roofline;
import dev.kvbench.runtime.MachineProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.Locale;
import java.util.concurrent.Callable;

/** The two numbers of the roofline, measured here: what `bench` records in its metadata. */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Measure this machine's single-thread limits for the roofline: memory read bandwidth (the faster of a "
                + "256 MB streaming sum and ONNX Runtime's matrix-vector product over a 256 MB matrix) and ONNX Runtime's "
                + "MatMul multiply-add rate (one intra-op thread). About 3 seconds.")
final class ProbeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        MachineProbe.Limits l = MachineProbe.measure();
        spec.commandLine().getOut().printf(Locale.ROOT, "read bandwidth %.2f GB/s (one thread), MatMul %.2f G multiply-adds/s "
                + "(ONNX Runtime, one thread)%n", l.readBytesPerSecond() / 1e9, l.macsPerSecond() / 1e9);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
