package io.comfyvn.compute.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.HttpReply;
import io.comfyvn.compute.gpu.http.HttpTransport;
import io.comfyvn.compute.gpu.http.ProviderHttp;
import io.comfyvn.compute.secrets.Secret;
import io.comfyvn.compute.secrets.SecretKey;
import io.comfyvn.compute.secrets.SecretStore;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Health, quota and templates of registry entries, by service:
 *
 * <ul>
 *   <li>ComfyUI boxes ({@code comfyui}, {@code lan}, {@code unraid}, {@code local}): {@code GET
 *       {base_url}/system_stats}, no credentials;
 *   <li>{@code runpod}: RunPod's management REST v2 at {@code base_url} (e.g. {@code
 *       https://api.runpod.io/v2}), {@code Authorization: Bearer <runpod.api_key>}: health and
 *       templates from {@code GET /templates}, GPU types from {@code GET /catalog/gpus}; quota is
 *       not inspected, as the v2 billing routes' shapes are not documented to rely on;
 *   <li>anything else: ComfyVN's "not supported" answers.
 * </ul>
 *
 * <p>Each check is one request with a short timeout and no retry (a health check that retries hides
 * the very slowness it should show). Every answer is a JSON object with {@code ok}, and no answer
 * holds a secret: requests go through the {@link EgressGuard}, whose answers arrive scrubbed.
 *
 * <p>Registry entries are written through the API, so their {@code base_url} is not trusted: a
 * request carrying a key goes only where {@link io.comfyvn.compute.gpu.http.EgressPolicy} allows
 * for that key's owner, and otherwise the check throws {@code egress_denied} (HTTP 422) without
 * sending anything ({@link #healthInList} answers instead, so one entry cannot break a list).
 * RunPod checks also refuse another provider's secrets ({@code meta.credentials: "huggingface"}): a
 * documented host pattern such as {@code *.endpoints.huggingface.cloud} matches hosts anyone can
 * create, and RunPod's checks have no business sending a Hugging Face token anywhere.
 */
public final class ProviderChecks {
  static final Set<String> COMFYUI_SERVICES = Set.of("comfyui", "lan", "unraid", "local");
  static final String QUOTA_UNSUPPORTED = "quota inspection not supported";
  static final String TEMPLATES_UNSUPPORTED = "template enumeration not available";

  private final EgressGuard transport;
  private final SecretStore secrets;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final Duration timeout;

  public ProviderChecks(
      EgressGuard transport,
      SecretStore secrets,
      ObjectMapper mapper,
      Clock clock,
      Duration timeout) {
    this.transport = transport;
    this.secrets = secrets;
    this.mapper = mapper;
    this.clock = clock;
    this.timeout = timeout;
  }

  /** Whether the service is checked as a ComfyUI box. */
  static boolean comfyui(ComputeProvider p) {
    return COMFYUI_SERVICES.contains(p.service());
  }

  static boolean runpod(ComputeProvider p) {
    return "runpod".equals(p.service());
  }

  /** {@code {ok, provider_id, ts, latency_ms?, detail | error, ...}}. */
  public ObjectNode health(ComputeProvider p) {
    ObjectNode out;
    if (comfyui(p)) {
      out = call(p, "/system_stats", Optional.empty());
      if (out.path("ok").asBoolean()) {
        out.set("detail", systemStats(out.remove("body")));
      }
    } else if (runpod(p)) {
      out = runpodCall(p, "/templates");
      if (out.path("ok").asBoolean()) {
        JsonNode body = out.remove("body");
        out.putObject("detail").put("templates", body.isArray() ? body.size() : 0);
      }
    } else {
      out = notSupported("health check not supported for service '" + p.service() + "'");
    }
    return stamp(p, out);
  }

  /**
   * {@link #health}, but a request that may not be sent is an answer ({@code ok:false, code:
   * "egress_denied"}) rather than a failure: for "health of all", where one entry must not hide the
   * others.
   */
  public ObjectNode healthInList(ComputeProvider p) {
    try {
      return health(p);
    } catch (ComputeException e) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      out.put("ok", false);
      out.put("code", e.code());
      out.put("error", e.getMessage());
      return stamp(p, out);
    }
  }

  /**
   * Whether this entry's checks may send what they would send (for bootstrap, before it records a
   * task).
   *
   * @throws ComputeException {@code egress_denied} (422) or {@code credentials_not_allowed} (422)
   */
  public void admit(ComputeProvider p) {
    if (runpod(p)) {
      Optional<Secret> secret = runpodSecret(p);
      if (secret.isPresent()) {
        request(p, "/templates", secret).ifPresent(transport::admit);
      }
    }
  }

  /** {@code {ok, quota?, error?}}: ComfyVN inspects no quota this service can rely on. */
  public ObjectNode quota(ComputeProvider p) {
    return stamp(p, notSupported(QUOTA_UNSUPPORTED));
  }

  /** Whether {@link #templates} can answer anything but "not available". */
  public boolean hasTemplates(ComputeProvider p) {
    return runpod(p);
  }

  /** {@code {ok, templates:[{id,name,image,...}], latency_ms}} for RunPod. */
  public ObjectNode templates(ComputeProvider p) {
    if (!runpod(p)) {
      return stamp(p, notSupported(TEMPLATES_UNSUPPORTED));
    }
    ObjectNode out = runpodCall(p, "/templates");
    if (out.path("ok").asBoolean()) {
      ArrayNode list = out.putArray("templates");
      JsonNode body = out.remove("body");
      // Chosen fields only: a template's env may hold the user's own tokens.
      for (JsonNode t : body.isArray() ? body : JsonNodeFactory.instance.arrayNode()) {
        ObjectNode o = list.addObject();
        o.put("id", t.path("id").asText(""));
        o.put("name", t.path("name").asText(""));
        o.put("image", t.path("imageName").asText(""));
        o.put("category", t.path("category").asText(""));
        o.put("serverless", t.path("isServerless").asBoolean(false));
        o.put("container_disk_gb", t.path("containerDiskInGb").asInt(0));
        o.put("volume_gb", t.path("volumeInGb").asInt(0));
      }
    }
    return stamp(p, out);
  }

  /** RunPod's GPU types with list prices ({@code GET /catalog/gpus}), for bootstrap. */
  public ObjectNode gpus(ComputeProvider p) {
    ObjectNode out = runpodCall(p, "/catalog/gpus");
    if (out.path("ok").asBoolean()) {
      ArrayNode list = out.putArray("gpus");
      JsonNode body = out.remove("body");
      for (JsonNode g : body.isArray() ? body : JsonNodeFactory.instance.arrayNode()) {
        ObjectNode o = list.addObject();
        o.put("id", g.path("id").asText(""));
        o.put("name", g.path("name").asText(""));
        o.put("pool", g.path("pool").asText(""));
        o.put("memory_gb", g.path("memory").asDouble(0));
        o.set("price", g.path("price").isObject() ? g.get("price").deepCopy() : null);
      }
    }
    return stamp(p, out);
  }

  private SecretKey runpodKey(ComputeProvider p) {
    return new SecretKey(p.credentialsSection(), "api_key", List.of(), List.of("token"));
  }

  /** The entry's RunPod key, refusing another provider's secrets section. */
  private Optional<Secret> runpodSecret(ComputeProvider p) {
    String owner = transport.policy().ownerOf(p.credentialsSection());
    if (transport.policy().isProvider(owner) && !"runpod".equals(owner)) {
      throw new ComputeException(
          ComputeException.Kind.UNPROCESSABLE,
          "credentials_not_allowed",
          "provider '"
              + p.id()
              + "': meta.credentials names "
              + owner
              + "'s secrets; RunPod checks use the runpod section or a section of your own");
    }
    return secrets.find(runpodKey(p));
  }

  private ObjectNode runpodCall(ComputeProvider p, String path) {
    SecretKey key = runpodKey(p);
    Optional<Secret> secret = runpodSecret(p);
    if (secret.isEmpty()) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      out.put("ok", false);
      out.put("error", "missing secrets");
      out.putArray("missing_secrets").add(key.qualifiedName());
      out.put("secrets_file", SecretStore.SECRETS_FILE);
      return out;
    }
    return call(p, path, secret);
  }

  /** The GET a check sends, or empty when the base URL is not an http(s) URL. */
  private static Optional<HttpCall> request(
      ComputeProvider p, String path, Optional<Secret> bearer) {
    URI uri;
    try {
      String base = p.baseUrl().replaceAll("/+$", "");
      uri = URI.create(base + path);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        return Optional.empty();
      }
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    Map<String, String> headers =
        bearer
            .map(s -> Map.of("Accept", "application/json", "Authorization", "Bearer " + s.reveal()))
            .orElse(Map.of("Accept", "application/json"));
    return Optional.of(HttpCall.get(uri, headers));
  }

  /**
   * One GET; {@code body} holds the parsed answer when ok.
   *
   * @throws ComputeException {@code egress_denied} when the request may not go to the entry's URL
   */
  private ObjectNode call(ComputeProvider p, String path, Optional<Secret> bearer) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    Optional<HttpCall> call = request(p, path, bearer);
    if (call.isEmpty()) {
      return notSupported("base_url must be a valid http(s) URL for service '" + p.service() + "'");
    }
    long start = System.nanoTime();
    HttpReply reply;
    try {
      reply = transport.send(call.get(), timeout);
    } catch (HttpTransport.TransportException e) {
      out.put("ok", false);
      out.put("error", "unreachable: " + e.getMessage());
      return out;
    } finally {
      out.put("latency_ms", (System.nanoTime() - start) / 1_000_000);
    }
    if (reply.status() / 100 != 2) {
      out.put("ok", false);
      out.put("status_code", reply.status());
      out.put("error", errorText(reply));
      return out;
    }
    try {
      JsonNode body = mapper.readTree(reply.body());
      out.put("ok", true);
      out.set("body", body == null ? JsonNodeFactory.instance.nullNode() : body);
    } catch (IOException e) {
      out.put("ok", false);
      out.put("status_code", reply.status());
      out.put("error", "the answer is not JSON");
    }
    return out;
  }

  /** The device and version facts of ComfyUI's {@code /system_stats}. */
  private static ObjectNode systemStats(JsonNode body) {
    ObjectNode detail = JsonNodeFactory.instance.objectNode();
    JsonNode system = body.path("system");
    detail.put("comfyui_version", system.path("comfyui_version").asText(""));
    detail.put("pytorch_version", system.path("pytorch_version").asText(""));
    ArrayNode devices = detail.putArray("devices");
    for (JsonNode d : body.path("devices")) {
      ObjectNode o = devices.addObject();
      o.put("name", d.path("name").asText(""));
      o.put("type", d.path("type").asText(""));
      o.put("vram_total", d.path("vram_total").asLong(0));
      o.put("vram_free", d.path("vram_free").asLong(0));
    }
    return detail;
  }

  private String errorText(HttpReply reply) {
    String text = reply.text();
    try {
      JsonNode j = mapper.readTree(text);
      if (j != null && j.isObject()) {
        for (String f : new String[] {"detail", "error", "message", "title"}) {
          if (j.path(f).isTextual() && !j.get(f).asText().isBlank()) {
            text = j.get(f).asText();
            break;
          }
        }
      }
    } catch (IOException notJson) {
      // a plain-text error is used as it is
    }
    // the guard scrubbed the answer before it got here, so cutting cannot leave part of a key
    return ProviderHttp.cut(transport.scrub(text.strip()), 200);
  }

  private static ObjectNode notSupported(String error) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("ok", false);
    out.put("error", error);
    return out;
  }

  private ObjectNode stamp(ComputeProvider p, ObjectNode out) {
    out.put("provider_id", p.id());
    out.put("ts", clock.instant().toString());
    return out;
  }
}
