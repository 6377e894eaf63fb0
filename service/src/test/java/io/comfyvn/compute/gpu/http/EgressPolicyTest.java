package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.support.LiveContexts;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Where credentials may go: the shipped provider.json hosts plus two allowed base URLs. */
class EgressPolicyTest {
  private static final EgressPolicy POLICY =
      LiveContexts.policy(List.of("http://127.0.0.1:9100/", "HTTPS://Comfy.LAN"));

  private static boolean allowed(String owners, String url) {
    Set<String> o = new TreeSet<>();
    for (String s : owners.split("\\+")) {
      if (!s.isBlank()) {
        o.add(s.strip());
      }
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return false; // the JDK client could not send it either
    }
    return POLICY.check(o, uri).allowed();
  }

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        // documented hosts: https on 443 only, compared case-insensitively, otherwise exactly
        "runpod | https://api.runpod.ai/v2/e/run | true",
        "runpod | https://API.RunPod.AI/v2 | true",
        "runpod | https://api.runpod.io/v2/templates | true",
        "runpod | https://api.runpod.ai:443/v2 | true",
        "runpod | http://api.runpod.ai/v2 | false",
        "runpod | https://api.runpod.ai:8443/v2 | false",
        "runpod | https://api.runpod.ai./v2 | false",
        "runpod | https://api.runpod.ai.evil.example/v2 | false",
        "runpod | https://evil.example/api.runpod.ai | false",
        "runpod | https://evil.example/?h=api.runpod.ai | false",
        "runpod | https://api.runpod.ai@evil.example/ | false",
        "runpod | http://api.runpod.ai@evil/ | false",
        "runpod | https://user:pw@api.runpod.ai/ | false",
        "runpod | https://xn--pi-7ldn.runpod.ai/ | false",
        "runpod | https://\u0430pi.runpod.ai/ | false",
        "runpod | https://api%2erunpod.ai/ | false",
        "runpod | https://api.runpod.ai%00.evil.example/ | false",
        "runpod | https://rest.runpod.io/v1 | false",
        "runpod | https://runpod.ai/ | false",
        "runpod | https://api.replicate.com/v1 | false",
        "runpod | ftp://api.runpod.ai/ | false",
        "runpod | //api.runpod.ai/v2 | false",
        "replicate | https://api.replicate.com/v1/predictions | true",
        "replicate | https://streaming.api.replicate.com/v1 | false",
        "replicate | https://api.runpod.ai/v2 | false",
        // wildcards: any host below the domain, never the domain itself or a look-alike
        "huggingface | https://abc.us-east-1.aws.endpoints.huggingface.cloud/ | true",
        "huggingface | https://api.endpoints.huggingface.cloud/v2/endpoint/ns | true",
        "huggingface | https://endpoints.huggingface.cloud/ | false",
        "huggingface | https://xendpoints.huggingface.cloud/ | false",
        "huggingface | https://a.endpoints.huggingface.cloud.evil.example/ | false",
        "huggingface | https://huggingface.co/api/jobs/ns | true",
        "huggingface | https://x.huggingface.co/ | false",
        "huggingface | https://evilhuggingface.co/ | false",
        "modal | https://ws--comfyvn-jobs.modal.run/run | true",
        "modal | https://ws--comfyvn-jobs-dev.modal.run:443/run | true",
        "modal | https://modal.run/ | false",
        "modal | https://a..modal.run/ | false",
        "modal | https://ws.modal.run.evil.example/ | false",
        "modal | http://ws--app.modal.run/ | false",
        // self-hosted ComfyUI has no documented host: only allowed base URLs
        "comfyui | https://comfy.example/prompt | false",
        "comfyui | http://127.0.0.1:9100/comfyui/prompt | true",
        // allowed base URLs: any owner, exact scheme, host and port
        "runpod | http://127.0.0.1:9100/runpod/v2 | true",
        "runpod + huggingface | http://127.0.0.1:9100/x | true",
        "runpod | http://127.0.0.1:9101/ | false",
        "runpod | https://127.0.0.1:9100/ | false",
        "runpod | http://localhost:9100/ | false",
        "runpod | http://[::1]:9100/ | false",
        "runpod | http://127.0.0.1:9100@evil.example/ | false",
        "runpod | https://comfy.lan/x | true",
        "runpod | https://COMFY.LAN:443/ | true",
        "runpod | http://comfy.lan/ | false",
        "runpod | https://comfy.lan.evil.example/ | false",
        // every owner must be satisfied
        "runpod + huggingface | https://api.runpod.ai/v2 | false",
        // a user's own section and unknown credentials have no documented host
        "my_vast | https://api.runpod.ai/ | false",
        "my_vast | https://comfy.lan/ | true",
        "unknown credentials | https://api.runpod.ai/ | false",
        // no credentials: not this policy's business
        "'' | http://evil.example/ | true",
      })
  void credentialsGoOnlyWhereTheyBelong(String owners, String url, boolean expected) {
    assertThat(allowed(owners, url)).isEqualTo(expected);
  }

  static Stream<Long> seeds() {
    return IntStream.rangeClosed(1, 200).mapToObj(i -> (long) i);
  }

  /** Case changes keep the host; any single-character edit of it is another host, and denied. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void caseIsIgnoredAndEveryEditIsDenied(long seed) {
    Random r = new Random(seed);
    String host = r.nextBoolean() ? "api.runpod.ai" : "api.runpod.io";
    StringBuilder cased = new StringBuilder();
    for (char c : host.toCharArray()) {
      cased.append(r.nextBoolean() ? Character.toUpperCase(c) : c);
    }
    assertThat(allowed("runpod", "https://" + cased + "/v2")).isTrue();
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789.-_";
    StringBuilder edited = new StringBuilder(host);
    int at = r.nextInt(host.length() + 1);
    switch (r.nextInt(3)) {
      case 0 -> edited.insert(at, alphabet.charAt(r.nextInt(alphabet.length())));
      case 1 -> edited.deleteCharAt(Math.min(at, host.length() - 1));
      default -> {
        int i = Math.min(at, host.length() - 1);
        char c;
        do {
          c = alphabet.charAt(r.nextInt(alphabet.length()));
        } while (c == host.charAt(i));
        edited.setCharAt(i, c);
      }
    }
    String e = edited.toString().toLowerCase(Locale.ROOT);
    boolean other = e.equals("api.runpod.ai") || e.equals("api.runpod.io");
    assertThat(allowed("runpod", "https://" + edited + "/v2")).isEqualTo(other);
  }

  @Test
  void aDenialNamesTheOwnerTheTargetAndWhatIsAllowed() {
    EgressPolicy.Decision d =
        POLICY.check(Set.of("runpod"), URI.create("http://evil.example:8080/v2/templates"));
    assertThat(d.allowed()).isFalse();
    assertThat(d.reason())
        .contains("credentials of runpod")
        .contains("http://evil.example:8080")
        .contains("api.runpod.ai, api.runpod.io")
        .contains("egress.allowed_base_urls");
  }

  @Test
  void sectionsBelongToTheProviderThatNamesThemOrToThemselves() {
    assertThat(POLICY.ownerOf("runpod")).isEqualTo("runpod");
    assertThat(POLICY.ownerOf("HF")).isEqualTo("huggingface");
    assertThat(POLICY.ownerOf("hf_inference_endpoints")).isEqualTo("huggingface");
    assertThat(POLICY.ownerOf("comfyui_local")).isEqualTo("comfyui");
    assertThat(POLICY.ownerOf("my_vast")).isEqualTo("my_vast");
    assertThat(POLICY.isProvider("comfyui")).isTrue();
    assertThat(POLICY.isProvider("my_vast")).isFalse();
    assertThat(POLICY.documentedHosts("modal")).containsExactly("*.modal.run");
    assertThat(POLICY.allowedBaseUrls())
        .containsExactly("http://127.0.0.1:9100", "https://comfy.lan:443");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "[\"http://127.0.0.1:9100/runpod/v2\"] | [0]",
        "[\"http://ok:1\", \"ftp://x\"] | [1]",
        "[\"http://tok3n-SECRET@x:1\"] | [0]",
        "[\"not a url\"] | [0]",
        "[\"http://x:1/?q=1\"] | [0]",
        "[\"http://x:1/#f\"] | [0]",
        "[42] | [0] must be a string",
        "\"http://x:1\" | must be a list",
      })
  void allowedBaseUrlsAreOriginsOrTheServiceDoesNotStart(String list, String where)
      throws Exception {
    JsonNode egress = Json.mapper().readTree("{\"allowed_base_urls\":" + list + "}");
    assertThatThrownBy(() -> EgressPolicy.allowedBaseUrls(egress))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("config/comfyvn.json: egress.allowed_base_urls")
        .hasMessageContaining(where)
        .hasMessageNotContaining("SECRET");
  }

  @Test
  void noSectionMeansNothingIsAllowedBeyondTheDocumentedHosts() throws Exception {
    assertThat(EgressPolicy.allowedBaseUrls(Json.mapper().readTree("{}"))).isEmpty();
    assertThat(EgressPolicy.allowedBaseUrls(null)).isEmpty();
  }
}
