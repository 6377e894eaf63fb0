package io.comfyvn.compute.doctor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code doctor} and {@code serve}'s refusal as a user runs them: the packaged jar in its own
 * process, against homes in temp folders. Nothing is served: doctor opens no port.
 */
class DoctorIT {
  private static final Path JAR = Path.of("target", "comfyvn-compute.jar");
  @TempDir Path home;

  /** What a run printed and how it ended. */
  record Run(int exit, String out, String err) {
    JsonNode json() throws Exception {
      return Json.mapper().readTree(out);
    }
  }

  @BeforeAll
  static void jar() {
    assertThat(JAR).as("run after 'package'").exists();
  }

  static Run run(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("COMFYVN_API_TOKEN");
    pb.environment().remove("COMFYVN_HOME");
    Path out = Files.createTempFile("doctor", ".out");
    Path err = Files.createTempFile("doctor", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("no end: " + String.join(" ", args));
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void anEmptyHomeHasNoProblemAndEveryProviderRunsDryRun() throws Exception {
    Run r = run("doctor", "--home", home.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("home: " + home, "(absent: the shipped defaults)", "no problems found")
        .contains("feature enable_public_gpu_adapters: off");
    assertThat(r.out().lines().filter(l -> l.startsWith("runpod ")))
        .singleElement()
        .satisfies(l -> assertThat(l).contains("dry_run", "no", "missing secrets: runpod.api_key"));
    // doctor writes nothing into the home
    try (var files = Files.list(home)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void typosArePrintedWithFilePathAndAllowedValuesAndServeRefusesToStart() throws Exception {
    new TestHome(home)
        .config(
            "{\"features\":{\"enable_public_gpu_adapters\":\"yes\"},"
                + "\"providers_gpu\":{\"runpod\":{\"mode\":\"liev\",\"endpointid\":\"e\"}}}");
    String file = home.resolve("config/comfyvn.json").toString();
    Run r = run("doctor", "--home", home.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out())
        .contains("problems: 2 errors, 1 warning (serve refuses to start on errors)")
        .contains(
            "error: "
                + file
                + ": providers_gpu.runpod.mode: unknown word \"liev\" (allowed: dry_run|live);"
                + " did you mean \"live\"?")
        .contains(
            "error: "
                + file
                + ": features.enable_public_gpu_adapters: is \"yes\", must be true or false")
        .contains("warning: " + file + ": providers_gpu.runpod.endpointid: unknown key, ignored");

    Run serve = run("serve", "--port", "0", "--home", home.toString());
    assertThat(serve.exit()).as(serve.err()).isEqualTo(2);
    assertThat(serve.out()).doesNotContain("listening");
    assertThat(serve.err())
        .contains("unknown word \"liev\"", "did you mean \"live\"", "must be true or false")
        .contains("error: cannot start: 2 errors in " + file)
        .doesNotContain("\tat ", "Exception");
  }

  @Test
  void theJsonReportSaysWhatWouldRunLiveFromTheSameDecision() throws Exception {
    new TestHome(home)
        .config(
            "{\"features\":{\"enable_public_gpu_adapters\":true},\"providers_gpu\":{"
                + "\"runpod\":{\"mode\":\"live\",\"endpoint_id\":\"ep\"},"
                + "\"replicate\":{\"mode\":\"live\"}}}")
        .secrets(
            "{\"runpod\":{\"api_key\":\"rpa_0123456789abcdef\"},"
                + "\"replicate\":{\"api_token\":\"r8_...\"}}");
    Files.setPosixFilePermissions(
        home.resolve("config/comfyvn.secrets.json"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Run r = run("doctor", "--home", home.toString(), "--json");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1); // the placeholder is a warning
    JsonNode j = r.json();
    assertThat(j.get("serve_would_start").asBoolean()).isTrue();
    assertThat(j.at("/feature/enabled").asBoolean()).isTrue();
    JsonNode runpod = null;
    JsonNode replicate = null;
    for (JsonNode p : j.get("providers")) {
      if (p.get("slug").asText().equals("runpod")) {
        runpod = p;
      } else if (p.get("slug").asText().equals("replicate")) {
        replicate = p;
      }
    }
    assertThat(runpod.get("would_run").asText()).isEqualTo("live");
    assertThat(runpod.get("not_live_because")).isEmpty();
    assertThat(replicate.get("would_run").asText()).isEqualTo("dry_run");
    assertThat(replicate.get("readiness").asText()).isEqualTo("missing_secrets");
    assertThat(replicate.get("not_live_because").toString())
        .contains("missing secrets: replicate.api_token");
    assertThat(j.get("problems"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.get("severity").asText()).isEqualTo("warning");
              assertThat(p.get("path").asText()).isEqualTo("replicate.api_token");
            });
    assertThat(r.out()).doesNotContain("rpa_0123456789abcdef", "r8_...");
  }

  @Test
  void aBadOptionIsAUsageError() throws Exception {
    Run r = run("doctor", "--hme", home.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--hme");
    Run help = run("doctor", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("--home", "--json", "Exit codes");
  }
}
