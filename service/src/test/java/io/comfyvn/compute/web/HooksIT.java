package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.hooks.HookWebhooks;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Modder hooks for GPU jobs: listing, signed webhooks, history and the WebSocket stream. */
class HooksIT {
  @TempDir Path dir;

  /** A signed delivery as received. */
  record Delivery(String signature, byte[] body) {}

  @Test
  void jobEventsReachSignedWebhooksHistoryAndTheSocket() throws Exception {
    new TestHome(dir).allSecrets("t");
    BlockingQueue<Delivery> received = new LinkedBlockingQueue<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        ex -> {
          received.add(
              new Delivery(
                  ex.getRequestHeaders().getFirst("X-Comfy-Signature"),
                  ex.getRequestBody().readAllBytes()));
          ex.sendResponseHeaders(204, -1);
          ex.close();
        });
    receiver.start();
    try (Server s = Server.start(dir)) {
      JsonNode listing = s.get("/api/modder/hooks").json();
      assertThat(listing.get("hooks").toString())
          .contains("on_gpu_job_submitted", "modder.on_gpu_job_finished", "on_asset_saved");
      String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
      JsonNode add =
          s.post(
                  "/api/modder/hooks/webhooks",
                  "{\"event\":\"on_gpu_job_submitted\",\"url\":\""
                      + url
                      + "\",\"secret\":\"modder-secret\"}")
              .json();
      assertThat(add.get("webhook").get("signed").asBoolean()).isTrue();
      assertThat(add.toString()).doesNotContain("modder-secret");

      BlockingQueue<String> socket = new LinkedBlockingQueue<>();
      WebSocket ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(
                  URI.create(s.base().replace("http", "ws") + "/api/modder/hooks/ws"),
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                      socket.add(data.toString());
                      w.request(1);
                      return null;
                    }
                  })
              .get(5, TimeUnit.SECONDS);
      ws.sendText("{\"topics\":[\"modder.on_gpu_job_finished\"]}", true).get(5, TimeUnit.SECONDS);
      assertThat(socket.poll(5, TimeUnit.SECONDS))
          .contains("\"subscribed\"", "modder.on_gpu_job_finished");

      String task =
          s.post(
                  "/api/providers/gpu/submit",
                  "{\"provider\":\"modal\",\"seed\":3,\"job\":{\"input\":{}}}")
              .json()
              .get("task_id")
              .asText();

      Delivery d = received.poll(10, TimeUnit.SECONDS);
      assertThat(d).isNotNull();
      assertThat(d.signature()).isEqualTo(HookWebhooks.sign("modder-secret", d.body()));
      JsonNode env = Json.mapper().readTree(d.body());
      assertThat(env.get("event").asText()).isEqualTo("on_gpu_job_submitted");
      assertThat(env.get("data").get("task_id").asText()).isEqualTo(task);
      assertThat(env.get("data").get("dry_run").asBoolean()).isTrue();

      String finished = socket.poll(5, TimeUnit.SECONDS);
      assertThat(finished).contains("on_gpu_job_finished", task);

      JsonNode history = s.get("/api/modder/hooks/history?limit=5").json().get("items");
      assertThat(history.findValuesAsText("event"))
          .containsSubsequence("on_gpu_job_submitted", "on_gpu_job_finished");
      ws.abort();
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void badRegistrationsAre4xx() {
    try (Server s = Server.start(dir)) {
      for (String body :
          List.of(
              "{\"event\":\"on_nothing\",\"url\":\"http://127.0.0.1:1/x\"}",
              "{\"event\":\"on_gpu_job_submitted\",\"url\":\"ftp://x\"}",
              "{\"event\":\"on_gpu_job_submitted\"}",
              "{\"event\":\"on_gpu_job_submitted\",\"url\":\"http://127.0.0.1:1/x\",\"secret\":5}")) {
        assertThat(s.post("/api/modder/hooks/webhooks", body).status()).as(body).isEqualTo(400);
      }
      assertThat(s.get("/api/modder/hooks/history?limit=0").status()).isEqualTo(400);
      assertThat(s.post("/api/modder/hooks/test", "{\"event\":\"nope\"}").status()).isEqualTo(400);
      assertThat(s.post("/api/modder/hooks/test", "{}").json().get("ok").asBoolean()).isTrue();
    }
  }
}
