package dev.kvbench.decode;

import dev.kvbench.TestModels;
import dev.kvbench.derive.VariantDeriver;
import dev.kvbench.model.Layout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Variants derived by {@code kvbench derive} from an export reproduce the PyTorch / transformers goldens: from the
 * bundled tiny-llama's {@code model.onnx} (so the derivation and scripts/export_models.py agree) and from the Hugging
 * Face fixture, which had no static strategy before.
 */
class DerivedVariantsTest {
    @TempDir
    static Path tmp;
    private static final Map<Path, Path> DERIVED = new HashMap<>();

    static synchronized Path derived(Path source) {
        return DERIVED.computeIfAbsent(source, s -> {
            VariantDeriver.Derived d = VariantDeriver.derive(s, tmp.resolve(s.getFileName()), 8, 1e-3, TestModels.pythonOnnx());
            assertEquals(List.of("model_static.onnx", "model_gqa.onnx", "variants.onnx_data"), d.written(), d.toString());
            return d.folder();
        });
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC", "STATIC_GQA"})
    void tinyLlamaVariantsDerivedFromModelOnnx(Strategy s) {
        GoldenTest.assertReproduces(derived(TestModels.LLAMA), s, Layout.DecoderFiles.AUTO);
    }

    @ParameterizedTest
    @EnumSource(value = Strategy.class, names = {"STATIC", "STATIC_GQA"})
    void huggingFaceFixtureVariants(Strategy s) {
        GoldenTest.assertReproduces(derived(TestModels.hfQwen2()), s, Layout.DecoderFiles.AUTO);
    }
}
