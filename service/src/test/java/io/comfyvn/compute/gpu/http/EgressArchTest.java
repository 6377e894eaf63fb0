package io.comfyvn.compute.gpu.http;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The egress rule has one door: only {@link EgressGuard} sends over a bare transport, and only the
 * wiring builds the real one ({@link ProviderHttp} and the registry's checks take the guard's type,
 * so a new client cannot send around it).
 */
class EgressArchTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("io.comfyvn.compute");

  @Test
  void onlyTheGuardSendsOverABareTransport() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName(EgressGuard.class.getName())
        // the network gate's decorator, under the guard: it only refuses, and passes on the rest
        .and()
        .doNotHaveFullyQualifiedName(GatedTransport.class.getName())
        .should()
        .callMethod(HttpTransport.class, "send", HttpCall.class, Duration.class)
        .orShould()
        .callMethod(JdkHttpTransport.class, "send", HttpCall.class, Duration.class)
        .check(MAIN);
  }

  @Test
  void onlyTheWiringBuildsTheRealTransport() {
    noClasses()
        .that()
        .doNotHaveFullyQualifiedName("io.comfyvn.compute.App")
        .should()
        .callConstructor(JdkHttpTransport.class, Duration.class)
        .check(MAIN);
  }
}
