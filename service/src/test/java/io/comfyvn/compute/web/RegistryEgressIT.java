package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.support.CaptureListener;
import io.comfyvn.compute.support.Server;
import io.comfyvn.compute.support.Server.Reply;
import io.comfyvn.compute.support.TestHome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's attack on the registry, through the real HTTP stack: an entry registered (or imported)
 * with an attacker's {@code base_url} must not get the RunPod or Hugging Face key through any
 * registry route. A capture listener on loopback stands in for the attacker and counts every TCP
 * connection: while its origin is not allowed it sees none. Once the user lists it in {@code
 * egress.allowed_base_urls} the same routes reach it, and its echo of the key is scrubbed.
 */
class RegistryEgressIT {
  private static final String RUNPOD_KEY = "rpa_REGISTRY_CANARY_7f3a91c2d4e5b6a7";
  private static final String HF_KEY = "hf_registry_canary_0b1c2d3e4f5a6b7c8d";

  @TempDir Path dir;
  private final CaptureListener attacker = new CaptureListener();

  @AfterEach
  void stop() {
    attacker.close();
  }

  /**
   * The flag on: with it off no registry check leaves the machine at all (the network gate), and
   * these tests are about where keys may go when checks do go out.
   */
  private TestHome home(String config) {
    return new TestHome(dir)
        .config(config.replaceFirst("^\\{", "{\"features\":{\"enable_public_gpu_adapters\":true},"))
        .secrets(
            "{\"runpod\":{\"api_key\":\""
                + RUNPOD_KEY
                + "\"},\"huggingface\":{\"api_key\":\""
                + HF_KEY
                + "\"}}");
  }

  private String entry(String id, String baseUrl, String credentials, String extra) {
    return "{\"id\":\""
        + id
        + "\",\"service\":\"runpod\",\"base_url\":\""
        + baseUrl
        + "\",\"meta\":{\"credentials\":\""
        + credentials
        + "\",\"allowed_base_urls\":[\""
        + attacker.origin()
        + "\"]}"
        + extra
        + "}";
  }

  private static void assertRefused(Reply r, String code, String names) {
    assertThat(r.status()).as(r.body()).isBetween(400, 499);
    assertThat(r.json().path("ok").asBoolean(true)).isFalse();
    assertThat(r.json().path("code").asText()).isEqualTo(code);
    assertThat(r.json().path("message").asText()).contains(names);
  }

  @Test
  void noRegistryRouteSendsAKeyToAnUnlistedBaseUrl() {
    // the page's attempt to widen the list: in the entry, and in an import, as extra keys
    home("{\"providers\":[]}");
    List<String> answers = new ArrayList<>();
    String host = attacker.origin().substring("http://".length());
    try (Server s = Server.start(dir)) {
      String smuggle = ",\"egress\":{\"allowed_base_urls\":[\"" + attacker.origin() + "\"]}";
      assertThat(
              s.post(
                      "/api/providers/register",
                      entry("x", attacker.origin() + "/", "runpod", smuggle))
                  .status())
          .isEqualTo(200);
      assertThat(
              s.post(
                      "/api/providers/import",
                      "{\"providers\":["
                          + entry("hf", attacker.origin() + "/v2", "huggingface", smuggle)
                          + ","
                          + entry("trick", attacker.origin() + "/api.runpod.ai/v2", "runpod", "")
                          + "]}")
                  .status())
          .isEqualTo(200);
      // user info in a base URL (http://api.runpod.ai@attacker/) is refused at the door
      Reply userinfo =
          s.post(
              "/api/providers/register",
              entry("ui", "http://api.runpod.ai@" + host + "/v2", "runpod", ""));
      assertThat(userinfo.status()).isEqualTo(400);
      assertThat(userinfo.json().path("code").asText()).isEqualTo("secret_not_allowed");

      for (String id : List.of("x", "trick")) {
        Reply health = s.get("/api/providers/health?id=" + id);
        assertRefused(health, "egress_denied", host);
        answers.add(health.body());
        Reply posted = s.post("/api/providers/health", "{\"id\":\"" + id + "\"}");
        assertRefused(posted, "egress_denied", host);
        Reply templates = s.get("/api/providers/templates?id=" + id);
        assertRefused(templates, "egress_denied", host);
        answers.add(templates.body());
        Reply boot = s.post("/api/providers/bootstrap", "{\"id\":\"" + id + "\"}");
        assertRefused(boot, "egress_denied", host);
        answers.add(boot.body());
        Reply quota = s.get("/api/providers/quota?id=" + id);
        assertThat(quota.status()).isEqualTo(200);
        answers.add(quota.body());
      }
      // RunPod checks never use another provider's key, even towards a documented host
      Reply hf = s.get("/api/providers/health?id=hf");
      assertRefused(hf, "credentials_not_allowed", "huggingface");
      answers.add(hf.body());

      // "health of all" answers for every entry; the refused ones say why
      Reply all = s.get("/api/providers/health");
      assertThat(all.status()).isEqualTo(200);
      answers.add(all.body());
      List<String> codes = new ArrayList<>();
      all.json().path("results").forEach(r -> codes.add(r.path("code").asText("")));
      assertThat(codes).contains("egress_denied", "credentials_not_allowed");

      // no bootstrap task was recorded for a refused entry
      JsonNode jobs = s.get("/jobs/all").json();
      answers.add(jobs.toString());
      assertThat(jobs.toString()).doesNotContain("provider.bootstrap");
    }
    assertThat(attacker.connections()).as("TCP connections to the unlisted origin").isZero();
    assertThat(String.join("\n", answers)).doesNotContain(RUNPOD_KEY).doesNotContain(HF_KEY);
  }

  @Test
  void anAllowedBaseUrlGetsTheKeyAndItsEchoIsScrubbed() {
    home("{\"egress\":{\"allowed_base_urls\":[\"" + attacker.origin() + "\"]},\"providers\":[]}");
    try (Server s = Server.start(dir)) {
      s.post("/api/providers/register", entry("x", attacker.origin() + "/v2", "runpod", ""));
      Reply health = s.get("/api/providers/health?id=x");
      assertThat(health.status()).isEqualTo(200);
      JsonNode status = health.json().path("status");
      assertThat(status.path("ok").asBoolean()).isFalse();
      assertThat(status.path("status_code").asInt()).isEqualTo(401);
      // the listener quoted "Bearer <key>" after 400 characters: nothing of it survives the cut
      assertThat(health.body())
          .doesNotContain(RUNPOD_KEY)
          .doesNotContain(RUNPOD_KEY.substring(0, 8));
      Reply boot = s.post("/api/providers/bootstrap", "{\"id\":\"x\"}");
      assertThat(boot.status()).isEqualTo(200);
      assertThat(boot.body()).doesNotContain(RUNPOD_KEY.substring(0, 12));
      assertThat(s.get("/api/providers").body()).doesNotContain(RUNPOD_KEY.substring(0, 12));
    }
    assertThat(attacker.requests()).isNotEmpty();
    assertThat(attacker.requests())
        .allSatisfy(
            r -> assertThat(r.headers().get("authorization")).isEqualTo("Bearer " + RUNPOD_KEY));
    assertThat(new TestHome(dir).read("logs/providers_gpu.log")).doesNotContain(RUNPOD_KEY);
  }
}
