package io.comfyvn.compute;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.properties.HasName.Predicates.name;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.comfyvn.compute.fakes.FakeProviders;
import org.junit.jupiter.api.Test;

/**
 * Surefire runs {@code *Test} classes, Failsafe {@code *IT}: a test that starts a server, a process
 * or a browser is an {@code *IT}. This holds the name to what the class starts, so a server test
 * cannot slip into the unit run by its name (four had).
 */
class TestNamingArchTest {
  private static final JavaClasses TESTS =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void unitTestsStartNoServerProcessOrBrowser() {
    noClasses()
        .that()
        .haveSimpleNameEndingWith("Test")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.sun.net.httpserver..", "io.javalin..", "org.openqa.selenium..")
        .orShould()
        .callCodeUnitWhere(target(owner(name("java.net.ServerSocket")))) // not a mere class literal
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.support.Server")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.support.ServiceProcess")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.support.HeaderRecorder")
        .orShould()
        .callMethod(FakeProviders.class, "start", int.class)
        .because("a test that starts a server is named *IT and runs in Failsafe")
        .check(TESTS);
  }
}
