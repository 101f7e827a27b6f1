package dev.kvbench.cli;

import dev.kvbench.model.Dtype;
import picocli.CommandLine;

/** {@code --dtype}: parsed by {@link Dtype#parse}, so an unknown value is the same one line everywhere. */
final class DtypeOption implements CommandLine.ITypeConverter<Dtype> {
    static final String CHOICES = "fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4";

    @Override
    public Dtype convert(String value) {
        return Dtype.parse(value);
    }
}
