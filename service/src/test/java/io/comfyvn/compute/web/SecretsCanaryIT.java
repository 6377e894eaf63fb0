package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.TestHome;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unique canary secret value goes into the secrets file (well formed, malformed, and echoed back
 * in request config); it must appear in no response, no provider-call log line and no service log
 * line.
 */
class SecretsCanaryIT {
  @TempDir Path dir;

  @Test
  void canaryNeverLeaves() {
    String canary = "CANARY-" + UUID.randomUUID();
    TestHome home = new TestHome(dir).allSecrets(canary);
    List<String> bodies = new ArrayList<>();
    PrintStream realErr = System.err;
    PrintStream realOut = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
    System.setErr(tee);
    System.setOut(tee);
    try (Server s = Server.start(dir, Map.of("COMFYVN_LOG_LEVEL", "DEBUG"))) {
      for (String p : List.of("runpod", "huggingface", "replicate", "modal", "comfyui")) {
        bodies.add(s.post("/api/providers/gpu/health", "{\"provider\":\"" + p + "\"}").body());
        String sub =
            s.post(
                    "/api/providers/gpu/submit",
                    "{\"provider\":\""
                        + p
                        + "\",\"job\":{\"input\":{}},\"config\":{\"api_key\":\""
                        + canary
                        + "-req\",\"token\":\""
                        + canary
                        + "-tok\"}}")
                .body();
        bodies.add(sub);
        bodies.add(s.get("/api/providers/gpu/poll/mock-" + p + "-1").body());
      }
      bodies.add(s.get("/api/providers/gpu/providers").body());
      bodies.add(s.get("/jobs/all").body());
      // Now break the file in a way whose parser message would quote the canary.
      home.secrets("{\"runpod\": {\"api_key\": " + canary + "-bare}}");
      bodies.add(s.post("/api/providers/gpu/health", "{\"provider\":\"runpod\"}").body());
      bodies.add(s.get("/api/providers/gpu/providers").body());
      home.secrets("{\"runpod\": \"" + canary + "-flat\", \"modal\": [\"" + canary + "-arr\"]}");
      bodies.add(s.get("/api/providers/gpu/providers").body());
    } finally {
      System.setErr(realErr);
      System.setOut(realOut);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    String callLog = home.read("logs/providers_gpu.log");
    assertThat(bodies).isNotEmpty().allSatisfy(b -> assertThat(b).doesNotContain("CANARY"));
    assertThat(callLog).isNotBlank().doesNotContain("CANARY");
    assertThat(logs).doesNotContain("CANARY");
    // The malformed file was reported, by position, in the answer.
    assertThat(String.join("\n", bodies))
        .contains("comfyvn.secrets.json: not valid JSON at line 1");
  }
}
