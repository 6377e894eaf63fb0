package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeHuggingFaceIT {
  private final FakeFixture f = new FakeFixture();
  private final String endpoint = "/huggingface/v2/endpoint/comfyvn/fake-sdxl";
  private final String jobs = "/huggingface/api/jobs/comfyvn";

  @AfterEach
  void close() {
    f.close();
  }

  private String[] auth() {
    return new String[] {"Authorization", "Bearer " + f.creds.huggingfaceToken()};
  }

  private String state() {
    return f.json(f.get(endpoint, auth())).at("/status/state").asText();
  }

  private HttpResponse<byte[]> infer(String url, String body, String... headers) throws Exception {
    HttpRequest.Builder req =
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + f.creds.huggingfaceToken())
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      req.headers(headers);
    }
    return f.http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void refusesBadTokensAndUnknownThings() {
    HttpResponse<String> none = f.get(endpoint);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(f.json(none).get("error").asText()).isNotBlank();
    assertThat(none.headers().firstValue("X-Error-Message")).isPresent();
    assertThat(f.get(endpoint, "Authorization", "Bearer hf_wrong").statusCode()).isEqualTo(401);
    assertThat(f.get("/huggingface/v2/endpoint/comfyvn/nope", auth()).statusCode()).isEqualTo(404);
    assertThat(f.get("/huggingface/v2/endpoint/someone-else", auth()).statusCode()).isEqualTo(404);
    assertThat(f.get(jobs + "/0123", auth()).statusCode()).isEqualTo(404);
  }

  @Test
  void coldEndpointAnswers503ThenWakesAndServesAPng() throws Exception {
    JsonNode ep = f.json(f.get(endpoint, auth()));
    assertThat(ep.at("/status/state").asText()).isEqualTo("scaledToZero");
    String url = ep.at("/status/url").asText();
    assertThat(url).isEqualTo(f.url("/huggingface/inference/fake-sdxl"));
    assertThat(ep.get("healthRoute").asText()).isEqualTo("/health");

    HttpResponse<byte[]> cold = infer(url, "{\"inputs\":\"a lighthouse\"}");
    assertThat(cold.statusCode()).isEqualTo(503);
    assertThat(state()).isEqualTo("initializing");
    assertThat(f.get(url + "/health").statusCode()).isEqualTo(503);
    f.advance(Duration.ofSeconds(10));
    assertThat(state()).isEqualTo("running");
    assertThat(f.get(url + "/health").statusCode()).isEqualTo(200);

    HttpResponse<byte[]> hot =
        infer(url, "{\"inputs\":\"a lighthouse\",\"parameters\":{\"seed\":3}}");
    assertThat(hot.statusCode()).isEqualTo(200);
    assertThat(hot.headers().firstValue("Content-Type")).contains("image/png");
    assertThat(hot.body()).startsWith(FakeFixture.PNG_SIGNATURE);
    assertThat(infer(url, "{\"inputs\":\"a lighthouse\",\"parameters\":{\"seed\":3}}").body())
        .isEqualTo(hot.body());
    assertThat(infer(url, "{\"parameters\":{}}").statusCode()).isEqualTo(400);
    assertThat(f.fakes.stats().creates("huggingface")).isEqualTo(4);

    f.advance(Duration.ofMinutes(16));
    assertThat(state()).isEqualTo("scaledToZero");
  }

  @Test
  void scaleUpTimeoutHoldsTheRequestUntilRunning() throws Exception {
    String url = f.url("/huggingface/inference/fake-sdxl");
    var pending =
        f.http.sendAsync(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + f.creds.huggingfaceToken())
                .header("X-Scale-Up-Timeout", "600")
                .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\":\"held\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    while (!state().equals("initializing")) {
      Thread.sleep(5);
    }
    f.advance(Duration.ofSeconds(11));
    HttpResponse<byte[]> r = pending.get(20, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).startsWith(FakeFixture.PNG_SIGNATURE);
  }

  @Test
  void pauseResumeAndScaleToZero() throws Exception {
    assertThat(f.json(f.post(endpoint + "/resume", null, auth())).at("/status/state").asText())
        .isEqualTo("initializing");
    f.advance(Duration.ofSeconds(10));
    HttpResponse<String> again = f.post(endpoint + "/resume", null, auth());
    assertThat(again.statusCode()).isEqualTo(400);
    assertThat(f.json(again).get("error").asText()).contains("already running");
    assertThat(f.json(f.post(endpoint + "/pause", null, auth())).at("/status/state").asText())
        .isEqualTo("paused");
    assertThat(infer(f.url("/huggingface/inference/fake-sdxl"), "{\"inputs\":\"x\"}").statusCode())
        .isEqualTo(400);
    f.post(endpoint + "/resume", null, auth());
    f.advance(Duration.ofSeconds(10));
    assertThat(state()).isEqualTo("running");
    assertThat(
            f.json(f.post(endpoint + "/scale-to-zero", null, auth())).at("/status/state").asText())
        .isEqualTo("scaledToZero");
    assertThat(f.json(f.get("/huggingface/v2/endpoint/comfyvn", auth())).get("items")).hasSize(1);
    assertThat(
            f.json(f.get("/huggingface/v2/provider/comfyvn", auth()))
                .at("/vendors/0/name")
                .asText())
        .isEqualTo("aws");
  }

  @Test
  void createdEndpointGoesPendingInitializingRunning() {
    HttpResponse<String> r =
        f.post("/huggingface/v2/endpoint/comfyvn", "{\"name\":\"second\"}", auth());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(f.json(r).at("/status/state").asText()).isEqualTo("pending");
    assertThat(f.json(r).at("/status/url").isMissingNode()).isTrue();
    f.advance(Duration.ofSeconds(3));
    String second = "/huggingface/v2/endpoint/comfyvn/second";
    assertThat(f.json(f.get(second, auth())).at("/status/state").asText())
        .isEqualTo("initializing");
    f.advance(Duration.ofSeconds(10));
    assertThat(f.json(f.get(second, auth())).at("/status/state").asText()).isEqualTo("running");
  }

  @Test
  void hfJobRunsAndLogsItsArtifact() throws Exception {
    String body =
        "{\"dockerImage\":\"comfyvn/render:latest\",\"command\":[\"python\",\"render.py\"],\"flavor\":\"l4x1\","
            + "\"environment\":{\"COMFYVN_PROMPT\":\"a harbor\"}}";
    HttpResponse<String> created = f.post(jobs, body, auth());
    assertThat(created.statusCode()).isEqualTo(200);
    String id = f.json(created).get("id").asText();
    assertThat(f.json(created).at("/status/stage").asText()).isEqualTo("SCHEDULING");
    f.advance(Duration.ofSeconds(3));
    assertThat(f.json(f.get(jobs + "/" + id, auth())).at("/status/stage").asText())
        .isEqualTo("RUNNING");
    f.advance(Duration.ofSeconds(5));
    JsonNode done = f.json(f.get(jobs + "/" + id, auth()));
    assertThat(done.at("/status/stage").asText()).isEqualTo("COMPLETED");
    assertThat(done.get("flavor").asText()).isEqualTo("l4x1");
    HttpResponse<String> logs = f.get(jobs + "/" + id + "/logs", auth());
    assertThat(logs.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/event-stream");
    String artifact =
        logs.body()
            .lines()
            .filter(l -> l.startsWith("data: "))
            .map(l -> f.mapper.valueToTree(parse(l.substring(6))).get("data").asText())
            .filter(l -> l.startsWith("artifact: "))
            .findFirst()
            .orElseThrow();
    assertThat(f.bytes(artifact.substring("artifact: ".length())))
        .startsWith(FakeFixture.PNG_SIGNATURE);
    assertThat(f.post(jobs, "{}", auth()).statusCode()).isEqualTo(400);
  }

  @Test
  void hfJobCancelAndFailure() {
    String body = "{\"dockerImage\":\"x\"}";
    String canceled = f.json(f.post(jobs, body, auth())).get("id").asText();
    f.fakes.forceNextOutcome("huggingface", Outcome.FAIL);
    String failing = f.json(f.post(jobs, body, auth())).get("id").asText();
    assertThat(
            f.json(f.post(jobs + "/" + canceled + "/cancel", null, auth()))
                .at("/status/stage")
                .asText())
        .isEqualTo("CANCELED");
    String limited =
        f.json(f.post(jobs, "{\"dockerImage\":\"x\",\"timeoutSeconds\":3}", auth()))
            .get("id")
            .asText();
    f.advance(Duration.ofSeconds(8));
    JsonNode failed = f.json(f.get(jobs + "/" + failing, auth()));
    assertThat(failed.at("/status/stage").asText()).isEqualTo("ERROR");
    assertThat(failed.at("/status/message").asText()).isNotBlank();
    JsonNode timedOut = f.json(f.get(jobs + "/" + limited, auth()));
    assertThat(timedOut.at("/status/stage").asText()).isEqualTo("ERROR");
    assertThat(timedOut.at("/status/message").asText()).isEqualTo("Job timed out");
  }

  @Test
  void forcedInferenceFailureIs500() throws Exception {
    f.post(endpoint + "/resume", null, auth());
    f.advance(Duration.ofSeconds(10));
    f.fakes.forceNextOutcome("huggingface", Outcome.FAIL);
    HttpResponse<byte[]> r = infer(f.url("/huggingface/inference/fake-sdxl"), "{\"inputs\":\"x\"}");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"error\"");
    assertThat(infer(f.url("/huggingface/inference/fake-sdxl"), "{\"inputs\":\"x\"}").statusCode())
        .isEqualTo(200);
  }

  private JsonNode parse(String json) {
    try {
      return f.mapper.readTree(json);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
