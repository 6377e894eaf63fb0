package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.support.Repo;
import io.comfyvn.compute.support.Server;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fake-providers} as a user runs it: the fakes module's packaged jar in its own process
 * (what {@code bin/comfyvn-compute fake-providers} runs), against this module's service.
 */
class FakeProvidersCommandIT {
  private static final Path JAR = Repo.file("fakes/target/comfyvn-fakes.jar");

  @Test
  void theFakesJarHasTheCommandAndItsHelpAndTheServiceJarDoesNot() throws Exception {
    assertThat(Files.exists(JAR)).as("run after 'package'").isTrue();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process help =
        new ProcessBuilder(List.of(java, "-jar", JAR.toString(), "fake-providers", "--help"))
            .redirectErrorStream(true)
            .start();
    String out = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(help.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(help.exitValue()).as(out).isZero();
    assertThat(out).startsWith("Usage: comfyvn-compute fake-providers").contains("--write-config");

    try (ZipFile service = new ZipFile(Path.of("target", "comfyvn-compute.jar").toFile())) {
      assertThat(
              service.stream()
                  .map(ZipEntry::getName)
                  .filter(n -> n.startsWith("io/comfyvn/compute/fakes/")))
          .as("the service jar ships no fake")
          .isEmpty();
    }
  }

  @Test
  void printsWhereThenOneJsonLineThatWorks() throws Exception {
    assertThat(Files.exists(JAR)).as("run after 'package'").isTrue();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(List.of(java, "-jar", JAR.toString(), "fake-providers", "--port", "0"))
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String first = out.readLine();
      assertThat(first).matches("fake providers on http://127\\.0\\.0\\.1:\\d+");
      String base = first.substring("fake providers on ".length());
      String port = base.substring(base.lastIndexOf(':') + 1);
      JsonNode cfg = new ObjectMapper().readTree(out.readLine());
      assertThat(cfg.fieldNames())
          .toIterable()
          .containsExactly("providers_gpu", "egress", "secrets");
      // the service sends the fake keys only to origins it is told to allow
      assertThat(cfg.get("egress").toString())
          .isEqualTo("{\"allowed_base_urls\":[\"" + base + "\"]}");

      JsonNode gpu = cfg.get("providers_gpu");
      assertThat(gpu.get("runpod").toString())
          .isEqualTo(
              "{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:"
                  + port
                  + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\",\"hardware\":\"ADA_24\"}");
      assertThat(gpu.get("replicate").toString())
          .isEqualTo(
              "{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:"
                  + port
                  + "/replicate/v1\",\"model\":\"comfyvn/fake-sdxl\",\"hardware\":\"gpu-l40s\"}");
      assertThat(gpu.get("huggingface").toString())
          .isEqualTo(
              "{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:"
                  + port
                  + "/huggingface/v2\",\"namespace\":\"comfyvn\",\"endpoint\":\"fake-sdxl\","
                  + "\"jobs_base_url\":\"http://127.0.0.1:"
                  + port
                  + "/huggingface/api\",\"hardware\":\"nvidia-l4\"}");
      assertThat(gpu.get("modal").toString())
          .isEqualTo(
              "{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:"
                  + port
                  + "/modal\",\"function\":\"comfyvn_render\",\"hardware\":\"L40S\"}");
      assertThat(gpu.get("comfyui").toString())
          .isEqualTo(
              "{\"mode\":\"live\",\"base_url\":\"http://127.0.0.1:"
                  + port
                  + "/comfyui\",\"hardware\":\"RTX 4090\"}");
      assertThat(gpu.fieldNames())
          .toIterable()
          .containsExactly("runpod", "replicate", "huggingface", "modal", "comfyui", "comfy_cloud");

      JsonNode s = cfg.get("secrets");
      assertThat(s.at("/huggingface/api_key").asText()).startsWith("hf_");
      assertThat(s.at("/replicate/api_token").asText()).startsWith("r8_");
      assertThat(s.at("/modal/token_id").asText()).startsWith("wk-");
      assertThat(s.at("/modal/token_secret").asText()).startsWith("ws-");
      // a LAN ComfyUI needs no secret
      assertThat(s.has("comfyui")).isFalse();

      // The printed secrets open each fake.
      HttpClient http = HttpClient.newHttpClient();
      assertThat(
              call(
                  http,
                  base + "/runpod/v2/fake-endpoint/health",
                  "Authorization",
                  "Bearer " + s.at("/runpod/api_key").asText()))
          .isEqualTo(200);
      assertThat(
              call(
                  http,
                  base + "/replicate/v1/account",
                  "Authorization",
                  "Bearer " + s.at("/replicate/api_token").asText()))
          .isEqualTo(200);
      assertThat(
              call(
                  http,
                  base + "/huggingface/v2/endpoint/comfyvn/fake-sdxl",
                  "Authorization",
                  "Bearer " + s.at("/huggingface/api_key").asText()))
          .isEqualTo(200);
      assertThat(
              call(
                  http,
                  base + "/modal/requests/fc-none/status",
                  "Modal-Key",
                  s.at("/modal/token_id").asText(),
                  "Modal-Secret",
                  s.at("/modal/token_secret").asText()))
          .isEqualTo(404);
      assertThat(call(http, base + "/modal/requests/fc-none/status")).isEqualTo(401);
      assertThat(call(http, base + "/comfyui/system_stats")).isEqualTo(200);
    } finally {
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void writeConfigPutsLiveSettingsIntoAHomeTheServiceRunsLiveFrom(@TempDir Path home)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                List.of(
                    java,
                    "-jar",
                    JAR.toString(),
                    "fake-providers",
                    "--port",
                    "0",
                    "--write-config",
                    home.toString()))
            .redirectError(home.resolve("fakes.err").toFile())
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      // the files are written before the first line
      assertThat(out.readLine()).startsWith("fake providers on http://127.0.0.1:");
      assertThat(home.resolve("config/comfyvn.json")).exists();
      assertThat(
              PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(home.resolve("config/comfyvn.secrets.json"))))
          .isEqualTo("rw-------");
      try (Server server = Server.start(home)) {
        JsonNode providers = server.get("/api/providers/gpu/providers").json();
        assertThat(providers.at("/feature/enabled").asBoolean()).isTrue();
        for (JsonNode pr : providers.get("providers")) {
          assertThat(pr.get("mode").asText()).as(pr.get("slug").asText()).isEqualTo("live");
          assertThat(pr.get("ready").asBoolean()).as(pr.get("slug").asText()).isTrue();
        }
      }
    } finally {
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
    String err = Files.readString(home.resolve("fakes.err"));
    assertThat(err).contains("wrote live-mode settings to " + home.resolve("config/comfyvn.json"));
  }

  private static int call(HttpClient http, String url, String... headers) throws Exception {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).GET();
    if (headers.length > 0) {
      req.headers(headers);
    }
    return http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
