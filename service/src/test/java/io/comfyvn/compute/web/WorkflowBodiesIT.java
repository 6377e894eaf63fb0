package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.support.TestHome;
import io.comfyvn.compute.support.WorkflowFixture;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Base64;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The routes that take a workflow job take its input files inline: up to the workflow limits (8 MiB
 * a file, 16 MiB in all), as base64, in one body; every other route keeps the 1 MiB cap.
 */
class WorkflowBodiesIT {
  @TempDir Path dir;

  /** A PNG-signed file of {@code n} bytes (seeded, so the body is the same every run). */
  private static byte[] png(int n) {
    byte[] b = new byte[n];
    new SplittableRandom(7).nextBytes(b);
    byte[] sig = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    System.arraycopy(sig, 0, b, 0, sig.length);
    return b;
  }

  private static String submit(String route, int inputBytes) throws Exception {
    ObjectNode r = JsonNodeFactory.instance.objectNode().put("provider", "runpod").put("seed", 3);
    ObjectNode job = r.putObject("job");
    try (InputStream in =
        WorkflowBodiesIT.class.getResourceAsStream("/workflows/sdxl_img2img.json")) {
      job.set("workflow", Json.mapper().readTree(in));
    }
    job.putObject("inputs")
        .put("castle_sketch.png", Base64.getEncoder().encodeToString(png(inputBytes)));
    return r.toString();
  }

  @Test
  void aWorkflowJobWithSevenMebibytesOfInputIsTakenByEveryWorkflowRoute() throws Exception {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      String body = submit("submit", 7 * 1024 * 1024);
      assertThat(body.length()).isGreaterThan(9_000_000);
      for (String route :
          new String[] {
            "/api/providers/gpu/submit", "/api/providers/gpu/simulate", "/api/gpu/advise"
          }) {
        Reply r = s.post(route, body);
        assertThat(r.status()).as(route + ": " + r.body()).isEqualTo(200);
        if (route.endsWith("/submit")) {
          // the task keeps the input's name, hash, size and type, not its megabytes of base64
          String task = r.json().get("task_id").asText();
          Reply t = s.get("/jobs/status/" + task);
          assertThat(t.body().length()).isLessThan(100_000);
          assertThat(t.json().at("/job/meta/payload/inputs/castle_sketch.png"))
              .isEqualTo(
                  JsonNodeFactory.instance
                      .objectNode()
                      .put("name", "castle_sketch.png")
                      .put("sha256", WorkflowFixture.sha256(png(7 * 1024 * 1024)))
                      .put("bytes", 7 * 1024 * 1024)
                      .put("media_type", "image/png")
                      .put("inline_chars", 9786712));
        }
      }
    }
  }

  @Test
  void anInputOverTheLimitsIsRefusedByTheWorkflowRulesNotTheWebLayer() throws Exception {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      Reply r = s.post("/api/providers/gpu/submit", submit("submit", 9 * 1024 * 1024));
      assertThat(r.status()).as(r.body()).isEqualTo(413);
      assertThat(r.json().get("code").asText()).isEqualTo("input_too_large");
    }
  }

  @Test
  void otherRoutesKeepTheOneMebibyteCap() throws Exception {
    new TestHome(dir).allSecrets("t");
    try (Server s = Server.start(dir)) {
      Reply r =
          s.post(
              "/api/providers/gpu/health",
              "{\"provider\":\"runpod\",\"x\":\"" + "a".repeat(1_100_000) + "\"}");
      assertThat(r.status()).as(r.body()).isEqualTo(413);
      assertThat(r.json().get("code").asText()).isEqualTo("payload_too_large");
    }
  }
}
