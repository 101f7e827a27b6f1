package dev.kvbench.cli;

import dev.kvbench.model.Dtype;
import dev.kvbench.model.GraphDtypes;
import picocli.CommandLine;

/** {@code --dtype}: parsed by {@link Dtype#parse}, so an unknown value is the same one line everywhere. */
final class DtypeOption implements CommandLine.ITypeConverter<Dtype> {
    static final String CHOICES = "fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4";
    /** The choices where a dtype per graph is taken too. */
    static final String CHOICES_PER_GRAPH = CHOICES + ", or a dtype per graph of an encoder-decoder model: "
            + "encoder=DTYPE,decoder=DTYPE";

    @Override
    public Dtype convert(String value) {
        return Dtype.parse(value);
    }

    /** {@code --dtype} where a dtype per graph is taken: {@link GraphDtypes#parse}. */
    static final class PerGraph implements CommandLine.ITypeConverter<GraphDtypes> {
        @Override
        public GraphDtypes convert(String value) {
            return GraphDtypes.parse(value);
        }
    }
}
