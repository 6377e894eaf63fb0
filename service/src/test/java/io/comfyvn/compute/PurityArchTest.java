package io.comfyvn.compute;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The advisor and the simulator are pure: no files, network, clock, unseeded randomness, threads or
 * hash iteration order, so the same request gives the same bytes on every machine. What plays a sim
 * run into the task registry on a schedule lives in the service room ({@code jobs}), not here.
 */
class PurityArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void advisorAndSimDoNoIoAndReadNoClock() {
    noClasses()
        .that()
        .resideInAnyPackage("..compute.advisor..", "..compute.sim..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "java.nio.file..",
            "java.net..",
            "java.time..",
            "java.sql..",
            "java.util.concurrent..",
            "..compute.tasks..",
            "..compute.jobs..",
            "..compute.web..",
            "io.javalin..",
            "org.jdbi..")
        .orShould()
        .dependOnClassesThat()
        .belongToAnyOf(
            java.io.File.class,
            java.util.Random.class,
            java.util.HashMap.class,
            java.util.HashSet.class,
            java.util.concurrent.ThreadLocalRandom.class)
        .orShould()
        .callMethod(System.class, "currentTimeMillis")
        .orShould()
        .callMethod(System.class, "nanoTime")
        .orShould()
        .callMethod(Math.class, "random")
        .check(MAIN);
  }

  @Test
  void theAdvisorDoesNotDecideModes() {
    // dry_run on advice comes from GpuService's one ModeDecision, handed in as data.
    noClasses()
        .that()
        .resideInAPackage("..compute.advisor..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("..compute.gpu..", "..compute.sim..", "..compute.secrets..")
        .check(MAIN);
  }

  @Test
  void theWorkflowPackageIsPureButForItsOneInputReader() {
    // Graph checks, seeds, canonical bytes and classification are the same on every machine;
    // DataAndWebInputs is the one class that reads files and fetches URLs.
    noClasses()
        .that()
        .resideInAPackage("..compute.workflow..")
        .and()
        .doNotBelongToAnyOf(io.comfyvn.compute.workflow.DataAndWebInputs.class)
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "java.nio.file..",
            "java.net.http..",
            "java.time..",
            "java.sql..",
            "..compute.gpu..",
            "..compute.sim..",
            "..compute.advisor..",
            "..compute.tasks..",
            "..compute.web..",
            "io.javalin..",
            "org.jdbi..")
        .orShould()
        .dependOnClassesThat()
        .belongToAnyOf(
            java.io.File.class,
            java.net.Socket.class,
            java.net.URL.class,
            java.util.Random.class,
            java.util.HashMap.class,
            java.util.HashSet.class)
        .orShould()
        .callMethod(System.class, "currentTimeMillis")
        .orShould()
        .callMethod(java.net.InetAddress.class, "getByName", String.class)
        .orShould()
        .callMethod(java.net.InetAddress.class, "getAllByName", String.class)
        .check(MAIN);
  }
}
