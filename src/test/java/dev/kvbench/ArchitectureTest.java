package dev.kvbench;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The line between the two halves, held on the compiled classes (ArchUnit reads the bytecode, so an inline qualified
 * name counts as much as an import): the engine (runtime, model, cache, decode, tokenizer, and the support package
 * beneath them) knows nothing of the workbench (cli, matrix, paired, results, report, derive, verify, the JMH
 * benchmarks), and no package depends on another that depends back on it.
 */
class ArchitectureTest {
    static final String[] ENGINE = {"dev.kvbench.runtime..", "dev.kvbench.model..", "dev.kvbench.cache..",
            "dev.kvbench.decode..", "dev.kvbench.tokenizer..", "dev.kvbench.support..", "dev.kvbench.serve.."};
    static final String[] WORKBENCH = {"dev.kvbench.cli..", "dev.kvbench.matrix..", "dev.kvbench.paired..",
            "dev.kvbench.results..", "dev.kvbench.report..", "dev.kvbench.derive..", "dev.kvbench.verify..",
            "dev.kvbench.bench.."};

    static final ArchRule ENGINE_KNOWS_NOTHING_OF_THE_WORKBENCH = noClasses().that().resideInAnyPackage(ENGINE)
            .should().dependOnClassesThat().resideInAnyPackage(WORKBENCH)
            .because("the engine is a library the workbench uses, never the other way round");

    static final ArchRule NO_PACKAGE_CYCLES = slices().matching("dev.kvbench.(*)..").should().beFreeOfCycles();

    private static JavaClasses production;

    /** The project's compiled classes, main and benchmarks, without the tests; imported once. */
    private static synchronized JavaClasses production() {
        if (production == null) {
            production = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .importPackages("dev.kvbench");
        }
        return production;
    }

    @Test
    void theEngineKnowsNothingOfTheWorkbench() {
        JavaClasses classes = production();
        assertTrue(classes.contain("dev.kvbench.decode.Generator") && classes.contain("dev.kvbench.cli.Main"),
                "both halves imported");
        ENGINE_KNOWS_NOTHING_OF_THE_WORKBENCH.check(classes);
    }

    @Test
    void noPackageDependsOnOneThatDependsBackOnIt() {
        NO_PACKAGE_CYCLES.check(production());
    }

    /** The rules can fail: an engine class that names a workbench class (planted among the tests) is caught. */
    @Test
    void aPlantedBackArrowFails() {
        JavaClasses planted = new ClassFileImporter().importClasses(dev.kvbench.decode.PlantedBackArrow.class,
                dev.kvbench.results.BenchmarkContract.class);
        AssertionError e = assertThrows(AssertionError.class, () -> ENGINE_KNOWS_NOTHING_OF_THE_WORKBENCH.check(planted));
        assertTrue(e.getMessage().contains("PlantedBackArrow"), e.getMessage());
    }
}
