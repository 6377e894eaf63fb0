package io.comfyvn.compute.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.fakes.Fault;
import io.comfyvn.compute.gpu.http.KnownSecrets;
import io.comfyvn.compute.support.CaptureListener;
import io.comfyvn.compute.support.Server.Reply;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live mode against the fakes: credentials go only to allowed origins (a capture listener on an
 * unlisted origin sees no connection from a submit, poll, cancel or health), and keys that a
 * provider echoes back (in a long error, inside a job id) appear in no answer, task, log line, hook
 * history or socket message.
 */
class EgressLiveIT {
  private static final List<String> PROVIDERS =
      List.of("runpod", "replicate", "huggingface", "modal", "comfyui");
  private static final String COMFY_TOKEN =
      "cfy_CANARY_"
          + HexFormat.of()
              .formatHex(
                  new byte[] {
                    0x3c, 0x7a, 0x11, 0x5e, 0x62, 0x0f, 0x4d, 0x28, 0x19, 0x73, 0x2b, 0x6e
                  });

  @TempDir Path dir;

  /** The harness's secrets plus a bearer token for the self-hosted ComfyUI's proxy. */
  private static void addComfyToken(LiveHarness h) {
    try {
      ObjectNode s =
          (ObjectNode) Json.mapper().readTree(h.home.read("config/comfyvn.secrets.json"));
      s.putObject("comfyui").put("api_key", COMFY_TOKEN);
      h.home.secrets(s.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void assertDenied(Reply r, String host) {
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.json().path("ok").asBoolean(true)).isFalse();
    assertThat(r.json().path("code").asText()).isEqualTo("egress_denied");
    assertThat(r.json().path("message").asText()).contains(host);
  }

  @Test
  void noLiveCallSendsAKeyToAnUnlistedBaseUrl() {
    try (CaptureListener attacker = new CaptureListener();
        LiveHarness h = new LiveHarness(dir)) {
      addComfyToken(h);
      // accepted while every provider pointed at the (allowed) fakes
      String task = h.submit("runpod", "before").get("task_id").asText();
      assertThat(h.fakes.stats().creates("runpod")).isEqualTo(1);
      // now each base URL names an origin that is not allowed
      h.reconfigure(
          cfg -> {
            for (String p : PROVIDERS) {
              ObjectNode s = (ObjectNode) cfg.path("providers_gpu").path(p);
              s.put("base_url", attacker.origin() + "/" + p);
              if (s.has("jobs_base_url")) {
                s.put("jobs_base_url", attacker.origin() + "/hf-jobs");
              }
            }
          });
      String host = attacker.origin().substring("http://".length());
      for (String p : PROVIDERS) {
        assertDenied(
            h.server.post(
                "/api/providers/gpu/submit",
                "{\"provider\":\"" + p + "\",\"seed\":3,\"job\":{\"input\":{\"prompt\":\"x\"}}}"),
            host);
        assertDenied(
            h.server.post("/api/providers/gpu/health", "{\"provider\":\"" + p + "\"}"), host);
      }
      assertDenied(h.server.post("/api/providers/gpu/cancel/" + task, ""), host);
      // polling answers from the task registry; the tracker's own polls are refused too
      for (int i = 0; i < 10; i++) {
        assertThat(h.poll(task).path("task_id").asText()).isEqualTo(task);
        h.clock.advance(Duration.ofSeconds(1));
        h.fakes.tick();
      }
      assertThat(attacker.connections()).as("TCP connections to the unlisted origin").isZero();
      assertThat(h.fakes.stats().creates("runpod")).isEqualTo(1);
    }
  }

  @Test
  void echoedKeysAppearNowhere() throws Exception {
    PrintStream realErr = System.err;
    PrintStream realOut = System.out;
    ByteArrayOutputStream serviceLog = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(serviceLog, true, StandardCharsets.UTF_8);
    List<String> seen = new ArrayList<>();
    Queue<String> socket = new ConcurrentLinkedQueue<>();
    FakeCredentials c = FakeCredentials.random();
    System.setErr(tee);
    System.setOut(tee);
    try (LiveHarness h =
        new LiveHarness(
            dir,
            FakeSettings.defaults().withJobTimes(Duration.ofSeconds(2), Duration.ofSeconds(5)),
            c)) {
      addComfyToken(h);
      HttpClient http = HttpClient.newHttpClient();
      String ws = h.server.base().replace("http", "ws");
      WebSocket.Listener collect =
          new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
              socket.add(data.toString());
              w.request(1);
              return null;
            }
          };
      WebSocket jobs =
          http.newWebSocketBuilder()
              .buildAsync(URI.create(ws + "/jobs/ws"), collect)
              .get(5, TimeUnit.SECONDS);
      WebSocket hooks =
          http.newWebSocketBuilder()
              .buildAsync(URI.create(ws + "/api/modder/hooks/ws"), collect)
              .get(5, TimeUnit.SECONDS);
      hooks
          .sendText(
              "{\"topics\":[\"modder.on_gpu_job_submitted\",\"modder.on_gpu_job_updated\","
                  + "\"modder.on_gpu_job_finished\",\"modder.on_asset_saved\"]}",
              true)
          .get(5, TimeUnit.SECONDS);

      // a long (> 300 characters) error quoting the credentials, on every provider's first call
      for (String p : PROVIDERS) {
        h.fakes.inject(Fault.echo(p, "*", 401, 1));
        seen.add(
            h.server
                .post(
                    "/api/providers/gpu/submit",
                    "{\"provider\":\"" + p + "\",\"seed\":11,\"job\":{\"input\":{}}}")
                .body());
        h.fakes.inject(Fault.echo(p, "*", 401, 1));
        seen.add(h.server.post("/api/providers/gpu/health", "{\"provider\":\"" + p + "\"}").body());
      }
      // the credentials inside the job id a create returns (ComfyUI's "p-Bearer <key>")
      h.fakes.clearFaults();
      List<String> tasks = new ArrayList<>();
      for (String p : List.of("comfyui", "runpod", "replicate")) {
        h.fakes.inject(Fault.echoInId(p, "create", 1));
        JsonNode sub = h.submit(p, "echo " + p);
        seen.add(sub.toString());
        assertThat(sub.path("id").asText()).as(sub.toString()).contains("Bearer ***");
        tasks.add(sub.path("task_id").asText());
      }
      for (int round = 0; round < 30; round++) {
        for (String t : tasks) {
          seen.add(h.poll(t).toString());
        }
        h.clock.advance(Duration.ofMillis(500));
        h.fakes.tick();
        Thread.sleep(20);
      }
      for (String t : tasks) {
        seen.add(h.server.get("/jobs/status/" + t).body());
      }
      seen.add(h.server.get("/jobs/all").body());
      seen.add(h.server.get("/api/modder/hooks/history?limit=200").body());
      seen.add(h.home.read("logs/providers_gpu.log"));
      jobs.abort();
      hooks.abort();
    } finally {
      System.setErr(realErr);
      System.setOut(realOut);
    }
    String everything =
        String.join("\n", seen)
            + "\n"
            + String.join("\n", socket)
            + "\n"
            + serviceLog.toString(StandardCharsets.UTF_8);
    // the echoes did happen, and arrived masked
    assertThat(everything).contains("Credentials received: Authorization: Bearer ***");
    assertThat(String.join("\n", socket)).contains("Bearer ***");
    for (String secret :
        List.of(
            c.runpodApiKey(),
            c.replicateToken(),
            c.huggingfaceToken(),
            c.modalTokenId(),
            c.modalTokenSecret(),
            COMFY_TOKEN)) {
      for (String form : KnownSecrets.forms(secret)) {
        for (int i = 0; i + KnownSecrets.WINDOW <= form.length(); i++) {
          assertThat(everything).doesNotContain(form.substring(i, i + KnownSecrets.WINDOW));
        }
      }
      assertThat(everything).doesNotContain(secret);
    }
  }
}
