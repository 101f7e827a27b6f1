package dev.kvbench.cli;

import dev.kvbench.decode.Strategy;
import dev.kvbench.KvbenchException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Iterator;

/** Picocli's view of {@link Strategy}: conversion from an id, and the ids as completion candidates and usage text. */
final class StrategyOption {
    private StrategyOption() {
    }

    static final class Converter implements ITypeConverter<Strategy> {
        @Override
        public Strategy convert(String value) {
            try {
                return Strategy.parse(value.strip());
            } catch (KvbenchException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Ids implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Strategy.ids().iterator();
        }
    }
}
