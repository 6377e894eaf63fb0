package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeRateLimitIT {
  private final FakeFixture f = new FakeFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void replicateLimitsASlidingWindowAndSaysWhenToComeBack() {
    f.fakes.enforceRateLimit("replicate", "create", 2, Duration.ofMinutes(1));
    String url = "/replicate/v1/models/comfyvn/fake-sdxl/predictions";
    String[] auth = {"Authorization", "Bearer " + f.creds.replicateToken()};
    assertThat(f.post(url, "{\"input\":{}}", auth).statusCode()).isEqualTo(201);
    f.advance(Duration.ofSeconds(20));
    assertThat(f.post(url, "{\"input\":{}}", auth).statusCode()).isEqualTo(201);
    HttpResponse<String> limited = f.post(url, "{\"input\":{}}", auth);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("40");
    f.advance(Duration.ofSeconds(41));
    // The window now holds the second create and the refused one.
    assertThat(f.post(url, "{\"input\":{}}", auth).statusCode()).isEqualTo(429);
    f.advance(Duration.ofSeconds(60));
    assertThat(f.post(url, "{\"input\":{}}", auth).statusCode()).isEqualTo(201);
    assertThat(f.fakes.stats().maxInWindow("replicate", "create", Duration.ofMinutes(1)))
        .isEqualTo(3);
  }

  @Test
  void runpodLimitHasNoRetryAfterAndTheControlRouteSetsLimits() {
    assertThat(
            f.post(
                    "/_fake/faults",
                    "{\"provider\":\"runpod\",\"operation\":\"status\",\"kind\":\"rate_limit\",\"permits\":1,\"window_ms\":10000}")
                .statusCode())
        .isEqualTo(200);
    String[] auth = {"Authorization", f.creds.runpodApiKey()};
    assertThat(f.get("/runpod/v2/fake-endpoint/status/x", auth).statusCode()).isEqualTo(404);
    HttpResponse<String> limited = f.get("/runpod/v2/fake-endpoint/status/x", auth);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).isEmpty();
    assertThat(f.json(limited).get("error").asText()).isNotBlank();
    f.fakes.clearFaults();
    assertThat(f.get("/runpod/v2/fake-endpoint/status/x", auth).statusCode()).isEqualTo(404);
  }

  @Test
  void documentedLimitsLetNormalTrafficThrough() {
    f.fakes.enforceDocumentedRateLimits();
    String[] auth = {"Authorization", f.creds.runpodApiKey()};
    for (int i = 0; i < 3; i++) {
      assertThat(f.post("/runpod/v2/fake-endpoint/purge-queue", null, auth).statusCode())
          .isEqualTo(i < 2 ? 200 : 429);
    }
  }
}
