package io.comfyvn.compute;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
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
  void providerPackagesDependOnNeitherWebNorTasksNorWhatRunsThem() {
    // The contract and the providers speak the shared words (status) and nothing above them.
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.gpu..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.comfyvn.compute.web..",
            "io.javalin..",
            "org.jdbi..",
            "io.comfyvn.compute.tasks..",
            "io.comfyvn.compute.jobs..",
            "io.comfyvn.compute.sim..",
            "io.comfyvn.compute.hooks..")
        .check(MAIN);
  }

  @Test
  void theTransportNeedsNothingFromTheProviderContract() {
    // gpu/http has its own failure and limit types; the contract above it hands values down.
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.gpu.http..")
        .should()
        .dependOnClassesThat(
            resideInAPackage("io.comfyvn.compute.gpu..")
                .and(not(resideInAPackage("io.comfyvn.compute.gpu.http.."))))
        .check(MAIN);
  }

  @Test
  void theSharedWordsAreALeaf() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.status..")
        .should()
        .dependOnClassesThat(
            resideInAPackage("io.comfyvn.compute..")
                .and(not(resideInAPackage("io.comfyvn.compute.status.."))))
        .check(MAIN);
  }

  @Test
  void onlyTheWebLayerAndWiringUseWhatRunsTasks() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.comfyvn.compute.web..", "io.comfyvn.compute.jobs..")
        .and()
        .doNotHaveFullyQualifiedName("io.comfyvn.compute.App")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.jobs..")
        .check(MAIN);
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.jobs..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.comfyvn.compute.web..", "io.javalin..", "org.jdbi..")
        .check(MAIN);
  }

  @Test
  void hooksSeeTasksOnlyThroughTheirEvents() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.hooks..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.comfyvn.compute.gpu..", "io.comfyvn.compute.jobs..", "io.comfyvn.compute.sim..")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.tasks.Task")
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
  void onlyTheWebLayerAndTheFakesTouchJetty() {
    noClasses()
        .that()
        .resideOutsideOfPackages("io.comfyvn.compute.web..", "io.comfyvn.compute.fakes..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.eclipse.jetty..")
        .check(MAIN);
  }

  @Test
  void theBoundaryKnowsNoRoute() {
    // The boundary decides on headers alone; routes may use it (the login route), never the
    // reverse.
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.web.boundary..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.web")
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
  void theSpendGuardKnowsNothingOfProvidersOrTheWeb() {
    // GpuService calls it; it must not call back, so its one decision stays in one place.
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.limits..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.comfyvn.compute.gpu..", "io.comfyvn.compute.web..", "io.comfyvn.compute.tasks..")
        .check(MAIN);
  }

  @Test
  void storeAndTasksKnowNothingOfProviders() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.tasks..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.comfyvn.compute.gpu..",
            "io.comfyvn.compute.jobs..",
            "io.comfyvn.compute.sim..",
            "io.comfyvn.compute.hooks..",
            "io.comfyvn.compute.web..")
        .check(MAIN);
  }

  @Test
  void noServiceClassReachesTheFakes() {
    // The fakes are their own module, a test-scope dependency here, so production code does not
    // compile against them; this fails if that scope is ever widened and a class imports them.
    noClasses()
        .that()
        .resideOutsideOfPackage("io.comfyvn.compute.fakes..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.fakes..")
        .check(MAIN);
  }

  @Test
  void theServiceModuleHoldsNoFake() throws Exception {
    // What the service module compiles (its classes folder or jar) has no fakes package.
    java.net.URL own = App.class.getProtectionDomain().getCodeSource().getLocation();
    JavaClasses service = new ClassFileImporter().importUrl(own);
    org.assertj.core.api.Assertions.assertThat(service.contain(App.class)).isTrue();
    noClasses()
        .should()
        .resideInAPackage("io.comfyvn.compute.fakes..")
        .allowEmptyShould(true)
        .check(service);
  }
}
