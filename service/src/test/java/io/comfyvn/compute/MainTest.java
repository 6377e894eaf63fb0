package io.comfyvn.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class MainTest {
  record Ran(int exit, String out, String err) {}

  private static Ran run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Ran(exit, out.toString(), err.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "--write-config", "--port 9100 --write-config", "--help"})
  void fakeProvidersSaysWhereTheFakesAreAndFails(String rest) {
    String[] args =
        rest.isEmpty() ? new String[] {"fake-providers"} : ("fake-providers " + rest).split(" ");
    Ran r = run(args);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.out()).isEmpty();
    assertThat(r.err())
        .contains("fakes/target/comfyvn-fakes.jar")
        .contains("bin/comfyvn-compute fake-providers")
        .doesNotContain("Unmatched argument");
  }

  @Test
  void theHelpStillNamesFakeProvidersOnceInItsFooter() {
    Ran r = run("help");
    assertThat(r.exit()).isZero();
    // hidden from the command list; the footer says where it lives
    assertThat(r.out().split("fake-providers", -1)).hasSize(2);
    assertThat(r.out()).contains("fakes/target/comfyvn-fakes.jar");
  }

  @Test
  void aMistypedCommandIsStillPicocliSUsageError() {
    Ran r = run("fake-provider");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Unmatched argument");
  }
}
