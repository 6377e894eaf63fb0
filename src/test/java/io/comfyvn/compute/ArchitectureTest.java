package io.comfyvn.compute;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The rooms of the code and their doors (DESIGN.md "Suggested shape of the code"). */
class ArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void providerPackagesDependOnNeitherWebNorStore() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.gpu..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.comfyvn.compute.web..", "io.javalin..", "org.jdbi..")
        .check(MAIN);
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.gpu..")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.tasks.JdbiTaskStore")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.tasks.Database")
        .check(MAIN);
  }

  @Test
  void onlyTheWebLayerSpeaksHttpToCallers() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.comfyvn.compute.web..", "io.comfyvn.compute.fakes..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.javalin..")
        .check(MAIN);
  }

  @Test
  void nothingDependsOnTheWebLayerButWiring() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.comfyvn.compute.web..")
        .and()
        .doNotHaveFullyQualifiedName("io.comfyvn.compute.App")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.web..")
        .check(MAIN);
  }

  @Test
  void storeAndTasksKnowNothingOfProviders() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.tasks..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.comfyvn.compute.gpu..", "io.comfyvn.compute.web..")
        .check(MAIN);
  }
}
