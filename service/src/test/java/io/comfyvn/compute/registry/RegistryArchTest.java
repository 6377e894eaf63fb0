package io.comfyvn.compute.registry;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The registry's door: no web, no store, and no provider code beyond the HTTP transport seam. */
class RegistryArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void registryDependsOnNeitherWebNorStoreNorAdapters() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.registry..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.comfyvn.compute.web..",
            "io.javalin..",
            "org.jdbi..",
            "io.comfyvn.compute.gpu.runpod..",
            "io.comfyvn.compute.sim..")
        .check(MAIN);
  }

  @Test
  void onlyWiringAndTheWebLayerUseTheRegistry() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.comfyvn.compute.web..", "io.comfyvn.compute.registry..")
        .and()
        .doNotHaveFullyQualifiedName("io.comfyvn.compute.App")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.registry..")
        .check(MAIN);
  }
}
