package io.comfyvn.compute.live;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.fakes.FakeCredentials;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.FakeSettings;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * Fake providers on a fake clock, and a service configured to use them live (flag on, secrets
 * present, {@code mode: live}; the self-hosted ComfyUI needs none; the fakes' loopback origin in
 * {@code egress.allowed_base_urls}, as their handshake prints it), with small poll intervals and
 * retry delays so tests stay fast.
 */
final class LiveHarness implements AutoCloseable {
  final FakeClock clock = new FakeClock(Instant.parse("2026-11-29T12:00:00Z"));
  final FakeProviders fakes;
  final TestHome home;
  Server server;

  LiveHarness(Path dir) {
    this(dir, FakeSettings.defaults().withJobTimes(Duration.ofSeconds(2), Duration.ofSeconds(5)));
  }

  LiveHarness(Path dir, FakeSettings settings) {
    this(dir, settings, FakeCredentials.forTests());
  }

  LiveHarness(Path dir, FakeSettings settings, FakeCredentials credentials) {
    fakes = new FakeProviders(clock, settings, credentials).start(0);
    home = new TestHome(dir);
    FakeCredentials c = fakes.credentials();
    String f = fakes.baseUrl();
    String resilience =
        "\"resilience\":{\"retry\":{\"max_attempts\":5,\"base_delay_ms\":5,\"max_delay_ms\":20,"
            + "\"max_retry_after_ms\":20},\"timeouts\":{\"create_ms\":2000,\"read_ms\":2000,\"cancel_ms\":2000},"
            + "\"circuit_breaker\":{\"window\":50}}";
    home.config(
        "{\"features\":{\"enable_public_gpu_adapters\":true},"
            + "\"webhooks\":{\"public_url\":\"self\"},"
            // the fakes' handshake names the origin the service may send their keys to
            + "\"egress\":"
            + fakes.cliConfig().get("egress")
            + ","
            + "\"tracker\":{\"initial_poll_ms\":20,\"max_poll_ms\":80,\"workers\":2,\"reconcile_after_ms\":600000},"
            + "\"providers_gpu\":{"
            + "\"runpod\":{\"mode\":\"live\",\"base_url\":\""
            + f
            + "/runpod/v2\",\"endpoint_id\":\"fake-endpoint\","
            + resilience
            + "},"
            + "\"replicate\":{\"mode\":\"live\",\"base_url\":\""
            + f
            + "/replicate/v1\",\"model\":\"comfyvn/fake-sdxl\","
            + resilience
            + "},"
            + "\"huggingface\":{\"mode\":\"live\",\"base_url\":\""
            + f
            + "/huggingface/v2\",\"namespace\":\"comfyvn\",\"endpoint\":\"fake-sdxl\",\"jobs_base_url\":\""
            + f
            + "/huggingface/api\","
            + resilience
            + "},"
            + "\"modal\":{\"mode\":\"live\",\"base_url\":\""
            + f
            + "/modal\",\"function\":\"comfyvn_render\","
            + resilience
            + "},"
            + "\"comfyui\":{\"mode\":\"live\",\"base_url\":\""
            + f
            + "/comfyui\",\"hardware\":\"RTX 4090\","
            + resilience
            + "},"
            + "\"comfy_cloud\":{\"mode\":\"live\",\"base_url\":\""
            + f
            + "/comfycloud\",\"hardware\":\"RTX PRO 6000\","
            + resilience
            + "}}}");
    home.secrets(
        "{\"runpod\":{\"api_key\":\""
            + c.runpodApiKey()
            + "\"},"
            + "\"replicate\":{\"api_token\":\""
            + c.replicateToken()
            + "\"},"
            + "\"huggingface\":{\"api_key\":\""
            + c.huggingfaceToken()
            + "\"},"
            + "\"comfy_cloud\":{\"api_key\":\""
            + c.comfyCloudApiKey()
            + "\"},"
            + "\"modal\":{\"token_id\":\""
            + c.modalTokenId()
            + "\",\"token_secret\":\""
            + c.modalTokenSecret()
            + "\"}}");
    server = Server.start(dir);
  }

  /** Edits {@code config/comfyvn.json} and restarts the service to read it. */
  void reconfigure(
      java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> edit) {
    try {
      com.fasterxml.jackson.databind.node.ObjectNode cfg =
          (com.fasterxml.jackson.databind.node.ObjectNode)
              io.comfyvn.compute.Json.mapper().readTree(home.read("config/comfyvn.json"));
      edit.accept(cfg);
      home.config(cfg.toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    restart();
  }

  /** Restarts the service on the same home folder (the fakes keep running). */
  void restart() {
    server.close();
    server = Server.start(home.root());
  }

  JsonNode submit(String provider, String prompt) {
    return server
        .post(
            "/api/providers/gpu/submit",
            "{\"provider\":\""
                + provider
                + "\",\"seed\":7,\"job\":{\"input\":{\"prompt\":\""
                + prompt
                + "\"}}}")
        .json();
  }

  JsonNode poll(String taskId) {
    return server.get("/api/providers/gpu/poll/" + taskId).json();
  }

  /**
   * Polls the service until the task matches, advancing the fake providers' clock a little each
   * round; fails after a bounded number of rounds (not a timing assertion: the bound only stops a
   * broken test from hanging).
   */
  JsonNode await(String taskId, Predicate<JsonNode> done) {
    JsonNode last = null;
    for (int i = 0; i < 400; i++) {
      last = poll(taskId);
      if (done.test(last)) {
        return last;
      }
      clock.advance(Duration.ofMillis(500));
      fakes.tick();
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("task " + taskId + " never matched; last: " + last);
  }

  static Predicate<JsonNode> status(String s) {
    return j -> s.equals(j.path("status").asText());
  }

  @Override
  public void close() {
    server.close();
    fakes.close();
  }
}
