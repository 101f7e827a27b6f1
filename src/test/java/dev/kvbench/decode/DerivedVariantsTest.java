package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.derive.VariantDeriver;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Variants derived by {@code kvbench derive} from an export reproduce the PyTorch / transformers goldens: from the
 * bundled tiny-llama's {@code model.onnx} (so the derivation and scripts/export_models.py agree), from tiny-marian's
 * split decoders and from its merged decoder alone, and from the Hugging Face fixture, which had no static strategy
 * before.
 */
class DerivedVariantsTest {
    @TempDir
    static Path tmp;
    private static final Map<Path, Path> DERIVED = new HashMap<>();

    static synchronized Path derived(Path source, List<String> expected) {
        return DERIVED.computeIfAbsent(source, s -> {
            VariantDeriver.Derived d = VariantDeriver.derive(s, tmp.resolve(s.getFileName() + "-derived"), 8, 1e-3,
                    TestModels.pythonOnnx());
            assertEquals(expected, d.written(), d.toString());
            return d.folder();
        });
    }

    static Path derived(Path source) {
        // The 4-bit cache keeps its bounds on tiny-llama (92.7% of the tokens, perplexity +2.0%) but not on the fixture
        // (perplexity -7.4%): there it is left out, the int8 one written.
        List<String> kv4 = source.equals(TestModels.LLAMA) ? List.of("model_gqa_kv4.onnx", "model_gqa_kv4.calibration.json")
                : List.of();
        List<String> expected = new java.util.ArrayList<>(List.of("model_static.onnx", "model_gqa.onnx", "variants.onnx_data",
                "model_gqa_kv8.onnx", "model_gqa_kv8.calibration.json"));
        expected.addAll(kv4);
        return derived(source, expected);
    }

    /** tiny-marian with only one decoder arrangement (and without its bundled static variant), copied. */
    static synchronized Path marianWith(String arrangement, String... decoders) {
        Path folder = tmp.resolve("tiny-marian-" + arrangement);
        if (!Files.isDirectory(folder)) {
            try {
                Files.createDirectories(folder);
                for (String f : List.of("encoder_model.onnx", "config.json", "tokenizer.json", "golden.json",
                        "generation_config.json", "weights.onnx_data")) {
                    Files.copy(TestModels.MARIAN.resolve(f), folder.resolve(f));
                }
                for (String f : decoders) {
                    Files.copy(TestModels.MARIAN.resolve(f), folder.resolve(f));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return derived(folder, List.of("decoder_model_static.onnx"));
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC", "STATIC_GQA"})
    void tinyLlamaVariantsDerivedFromModelOnnx(Strategy s) {
        GoldenTest.assertReproduces(derived(TestModels.LLAMA), s, Layout.DecoderFiles.AUTO);
    }

    @Test
    void tinyMarianStaticDerivedFromTheSplitDecoders() {
        GoldenTest.assertReproduces(marianWith("split", Layout.DECODER, Layout.DECODER_WITH_PAST), Strategy.STATIC,
                Layout.DecoderFiles.SPLIT);
    }

    @Test
    void tinyMarianStaticDerivedFromTheMergedDecoder() {
        GoldenTest.assertReproduces(marianWith("merged", Layout.MERGED), Strategy.STATIC, Layout.DecoderFiles.MERGED);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC", "STATIC_GQA"})
    void huggingFaceFixtureVariants(Strategy s) {
        GoldenTest.assertReproduces(derived(TestModels.hfQwen2()), s, Layout.DecoderFiles.AUTO);
    }
}
