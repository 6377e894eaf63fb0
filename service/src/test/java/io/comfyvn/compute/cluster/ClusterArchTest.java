package io.comfyvn.compute.cluster;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The cluster room sits beside the store: it knows tasks' columns, not what runs them. */
class ClusterArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void clusterKnowsNeitherProvidersNorWhatRunsTasksNorTheWeb() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.cluster..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.comfyvn.compute.gpu..",
            "io.comfyvn.compute.jobs..",
            "io.comfyvn.compute.sim..",
            "io.comfyvn.compute.hooks..",
            "io.comfyvn.compute.web..",
            "io.javalin..")
        .check(MAIN);
  }

  @Test
  void theTrackerSeesLeasesOnlyThroughThePort() {
    noClasses()
        .that()
        .resideInAPackage("io.comfyvn.compute.jobs..")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.comfyvn.compute.cluster.Cluster")
        .check(MAIN);
  }
}
