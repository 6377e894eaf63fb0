package io.comfyvn.compute.cli;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.comfyvn.compute.Json;
import org.junit.jupiter.api.Test;

/**
 * The client CLI speaks only the HTTP API: it reaches into no room of the service (it may read the
 * shared wire words of the leaf {@code status} package, which hold no service code).
 */
class CliArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void theCliDependsOnNoServiceRoomOnlyOnTheSharedJsonSettings() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.cli..")
        .should()
        .dependOnClassesThat(
            resideInAPackage("io.comfyvn.compute..")
                .and(not(resideInAPackage("io.comfyvn.compute.cli..")))
                // the shared words of the wire (mode, status, submit state): a leaf, no service
                // code
                .and(not(resideInAPackage("io.comfyvn.compute.status..")))
                .and(not(equivalentTo(Json.class))))
        .check(MAIN);
  }

  @Test
  void onlyTheEntryPointKnowsTheCli() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.comfyvn.compute.cli..")
        .and()
        .doNotHaveFullyQualifiedName("io.comfyvn.compute.Main")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.cli..")
        .check(MAIN);
  }
}
