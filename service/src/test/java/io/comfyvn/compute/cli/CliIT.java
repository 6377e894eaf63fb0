package io.comfyvn.compute.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.fakes.Outcome;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import io.comfyvn.compute.support.WorkflowFixture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The client CLI as a user runs it: the packaged jar in its own process, against a served instance
 * whose providers are live on the fake providers.
 */
class CliIT {
  private static final Path JAR = Path.of("target", "comfyvn-compute.jar");
  private static final ObjectMapper MAPPER = Json.mapper();
  @TempDir static Path home;
  private static FakeProviders fakes;
  private static Server server;
  @TempDir Path dir;

  /** What a CLI run printed and how it ended. */
  record Run(int exit, String out, String err) {
    JsonNode json() {
      try {
        return MAPPER.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + out, e);
      }
    }
  }

  @BeforeAll
  static void serve() throws Exception {
    assertThat(JAR).as("run after 'package'").exists();
    fakes =
        new FakeProviders(
                Clock.systemUTC(),
                FakeSettings.defaults()
                    .withJobTimes(Duration.ofMillis(300), Duration.ofMillis(900)),
                FakeCredentials.random())
            .start(0);
    // what 'fake-providers --write-config' writes: every handshake key but the secrets, flag on
    ObjectNode config = fakes.cliConfig();
    JsonNode secrets = config.remove("secrets");
    config.putObject("features").put("enable_public_gpu_adapters", true);
    new TestHome(home).config(config.toString()).secrets(secrets.toString());
    server = Server.start(home);
  }

  @AfterAll
  static void stop() {
    server.close();
    fakes.close();
  }

  static Run cli(Map<String, String> env, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("COMFYVN_API_TOKEN");
    pb.environment().remove("COMFYVN_URL");
    pb.environment().putAll(env);
    Path out = Files.createTempFile("cli", ".out");
    Path err = Files.createTempFile("cli", ".err");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("no end: " + String.join(" ", args));
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static Run cli(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.isEmpty()
        && !all.contains("--url")
        && !all.get(0).equals("help")
        && !all.contains("--help")) {
      all.add(1, "--url");
      all.add(2, server.base());
    }
    return cli(Map.of(), all.toArray(String[]::new));
  }

  @Test
  void helpListsEveryCommandAndExitsZero() throws Exception {
    Run r = cli("help");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .contains(
            "serve",
            "fake-providers",
            "submit",
            "status",
            "watch",
            "cancel",
            "jobs",
            "providers",
            "advise",
            "simulate",
            "artifacts",
            "logs");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "submit",
        "status",
        "watch",
        "cancel",
        "jobs",
        "providers",
        "advise",
        "simulate",
        "artifacts",
        "logs",
        "serve"
      })
  void everyCommandHasItsOwnHelp(String name) throws Exception {
    Run r = cli(name, "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).startsWith("Usage: comfyvn-compute " + name);
    Run viaHelp = cli("help", name);
    assertThat(viaHelp.exit()).isZero();
    assertThat(viaHelp.out()).isEqualTo(r.out());
  }

  @Test
  void anUnknownWordIsAUsageErrorWithASuggestion() throws Exception {
    Run r = cli(Map.of(), "sumbit", "--prompt", "x");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("Did you mean").contains("submit");
    Run opt = cli("jobs", "--limt", "3");
    assertThat(opt.exit()).isEqualTo(2);
    assertThat(opt.err()).contains("--limit");
  }

  @Test
  void anUnreachableServiceIsExitThreeWithAHint() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    Run r = cli(Map.of(), "jobs", "--url", "http://127.0.0.1:" + closed);
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).contains("cannot reach the service", "bin/comfyvn-compute serve");
    assertThat(r.err()).doesNotContain("\tat ", "Exception");
  }

  @Test
  void submitWaitRunsALiveJobToItsPngAndDownloadsItWithProvenance() throws Exception {
    Path downloads = dir.resolve("out");
    Run r =
        cli(
            "submit",
            "--provider",
            "replicate",
            "--prompt",
            "a castle at dusk",
            "--seed",
            "7",
            "--wait",
            "--interval",
            "100ms",
            "--download",
            downloads.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    String id = r.out().lines().findFirst().orElseThrow().split(" ")[0];
    assertThat(r.out()).startsWith(id + " done");
    // not a terminal: plain progress lines, no bar redraws
    assertThat(r.err()).contains("submitted " + id + " to replicate (live)").contains("done 100%");
    assertThat(r.err()).doesNotContain("\r");

    List<Path> files;
    try (var s = Files.list(downloads)) {
      files = s.sorted().toList();
    }
    Path png = files.stream().filter(f -> f.toString().endsWith(".png")).findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
    JsonNode listing = cli("artifacts", id, "--json").json();
    assertThat(listing.at("/artifacts/0/sha256").asText())
        .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
    JsonNode prov = MAPPER.readTree(png.resolveSibling(png.getFileName() + ".prov.json").toFile());
    assertThat(prov.at("/provenance/provider").asText()).isEqualTo("replicate");

    Run status = cli("status", id);
    assertThat(status.exit()).isZero();
    assertThat(status.out()).contains("status", "done", "replicate", "live");
    assertThat(cli("status", id, "--json").json().get("status").asText()).isEqualTo("done");

    JsonNode jobs = cli("jobs", "--json").json();
    assertThat(jobs.findValuesAsText("id")).contains(id);
    Run table = cli("jobs", "--status", "done");
    assertThat(table.out()).startsWith("ID").contains(id);

    Run logs = cli("logs", id);
    assertThat(logs.exit()).as(logs.err()).isZero();
    assertThat(logs.out()).isNotBlank();
    assertThat(cli("logs", "no-such-task").exit()).isEqualTo(4);

    Run cancel = cli("cancel", id);
    assertThat(cancel.exit()).isZero();
    assertThat(cancel.out()).contains("already done");

    Run watch = cli("watch", id, "--timeout", "20s");
    assertThat(watch.exit()).isZero();
    assertThat(watch.out()).contains(id + " done");
  }

  @Test
  void aFailedJobExitsOneAndSaysWhy() throws Exception {
    fakes.forceNextOutcome(FakeProviders.RUNPOD, Outcome.FAIL);
    Run r = cli("submit", "-p", "runpod", "--prompt", "doomed", "--wait", "--interval", "100ms");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out()).contains(" error");
    assertThat(r.err()).contains("failed");
    String id = r.out().lines().findFirst().orElseThrow().split(" ")[0];
    assertThat(cli("status", id).exit()).isEqualTo(1);
  }

  @Test
  void watchFollowsARunningJobToItsEndOverTheStream() throws Exception {
    Run submitted = cli("submit", "-p", "modal", "--prompt", "a harbour");
    assertThat(submitted.exit()).as(submitted.err()).isZero();
    String id = submitted.out().trim();
    Run w = cli("watch", id, "--progress", "plain", "--timeout", "30s");
    assertThat(w.exit()).as(w.err()).isZero();
    assertThat(w.out()).contains(id + " done");
    assertThat(w.err()).contains("done 100%");
  }

  @Test
  void timeoutLeavesTheJobRunningAndExitsSeven() throws Exception {
    Run r = cli("submit", "-p", "huggingface", "--prompt", "slow", "--wait", "--timeout", "1ms");
    assertThat(r.exit()).as(r.err()).isEqualTo(7);
    assertThat(r.err()).contains("after --timeout", "comfyvn-compute watch");
  }

  @Test
  void onATerminalTheBarIsRedrawnInPlace() throws Exception {
    Run r =
        cli(
            "submit",
            "-p",
            "comfyui",
            "--prompt",
            "bar",
            "--wait",
            "--progress",
            "bar",
            "--interval",
            "100ms");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("\r[").contains("] 100% done");
  }

  @Test
  void dryRunWithoutSecretsIsNotSubmittedAndSaysWhatIsMissing(@TempDir Path bare) throws Exception {
    try (Server plain = Server.start(bare)) {
      Run r = cli(Map.of(), "submit", "--url", plain.base(), "-p", "runpod", "--prompt", "x");
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).contains("not submitted: missing token", "runpod.api_key");
      Run providers = cli(Map.of(), "providers", "--url", plain.base());
      assertThat(providers.exit()).isZero();
      assertThat(providers.out()).startsWith("PROVIDER").contains("runpod", "dry_run");
      assertThat(providers.err()).contains("enable_public_gpu_adapters: off");
    }
  }

  @Test
  void forcedDryRunAndSimAnswerDeterministically() throws Exception {
    Run dry = cli("submit", "-p", "runpod", "--prompt", "x", "--seed", "42", "--dry-run", "--json");
    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(dry.json().get("id").asText()).isEqualTo("mock-runpod-42");

    Run a = cli("simulate", "-p", "runpod", "--prompt", "x", "--seed", "9", "--json");
    Run b = cli("simulate", "-p", "runpod", "--prompt", "x", "--seed", "9", "--json");
    assertThat(a.out()).isEqualTo(b.out());
    assertThat(a.exit()).isEqualTo("done".equals(a.json().get("outcome").asText()) ? 0 : 1);
    Run human = cli("simulate", "-p", "runpod", "--prompt", "x", "--seed", "9");
    assertThat(human.out()).contains("outcome: " + a.json().get("outcome").asText());
  }

  @Test
  void aWorkflowFileIsSubmittedAsAWorkflowAndAdvised() throws Exception {
    // the built-in text-to-image graph: a complete API-format workflow with a SaveImage
    Path wf = dir.resolve("wf.json");
    Files.copy(Path.of("src/main/resources/io/comfyvn/compute/gpu/comfyui/txt2img.json"), wf);
    Run advise = cli("advise", wf.toString());
    assertThat(advise.exit()).as(advise.err()).isZero();
    assertThat(advise.out()).contains("choice:", "RANK");
    Run sub = cli("submit", wf.toString(), "-p", "runpod", "--dry-run", "--json");
    assertThat(sub.exit()).as(sub.err()).isZero();
    String task = sub.json().get("task_id").asText();
    assertThat(cli("status", task, "--json").json().get("status").asText()).isEqualTo("done");
    Run live = cli("submit", wf.toString(), "-p", "comfyui", "--wait", "--interval", "100ms");
    assertThat(live.exit()).as(live.err()).isZero();
    assertThat(live.out()).contains(" done").contains(".png");

    Path ui = dir.resolve("ui.json");
    Files.writeString(ui, "{\"nodes\":[],\"links\":[]}");
    Run refused = cli("submit", ui.toString(), "-p", "comfyui");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("Save (API Format)");
    Run broken = cli("submit", dir.resolve("missing.json").toString(), "-p", "runpod");
    assertThat(broken.exit()).isEqualTo(2);
  }

  @Test
  void aWorkflowWithItsInputImageRunsLiveAndItsOutputsComeBackWithSidecars() throws Exception {
    Path wf = dir.resolve("sdxl_img2img.json");
    Files.writeString(wf, WorkflowFixture.sdxlImg2Img().toString());
    byte[] png = WorkflowFixture.sketch();
    Path sketch = Files.write(dir.resolve("my sketch.png"), png);
    Path out = dir.resolve("renders");
    Run run =
        cli(
            "submit",
            wf.toString(),
            "--input",
            WorkflowFixture.INPUT + "=" + sketch,
            "-p",
            "comfyui",
            "--seed",
            String.valueOf(WorkflowFixture.SEED),
            "--download",
            out.toString(),
            "--interval",
            "100ms",
            "--progress",
            "plain");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains(" done", "saved ");
    try (var files = Files.list(out)) {
      List<Path> images = files.filter(f -> f.toString().endsWith(".png")).toList();
      assertThat(images).hasSize(1);
      JsonNode prov = WorkflowFixture.provenance(images.get(0));
      // the file read by the CLI is the one the graph's LoadImage got, by its name in the graph
      assertThat(prov.at("/inputs/" + WorkflowFixture.INPUT + "/sha256").asText())
          .isEqualTo(WorkflowFixture.sha256(png));
      assertThat(prov.get("seed").asLong()).isEqualTo(WorkflowFixture.SEED);
    }

    // simulate takes the same files: a seeded answer, the same twice
    String[] simulate = {
      "simulate",
      wf.toString(),
      "--input",
      WorkflowFixture.INPUT + "=" + sketch,
      "-p",
      "comfyui",
      "--seed",
      "42",
      "--json"
    };
    Run simA = cli(simulate);
    Run simB = cli(simulate);
    assertThat(simA.exit()).as(simA.err()).isIn(0, 1);
    assertThat(simA.out()).isEqualTo(simB.out()).contains("\"outcome\"");

    // without its input the box refuses the prompt (its input folder lacks the file; nothing is
    // queued): exit 4, and the reason names the node and the file
    Run missing = cli("submit", wf.toString(), "-p", "comfyui");
    assertThat(missing.exit()).as(missing.out()).isEqualTo(4);
    assertThat(missing.err()).contains("LoadImage", "Invalid image file: " + WorkflowFixture.INPUT);
    Run noFile =
        cli("submit", wf.toString(), "--input", "x.png=" + dir.resolve("no.png"), "-p", "comfyui");
    assertThat(noFile.exit()).isEqualTo(2);
    assertThat(noFile.err()).contains("no such file");
  }

  @Test
  void refusalsAreExitFourWithTheServicesReason() throws Exception {
    Run r = cli("status", "no-such-task");
    assertThat(r.exit()).isEqualTo(4);
    Run unknown = cli("submit", "-p", "nosuchprovider", "--prompt", "x");
    assertThat(unknown.exit()).isEqualTo(4);
    assertThat(unknown.err()).startsWith("error: ").contains("HTTP 4");
  }

  @Test
  void theTokenFromTheEnvironmentIsSentAndNeverPrinted() throws Exception {
    String token = "CANARY-TOKEN-5d1c";
    AtomicReference<String> seen = new AtomicReference<>();
    HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    stub.createContext(
        "/",
        ex -> {
          seen.set(ex.getRequestHeaders().getFirst("Authorization"));
          byte[] body =
              "{\"ok\":false,\"code\":\"unauthorized\",\"message\":\"bad token\"}"
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(401, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    stub.start();
    try {
      String url = "http://127.0.0.1:" + stub.getAddress().getPort();
      Run r = cli(Map.of("COMFYVN_API_TOKEN", token), "jobs", "--url", url);
      assertThat(seen.get()).isEqualTo("Bearer " + token);
      assertThat(r.exit()).isEqualTo(4);
      assertThat(r.out() + r.err()).contains("unauthorized").doesNotContain(token);
      Run without = cli(Map.of("COMFYVN_URL", url), "jobs");
      assertThat(without.exit()).isEqualTo(4);
      assertThat(without.err()).contains("set COMFYVN_API_TOKEN");
    } finally {
      stub.stop(0);
    }
  }
}
