package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.INPUT;
import static io.comfyvn.compute.support.WorkflowFixture.SEED;
import static io.comfyvn.compute.support.WorkflowFixture.expected;
import static io.comfyvn.compute.support.WorkflowFixture.provenance;
import static io.comfyvn.compute.support.WorkflowFixture.request;
import static io.comfyvn.compute.support.WorkflowFixture.sdxlImg2Img;
import static io.comfyvn.compute.support.WorkflowFixture.sha256;
import static io.comfyvn.compute.support.WorkflowFixture.sketch;
import static io.comfyvn.compute.support.WorkflowFixture.wanVideo;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.fakes.FakeProviders;
import io.comfyvn.compute.fakes.ReceivedGraph;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.workflow.WorkflowJob;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's "Done when", as a test: one service with all six fakes configured live, the same
 * workflow job (SDXL img2img with its input image; a Wan text-to-video job) with the same seed
 * submitted to every provider at once. For each provider: the fake received the graph the service
 * validated and seeded, byte for byte (so all six received the same bytes), with the same input
 * file; the task ends {@code done}; every output is downloaded with its provenance sidecar
 * (workflow hash, seed, the inputs' sha256, the runner); the outputs are the same files on all six;
 * and a {@code /jobs/ws} client sees the task's progress where the provider reports any.
 */
class WorkflowsEverywhereIT {
  static final List<String> PROVIDERS =
      List.of(
          FakeProviders.RUNPOD,
          FakeProviders.REPLICATE,
          FakeProviders.MODAL,
          FakeProviders.HUGGINGFACE,
          FakeProviders.COMFYUI,
          FakeProviders.COMFY_CLOUD);

  /** Each provider's runner, as its sidecars name it. */
  static final Map<String, String> RUNNERS =
      Map.of(
          FakeProviders.RUNPOD, "worker-comfyui on RunPod serverless",
          FakeProviders.REPLICATE, "cog-comfyui on Replicate",
          FakeProviders.MODAL, "Modal ComfyUI app",
          FakeProviders.HUGGINGFACE, "HF Inference Endpoint (ComfyUI container)",
          FakeProviders.COMFYUI, "ComfyUI native API",
          FakeProviders.COMFY_CLOUD, "Comfy API v2");

  /**
   * The providers whose runner reports progress while it runs. Not RunPod: worker-comfyui's handler
   * returns once, at the end, and sends no progress updates. Not Hugging Face: the job is one
   * synchronous request to the endpoint, answered when the run is over. Their tasks still go
   * queued, running, done on the socket; while running they show only the tracker's own floor
   * ({@value #TRACKER_FLOOR}, {@code LiveTracker}: "running, no fraction known"), so that value is
   * not counted as a report below.
   */
  static final Set<String> REPORT_PROGRESS =
      Set.of(
          FakeProviders.REPLICATE, // cog's tqdm lines in the prediction's logs
          FakeProviders.MODAL, // the app's node n of m, step k of K
          FakeProviders.COMFYUI, // ComfyUI's /ws progress and executing messages
          FakeProviders.COMFY_CLOUD); // the job's progress in Comfy API v2's status answer

  /** What the tracker shows for a running task whose provider gave no fraction. */
  private static final double TRACKER_FLOOR = 0.1;

  /** The providers whose runner says node n of m (the others' fraction is all they say). */
  static final Set<String> REPORT_NODES =
      Set.of(FakeProviders.MODAL, FakeProviders.COMFYUI, FakeProviders.COMFY_CLOUD);

  /** How long a run of all six may take in real time before the test gives up. */
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @TempDir Path dir;

  @Test
  void theSameImg2ImgJobGivesTheSameImageOnAllSixProviders() throws Exception {
    byte[] png = sketch();
    Map<String, List<JsonNode>> outputs = runEverywhere(sdxlImg2Img(), png);
    for (String p : PROVIDERS) {
      assertThat(outputs.get(p))
          .as(p)
          .extracting(a -> a.get("name").asText())
          .containsExactly("ComfyVN_00001_.png");
      assertThat(outputs.get(p).get(0).get("mime").asText()).isEqualTo("image/png");
    }
    Map<String, String> imageSha =
        shaOf(outputs, a -> a.get("mime").asText().startsWith("image/png"));
    assertThat(imageSha.values()).as(imageSha.toString()).hasSize(6).doesNotContainNull();
    assertThat(Set.copyOf(imageSha.values())).as(imageSha.toString()).hasSize(1);
  }

  @Test
  void theSameVideoJobGivesTheSameFilesOnAllSixProviders() throws Exception {
    Map<String, List<JsonNode>> outputs = runEverywhere(wanVideo(), null);
    for (String p : PROVIDERS) {
      assertThat(outputs.get(p))
          .as(p)
          .extracting(a -> a.get("mime").asText())
          .containsExactlyInAnyOrder("image/webp", "video/mp4");
    }
    for (String mime : List.of("image/webp", "video/mp4")) {
      Map<String, String> sha = shaOf(outputs, a -> a.get("mime").asText().equals(mime));
      assertThat(Set.copyOf(sha.values())).as(mime + " " + sha).hasSize(1);
    }
  }

  /**
   * Submits the same request to the six providers, follows them to {@code done} and checks what
   * each fake received and what came back; returns each provider's artifacts.
   */
  private Map<String, List<JsonNode>> runEverywhere(ObjectNode workflow, byte[] png)
      throws Exception {
    try (LiveHarness h = new LiveHarness(dir);
        JobsSocket socket = JobsSocket.open(h.server.base())) {
      Map<String, String> tasks = new LinkedHashMap<>();
      WorkflowJob expected = null;
      for (String p : PROVIDERS) {
        ObjectNode req = request(p, workflow.deepCopy(), png);
        expected = expected(req);
        Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
        assertThat(sub.status()).as(p + ": " + sub.body()).isEqualTo(200);
        assertThat(sub.json().get("mode").asText()).as(p).isEqualTo("live");
        tasks.put(p, sub.json().get("task_id").asText());
      }
      Map<String, JsonNode> done = awaitAllDone(h, socket, tasks);

      Map<String, List<JsonNode>> outputs = new LinkedHashMap<>();
      for (String p : PROVIDERS) {
        // the graph the provider's stand-in ComfyUI was given: ours, seeds written in, as bytes
        List<ReceivedGraph> received = h.fakes.receivedGraphs(p);
        assertThat(received).as(p).hasSize(1);
        assertThat(received.get(0).graph()).as(p).isEqualTo(expected.graph().text());
        assertThat(received.get(0).sha256()).as(p).isEqualTo(expected.graph().sha256());
        if (png != null) {
          assertThat(received.get(0).inputs()).as(p).containsExactly(Map.entry(INPUT, sha256(png)));
        }

        JsonNode task = done.get(p);
        List<JsonNode> artifacts = new ArrayList<>();
        task.get("artifacts").forEach(artifacts::add);
        assertThat(artifacts).as(p + ": " + task).isNotEmpty();
        for (JsonNode a : artifacts) {
          Path file = dir.resolve(a.get("path").asText());
          assertThat(a.get("sha256").asText()).as(p).isEqualTo(sha256(Files.readAllBytes(file)));
          JsonNode prov = provenance(file);
          assertThat(prov.get("provider").asText()).isEqualTo(p);
          assertThat(prov.get("runner").asText()).as(p).isEqualTo(RUNNERS.get(p));
          assertThat(prov.get("seed").asLong()).as(p).isEqualTo(SEED);
          assertThat(prov.get("workflow_hash").asText()).as(p).isEqualTo(expected.graph().sha256());
          if (png != null) {
            assertThat(prov.at("/inputs/" + INPUT + "/sha256").asText())
                .as(p)
                .isEqualTo(sha256(png));
          }
        }
        outputs.put(p, artifacts);

        // what a page on /jobs/ws saw of this task: its updates up to done (the socket is told
        // after the task is stored, so its last message may come a moment after the poll's)
        List<JsonNode> seen =
            socket.awaitUpdate(tasks.get(p), j -> "done".equals(j.path("status").asText()));
        List<String> steps =
            seen.stream()
                .map(j -> j.path("status").asText() + "@" + j.path("progress").asDouble())
                .toList();
        List<JsonNode> running =
            seen.stream().filter(j -> "running".equals(j.path("status").asText())).toList();
        if (REPORT_PROGRESS.contains(p)) {
          assertThat(running)
              .as(p + " progress on /jobs/ws; saw " + steps)
              .anyMatch(
                  j -> {
                    double f = j.path("progress").asDouble();
                    return f > 0 && f < 1 && f != TRACKER_FLOOR;
                  });
        }
        if (REPORT_NODES.contains(p)) {
          assertThat(running)
              .as(p + " node n of m on /jobs/ws; saw " + steps)
              .anyMatch(j -> j.at("/meta/progress_detail/nodes_total").asInt() > 0);
        }
      }
      return outputs;
    }
  }

  /** Each provider's sha256 of its one output that matches. */
  private static Map<String, String> shaOf(
      Map<String, List<JsonNode>> outputs, java.util.function.Predicate<JsonNode> which) {
    Map<String, String> sha = new LinkedHashMap<>();
    outputs.forEach(
        (p, arts) -> {
          List<String> s = arts.stream().filter(which).map(a -> a.get("sha256").asText()).toList();
          assertThat(s).as(p).hasSize(1);
          sha.put(p, s.get(0));
        });
    return sha;
  }

  /**
   * Moves the fakes' clock until every task is done: each round reads the tasks' states, moves the
   * clock a quarter second and waits for the service to say something on the socket (or a moment,
   * when it has nothing to say). Fails on any task ending otherwise, or at the deadline.
   */
  private static Map<String, JsonNode> awaitAllDone(
      LiveHarness h, JobsSocket socket, Map<String, String> tasks) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    Map<String, JsonNode> last = new LinkedHashMap<>();
    while (true) {
      tasks.forEach((p, t) -> last.put(p, h.poll(t)));
      for (Map.Entry<String, JsonNode> e : last.entrySet()) {
        String status = e.getValue().path("status").asText();
        assertThat(status)
            .as(e.getKey() + " ended otherwise: " + e.getValue())
            .isIn("queued", "running", "done");
      }
      if (last.values().stream().allMatch(j -> "done".equals(j.path("status").asText()))) {
        return last;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "not all done within "
                + DEADLINE
                + ": "
                + last.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue().path("status").asText())
                    .collect(Collectors.joining(", ")));
      }
      h.clock.advance(Duration.ofMillis(250));
      h.fakes.tick();
      socket.awaitMessage(Duration.ofMillis(50));
    }
  }

  /** A {@code /jobs/ws} client, as the Studio page is one: every {@code job.update} it got. */
  static final class JobsSocket implements AutoCloseable {
    private final List<JsonNode> updates = new CopyOnWriteArrayList<>();
    private final BlockingQueue<JsonNode> arrivals = new LinkedBlockingQueue<>();
    private final WebSocket ws;

    private JobsSocket(String base) throws Exception {
      WebSocket.Listener listener =
          new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean lastPart) {
              text.append(data);
              if (lastPart) {
                JsonNode m = parse(text.toString());
                text.setLength(0);
                if ("job.update".equals(m.path("type").asText())) {
                  updates.add(m.get("job"));
                }
                arrivals.add(m);
              }
              w.request(1);
              return null;
            }
          };
      ws =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .buildAsync(URI.create(base.replace("http", "ws") + "/jobs/ws"), listener)
              .get(10, TimeUnit.SECONDS);
      JsonNode first = arrivals.poll(10, TimeUnit.SECONDS);
      assertThat(first).as("the socket's snapshot").isNotNull();
      assertThat(first.path("type").asText()).isEqualTo("snapshot");
    }

    static JobsSocket open(String base) throws Exception {
      return new JobsSocket(base);
    }

    private static JsonNode parse(String text) {
      try {
        return Json.mapper().readTree(text);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Waits for the next message, at most this long. */
    void awaitMessage(Duration atMost) throws InterruptedException {
      arrivals.poll(atMost.toMillis(), TimeUnit.MILLISECONDS);
      arrivals.clear();
    }

    /**
     * The task's views in the order the socket sent them, once one matches; fails when none does
     * within a few seconds.
     */
    List<JsonNode> awaitUpdate(String taskId, java.util.function.Predicate<JsonNode> until)
        throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (updatesOf(taskId).stream().noneMatch(until)) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("the socket never said so of " + taskId).isPositive();
        arrivals.poll(left, TimeUnit.NANOSECONDS);
      }
      return updatesOf(taskId);
    }

    /** The task's views in the order the socket sent them. */
    List<JsonNode> updatesOf(String taskId) {
      return updates.stream().filter(j -> taskId.equals(j.path("id").asText())).toList();
    }

    @Override
    public void close() {
      ws.abort();
    }
  }
}
