package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeModalIT {
  private final FakeFixture f =
      new FakeFixture(FakeSettings.defaults().withModalRequestCap(Duration.ofSeconds(2)));

  @AfterEach
  void close() {
    f.close();
  }

  private String[] auth() {
    return new String[] {
      "Modal-Key", f.creds.modalTokenId(), "Modal-Secret", f.creds.modalTokenSecret()
    };
  }

  private String run(String input) {
    HttpResponse<String> r =
        f.post("/modal/run", "{\"function\":\"comfyvn_render\",\"input\":" + input + "}", auth());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    String id = f.json(r).get("request_id").asText();
    assertThat(id).startsWith("fc-");
    return id;
  }

  @Test
  void proxyAuthIsPlainText() {
    HttpResponse<String> none = f.post("/modal/run", "{\"input\":{}}");
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.body()).isEqualTo("modal-http: missing credentials for proxy authorization");
    assertThat(none.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
    assertThat(
            f.post(
                    "/modal/run",
                    "{\"input\":{}}",
                    "Modal-Key",
                    f.creds.modalTokenId(),
                    "Modal-Secret",
                    "ws-bad")
                .statusCode())
        .isEqualTo(401);
    String bearer = "Bearer " + f.creds.modalTokenId() + ":" + f.creds.modalTokenSecret();
    assertThat(
            f.post("/modal/run", "{\"input\":{\"prompt\":\"b\"}}", "Authorization", bearer)
                .statusCode())
        .isEqualTo(200);
    assertThat(f.post("/modal/run", "{\"function\":\"other\",\"input\":{}}", auth()).statusCode())
        .isEqualTo(404);
    assertThat(f.get("/modal/requests/fc-nope/status", auth()).statusCode()).isEqualTo(404);
  }

  @Test
  void runsToSuccessWithAnImage() {
    String id = run("{\"prompt\":\"a tower\"}");
    JsonNode pending = f.json(f.get("/modal/requests/" + id + "/status", auth()));
    assertThat(pending.get("status").asText()).isEqualTo("PENDING");
    HttpResponse<String> early = f.get("/modal/requests/" + id, auth());
    assertThat(early.statusCode()).isEqualTo(202);
    assertThat(f.json(early).get("status").asText()).isEqualTo("PENDING");
    f.advance(Duration.ofSeconds(8));
    assertThat(f.json(f.get("/modal/requests/" + id + "/status", auth())).get("status").asText())
        .isEqualTo("SUCCESS");
    HttpResponse<String> done = f.get("/modal/requests/" + id, auth());
    assertThat(done.statusCode()).isEqualTo(200);
    String url = f.json(done).at("/response/images/0/url").asText();
    assertThat(f.bytes(url)).startsWith(FakeFixture.PNG_SIGNATURE);

    f.advance(Duration.ofDays(7));
    HttpResponse<String> expired = f.get("/modal/requests/" + id, auth());
    assertThat(expired.statusCode()).isEqualTo(410);
    assertThat(f.json(expired).get("error").asText()).isEqualTo("output expired");
  }

  @Test
  void cancelFailureAndTimeout() {
    String canceled = run("{\"prompt\":\"a\"}");
    JsonNode c = f.json(f.post("/modal/requests/" + canceled + "/cancel", null, auth()));
    assertThat(c.get("status").asText()).isEqualTo("TERMINATED");
    f.fakes.forceNextOutcome("modal", Outcome.FAIL);
    String failing = run("{\"prompt\":\"b\"}");
    String timing = run("{\"prompt\":\"c\"}");
    assertThat(f.fakes.forceOutcome("modal", timing, Outcome.TIMEOUT)).isTrue();
    f.advance(Duration.ofSeconds(8));
    JsonNode failed = f.json(f.get("/modal/requests/" + failing, auth()));
    assertThat(failed.get("status").asText()).isEqualTo("FAILURE");
    assertThat(failed.get("error").asText()).isNotBlank();
    assertThat(f.json(f.get("/modal/requests/" + timing, auth())).get("status").asText())
        .isEqualTo("TIMEOUT");
    assertThat(f.json(f.get("/modal/requests/" + canceled, auth())).get("status").asText())
        .isEqualTo("TERMINATED");
  }

  @Test
  void longWaitsAre303edToAGetOnlyUrl() throws Exception {
    String id = run("{\"prompt\":\"slow\"}");
    // The cap is 2 s here; nobody moves the clock, so the real-time fallback ends the hold.
    HttpResponse<String> r = f.get("/modal/requests/" + id + "?wait=600", auth());
    assertThat(r.statusCode()).isEqualTo(303);
    String location = r.headers().firstValue("Location").orElseThrow();
    assertThat(location)
        .isEqualTo(f.url("/modal/requests/" + id + "?wait=600&__modal_function_call_id=" + id));

    HttpResponse<String> post = f.post(location, null, auth());
    assertThat(post.statusCode()).isEqualTo(400);
    assertThat(post.body()).isEqualTo("modal-http: bad redirect method");

    HttpClient following =
        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    var pending =
        following.sendAsync(
            HttpRequest.newBuilder(URI.create(location)).headers(auth()).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    f.advance(Duration.ofSeconds(8));
    HttpResponse<String> done = pending.get(30, TimeUnit.SECONDS);
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(f.json(done).get("status").asText()).isEqualTo("SUCCESS");
  }

  @Test
  void shortWaitGives202AndFaultsUseModalText() {
    String id = run("{\"prompt\":\"w\"}");
    assertThat(f.get("/modal/requests/" + id + "?wait=0.05", auth()).statusCode()).isEqualTo(202);
    f.fakes.inject(Fault.tooManyRequests("modal", "create", 1, 1));
    HttpResponse<String> limited = f.post("/modal/run", "{\"input\":{}}", auth());
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.body()).startsWith("modal-http: ");
    assertThat(f.fakes.stats().creates("modal")).isEqualTo(2);
  }
}
