package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.TestHome;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's start command, run as a user runs it: the packaged jar in its own process. */
class ServeCommandIT {
  private static final Path JAR = Path.of("target", "comfyvn-compute.jar");
  @TempDir Path dir;

  private Process serve(String... extra) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new java.util.ArrayList<>(List.of(java, "-jar", JAR.toString(), "serve"));
    cmd.addAll(List.of(extra));
    return new ProcessBuilder(cmd).redirectErrorStream(false).start();
  }

  @Test
  void servesOnAFreePortAndPrintsWhereIntoAnEmptyHome() throws Exception {
    assertThat(Files.exists(JAR)).as("run after 'package'").isTrue();
    Process p = serve("--port", "0", "--home", dir.toString());
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      assertThat(line).matches("listening on http://127\\.0\\.0\\.1:\\d+");
      Matcher m = Pattern.compile(":(\\d+)$").matcher(line);
      assertThat(m.find()).isTrue();
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/health"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"ok\":true");
      assertThat(dir.resolve("data")).isDirectory();
      assertThat(dir.resolve("logs")).isDirectory();
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void badConfigIsOneClearLineWithFileAndLineAndNoStackTrace() throws Exception {
    new TestHome(dir).config("{\n \"features\": {,}\n}");
    Process p = serve("--port", "0", "--home", dir.toString());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(err).contains("comfyvn.json", "line 2").doesNotContain("\tat ", "Exception");
  }
}
