package io.comfyvn.compute.live;

import static io.comfyvn.compute.support.WorkflowFixture.INPUT;
import static io.comfyvn.compute.support.WorkflowFixture.provenance;
import static io.comfyvn.compute.support.WorkflowFixture.request;
import static io.comfyvn.compute.support.WorkflowFixture.sdxlImg2Img;
import static io.comfyvn.compute.support.WorkflowFixture.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.Server.Reply;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A live workflow job with a 1 MB inline input on the fake ComfyUI: every {@code /jobs/ws} update
 * and hook message stays small (the task keeps the input's name, hash, size and type, not its
 * base64), and what the Studio page reads about the task is still there.
 */
class InlineInputsLiveIT {
  @TempDir Path dir;

  /** Well under the input's size: a task view with its graph and logs, not its files. */
  private static final int SMALL = 32 * 1024;

  /** A real PNG of about 1 MB: seeded noise does not compress. */
  private static byte[] noisePng() throws Exception {
    BufferedImage img = new BufferedImage(580, 580, BufferedImage.TYPE_INT_RGB);
    SplittableRandom r = new SplittableRandom(11);
    for (int x = 0; x < img.getWidth(); x++) {
      for (int y = 0; y < img.getHeight(); y++) {
        img.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  /** Every text message a socket receives, whole. */
  private static WebSocket listen(String url, BlockingQueue<String> into) throws Exception {
    return HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .buildAsync(
            URI.create(url),
            new WebSocket.Listener() {
              private final StringBuilder text = new StringBuilder();

              @Override
              public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                  into.add(text.toString());
                  text.setLength(0);
                }
                w.request(1);
                return null;
              }
            })
        .get(10, TimeUnit.SECONDS);
  }

  /** Takes messages until one says this, within a bound that only stops a broken test. */
  private static void awaitMessage(
      BlockingQueue<String> queue, List<String> seen, String... fragments) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      boolean found =
          seen.stream().anyMatch(m -> java.util.Arrays.stream(fragments).allMatch(m::contains));
      if (found) {
        return;
      }
      long left = deadline - System.nanoTime();
      assertThat(left).as("no message with " + List.of(fragments) + " in " + seen).isPositive();
      String m = queue.poll(left, TimeUnit.NANOSECONDS);
      if (m != null) {
        seen.add(m);
      }
    }
  }

  @Test
  void aOneMegabyteInputIsNotShippedOnEveryUpdateAndThePageStillHasItsTask() throws Exception {
    byte[] png = noisePng();
    assertThat(png.length).isBetween(1_000_000, 1_100_000);
    try (LiveHarness h = new LiveHarness(dir)) {
      String ws = h.server.base().replace("http", "ws");
      BlockingQueue<String> jobsQueue = new LinkedBlockingQueue<>();
      BlockingQueue<String> hooksQueue = new LinkedBlockingQueue<>();
      List<String> jobs = new java.util.concurrent.CopyOnWriteArrayList<>();
      List<String> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();
      WebSocket jobsWs = listen(ws + "/jobs/ws", jobsQueue);
      WebSocket hooksWs = listen(ws + "/api/modder/hooks/ws", hooksQueue);
      try {
        awaitMessage(jobsQueue, jobs, "\"snapshot\"");
        hooksWs
            .sendText(
                "{\"topics\":[\"modder.on_gpu_job_submitted\",\"modder.on_gpu_job_updated\","
                    + "\"modder.on_gpu_job_finished\"]}",
                true)
            .get(10, TimeUnit.SECONDS);

        ObjectNode req = request("comfyui", sdxlImg2Img(), png); // a data URL
        assertThat(req.toString().length()).isGreaterThan(1_300_000);
        Reply sub = h.server.post("/api/providers/gpu/submit", req.toString());
        assertThat(sub.status()).as(sub.body()).isEqualTo(200);
        assertThat(sub.body().length()).isLessThan(SMALL);
        String task = sub.json().get("task_id").asText();
        JsonNode done = h.await(task, LiveHarness.status("done"));

        awaitMessage(jobsQueue, jobs, "\"job.update\"", task, "\"done\"");
        awaitMessage(hooksQueue, hooks, "on_gpu_job_finished", task);
        assertThat(jobs.stream().filter(m -> m.contains(task))).hasSizeGreaterThan(1);
        assertThat(jobs).allSatisfy(m -> assertThat(m.length()).isLessThan(SMALL));
        assertThat(hooks).allSatisfy(m -> assertThat(m.length()).isLessThan(SMALL));

        // what the task keeps of the input: the hash its output's sidecar records for it
        Reply status = h.server.get("/jobs/status/" + task);
        assertThat(status.body().length()).isLessThan(SMALL);
        JsonNode kept = status.json().at("/job/meta/payload/inputs/" + INPUT);
        assertThat(kept)
            .isEqualTo(
                Json.mapper()
                    .createObjectNode()
                    .put("name", INPUT)
                    .put("sha256", sha256(png))
                    .put("bytes", png.length)
                    .put("media_type", "image/png")
                    .put("inline_chars", req.at("/job/inputs/" + INPUT).asText().length()));
        Path file = dir.resolve(done.at("/artifacts/0/path").asText());
        assertThat(provenance(file).at("/inputs/" + INPUT + "/sha256").asText())
            .isEqualTo(sha256(png));

        // what the page reads: the board's row, the detail's outputs and their sidecar
        JsonNode row = null;
        for (JsonNode j : h.server.get("/jobs/all").json().path("jobs")) {
          if (task.equals(j.path("id").asText())) {
            row = j;
          }
        }
        assertThat(row).as("the board lists the task").isNotNull();
        assertThat(row.toString().length()).isLessThan(SMALL);
        assertThat(row.path("status").asText()).isEqualTo("done");
        assertThat(row.path("meta").path("provider_slug").asText()).isEqualTo("comfyui");
        assertThat(row.path("meta").path("artifacts")).hasSize(1);
        Reply outputs = h.server.get("/jobs/artifacts/" + task);
        assertThat(outputs.status()).as(outputs.body()).isEqualTo(200);
        JsonNode output = outputs.json().path("artifacts").path(0);
        assertThat(output.path("mime").asText()).isEqualTo("image/png");
        assertThat(output.path("provenance_href").asText()).isNotEmpty();
        Reply sidecar = h.server.get("/jobs/artifacts/" + task + "/0/provenance");
        assertThat(sidecar.status()).as(output.toString()).isEqualTo(200);
        assertThat(sidecar.body()).contains(sha256(png));
      } finally {
        jobsWs.abort();
        hooksWs.abort();
      }
    }
  }
}
