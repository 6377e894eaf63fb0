package io.comfyvn.compute;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Rules across the rooms: who may use {@code jobs}, {@code web}, Javalin and Jetty, and that the
 * service never reaches the fakes. Each room's own "may not depend on" row of architecture.md is in
 * {@link RoomsArchTest}.
 */
class ArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

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
