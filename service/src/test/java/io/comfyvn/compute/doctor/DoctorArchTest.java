package io.comfyvn.compute.doctor;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * Only the entry point adds {@code doctor} (its own "may not depend on" row is a rule in {@code
 * RoomsArchTest}).
 */
class DoctorArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void onlyTheEntryPointKnowsTheDoctor() {
    noClasses()
        .that()
        .resideOutsideOfPackage("io.comfyvn.compute.doctor..")
        .and()
        .doNotHaveFullyQualifiedName("io.comfyvn.compute.Main")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.comfyvn.compute.doctor..")
        .check(MAIN);
  }
}
