package io.comfyvn.compute.hooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Modder webhooks without a network or a thread: a recording poster, a direct executor. */
class HookWebhooksTest {
  @TempDir Path home;

  private record Post(URI url, Map<String, String> headers, byte[] body) {}

  private final List<Post> posts = new ArrayList<>();
  private final Deque<Object> answers = new ArrayDeque<>();
  private final List<Duration> slept = new ArrayList<>();

  private HookWebhooks hooks() {
    return new HookWebhooks(
        home,
        Json.mapper(),
        (url, headers, body) -> {
          posts.add(new Post(url, headers, body));
          Object a = answers.isEmpty() ? 200 : answers.poll();
          if (a instanceof IOException e) {
            throw e;
          }
          return (Integer) a;
        },
        Runnable::run,
        slept::add);
  }

  private static HookEvent event(String name) {
    ObjectNode d = Json.mapper().createObjectNode().put("task_id", "t1");
    return new HookEvent(name, 1.5, d);
  }

  @Test
  void registrationsPersistAndNeverShowTheSecret() {
    HookWebhooks w = hooks();
    w.add("on_gpu_job_finished", "http://127.0.0.1:9/a", "s3cret-value");
    w.add("on_gpu_job_finished", "http://127.0.0.1:9/a", "s3cret-value"); // replaces
    w.add("on_asset_saved", "https://example.test/b", null);
    assertThat(w.list())
        .containsExactly(
            new HookWebhooks.View("on_gpu_job_finished", "http://127.0.0.1:9/a", true),
            new HookWebhooks.View("on_asset_saved", "https://example.test/b", false));
    assertThat(hooks().list()).hasSize(2); // read back from data/webhooks.json
    assertThat(w.remove("on_asset_saved", "https://example.test/b")).isTrue();
    assertThat(w.remove("on_asset_saved", "https://example.test/b")).isFalse();
    assertThat(hooks().list()).hasSize(1);
  }

  @Test
  void badRegistrationsAreRefused() {
    HookWebhooks w = hooks();
    for (String[] bad :
        new String[][] {
          {"no_such_hook", "http://127.0.0.1/x"},
          {"on_gpu_job_finished", "ftp://127.0.0.1/x"},
          {"on_gpu_job_finished", "not a url"},
          {"on_gpu_job_finished", "http:///nohost"}
        }) {
      assertThatThrownBy(() -> w.add(bad[0], bad[1], null))
          .isInstanceOfSatisfying(
              ComputeException.class,
              e -> assertThat(e.kind()).isEqualTo(ComputeException.Kind.BAD_REQUEST));
    }
    assertThat(w.list()).isEmpty();
  }

  @Test
  void anEventGoesSignedToTheUrlsRegisteredForItOnly() throws Exception {
    HookWebhooks w = hooks();
    w.add("on_gpu_job_finished", "http://127.0.0.1:9/a", "k1");
    w.add("on_gpu_job_finished", "http://127.0.0.1:9/b", null);
    w.add("on_asset_saved", "http://127.0.0.1:9/c", null);
    w.deliver(event("on_gpu_job_finished"));
    assertThat(posts).extracting(p -> p.url().getPath()).containsExactly("/a", "/b");
    byte[] body = posts.get(0).body();
    assertThat(Json.mapper().readTree(body).path("event").asText())
        .isEqualTo("on_gpu_job_finished");
    assertThat(posts.get(0).headers())
        .containsEntry("X-Comfy-Signature", HookWebhooks.sign("k1", body))
        .containsEntry("Content-Type", "application/json");
    assertThat(posts.get(1).headers()).doesNotContainKey("X-Comfy-Signature");
    assertThat(HookWebhooks.sign("k1", body)).isNotEqualTo(HookWebhooks.sign("k2", body));
    assertThat(slept).isEmpty();
  }

  @Test
  void aFailingReceiverIsTriedThreeTimesWithGrowingPausesThenLeft() {
    HookWebhooks w = hooks();
    w.add("on_gpu_job_updated", "http://127.0.0.1:9/a", null);
    answers.add(503);
    answers.add(new IOException("reset"));
    answers.add(500);
    w.deliver(event("on_gpu_job_updated"));
    assertThat(posts).hasSize(3);
    assertThat(slept).containsExactly(Duration.ofMillis(200), Duration.ofMillis(400));

    posts.clear();
    slept.clear();
    answers.add(502);
    answers.add(204);
    w.deliver(event("on_gpu_job_updated"));
    assertThat(posts).hasSize(2);
    assertThat(slept).containsExactly(Duration.ofMillis(200));
  }

  @Test
  void anUnreadableFileStartsEmpty() throws Exception {
    Files.createDirectories(home.resolve("data"));
    Files.writeString(home.resolve(HookWebhooks.FILE), "{not json", StandardCharsets.UTF_8);
    assertThat(hooks().list()).isEmpty();
  }
}
