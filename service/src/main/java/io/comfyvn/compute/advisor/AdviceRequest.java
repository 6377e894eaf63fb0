package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code POST /api/gpu/advise} body, ComfyVN's shape (see the python reference §10.1) plus
 * {@code workload.workflow}, {@code provider}, {@code providers}, {@code local_gpu} and {@code
 * max_candidates}. Every bad value is a 400 naming the field.
 *
 * @param preferRemote pick remote even when the local GPU fits
 * @param hardwareOverride force the CPU
 * @param provider a provider the caller pins (legacy resolution: id, alias or service), or null
 * @param providers only these providers (ids, aliases or services); empty: the catalog's defaults
 * @param localGpu the local GPU stated by the request, or null to use the config's
 * @param maxCandidates how many ranked candidates to return
 * @param workload the workload as sent (echoed back)
 * @param type the workload type ({@code cg_batch}, {@code voice_synthesis}...)
 * @param minVramGb the VRAM the caller requires, or null
 * @param expectedMinutes the run time the caller states, or null
 * @param assets the assets, sizes in MB
 * @param cachedWorkflows workflows already cached remotely
 * @param uncachedWorkflows workflows not cached
 * @param persistOutputs whether any workflow persists outputs
 * @param budgetLimitUsd the budget, or null
 * @param budgetMode how to trade cost for time
 * @param requiresGpu whether the caller says it needs a GPU, or null to infer
 * @param requiresPersistent whether persistent storage is required
 * @param translationGpu whether the translation pipeline needs a GPU
 * @param workflow the ComfyUI API-format workflow, or null
 */
public record AdviceRequest(
    boolean preferRemote,
    boolean hardwareOverride,
    String provider,
    List<String> providers,
    AdvisorSettings.LocalGpu localGpu,
    int maxCandidates,
    ObjectNode workload,
    String type,
    Double minVramGb,
    Double expectedMinutes,
    List<Asset> assets,
    int cachedWorkflows,
    int uncachedWorkflows,
    boolean persistOutputs,
    Double budgetLimitUsd,
    BudgetMode budgetMode,
    Boolean requiresGpu,
    boolean requiresPersistent,
    boolean translationGpu,
    JsonNode workflow) {

  /** The largest budget taken seriously; more is a typo, not a plan. */
  public static final double MAX_BUDGET_USD = 100_000;

  /** The largest VRAM requirement accepted. */
  public static final double MAX_VRAM_GB = 1024;

  /** The longest run accepted: 30 days. */
  public static final double MAX_MINUTES = 43_200;

  /** Default and upper bound of {@code max_candidates}. */
  public static final int DEFAULT_CANDIDATES = 12;

  public static final int MAX_CANDIDATES = 200;

  public AdviceRequest {
    providers = List.copyOf(providers);
    assets = List.copyOf(assets);
  }

  /**
   * One asset.
   *
   * @param name its name
   * @param sizeMb its size
   */
  public record Asset(String name, double sizeMb) {}

  /**
   * How the advisor trades cost against waiting: the dollars one hour of waiting is worth when
   * ranking. Balanced takes a faster GPU when it saves a minute for under about a cent.
   */
  public enum BudgetMode {
    COST_SAVER(0, "high"),
    FRUGAL(0.1, "high"),
    BALANCED(0.5, "medium"),
    SPEED(5, "low"),
    PREMIUM(50, "low");

    private final double usdPerHourOfWaiting;
    private final String costSensitivity;

    BudgetMode(double usdPerHourOfWaiting, String costSensitivity) {
      this.usdPerHourOfWaiting = usdPerHourOfWaiting;
      this.costSensitivity = costSensitivity;
    }

    /** What an hour of waiting is worth in this mode when ranking. */
    public double usdPerHourOfWaiting() {
      return usdPerHourOfWaiting;
    }

    /** ComfyVN's {@code cost_sensitivity} word. */
    public String costSensitivity() {
      return costSensitivity;
    }

    /** The wire word. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    static BudgetMode parse(String text) {
      for (BudgetMode m : values()) {
        if (m.wire().equals(text.trim().toLowerCase(Locale.ROOT))) {
          return m;
        }
      }
      throw ComputeException.badRequest(
          "invalid_value",
          "'workload.budget.mode' must be one of cost_saver, frugal, balanced, speed, premium");
    }
  }

  /** Parses and validates a request body. */
  public static AdviceRequest parse(ObjectNode body) {
    boolean preferRemote = bool(body, "prefer_remote", "prefer_remote");
    boolean override = bool(body, "hardware_override", "hardware_override");
    JsonNode wl = body.get("workload");
    ObjectNode workload;
    if (wl == null || wl.isNull()) {
      workload = JsonNodeFactory.instance.objectNode();
    } else if (wl.isObject()) {
      workload = (ObjectNode) wl;
    } else {
      throw type("workload", "an object");
    }
    JsonNode req = object(workload, "requirements", "workload.requirements");
    String type = text(workload, "type", "workload.type");
    if (type == null) {
      type = text(req, "type", "workload.requirements.type");
    }
    type = type == null ? null : type.toLowerCase(Locale.ROOT);
    Double minVram =
        number(req, "min_vram_gb", "workload.requirements.min_vram_gb", 0, MAX_VRAM_GB);
    if (minVram == null) {
      minVram = number(workload, "min_vram_gb", "workload.min_vram_gb", 0, MAX_VRAM_GB);
    }
    Double minutes = positive(req, "estimated_minutes", "workload.requirements.estimated_minutes");
    if (minutes == null) {
      minutes =
          positive(
              object(workload, "estimate", "workload.estimate"),
              "duration_minutes",
              "workload.estimate.duration_minutes");
    }
    List<Asset> assets = assets(workload);
    int cached = 0;
    int uncached = 0;
    boolean persist = false;
    for (JsonNode wf : workflows(workload)) {
      if (!wf.isObject()) {
        throw type("workload.workflows[]", "an array of objects");
      }
      if (bool(wf, "cached", "workload.workflows[].cached")) {
        cached++;
      } else {
        uncached++;
      }
      persist |= bool(wf, "persist_outputs", "workload.workflows[].persist_outputs");
    }
    JsonNode budget = object(workload, "budget", "workload.budget");
    Double limit = number(budget, "limit_usd", "workload.budget.limit_usd", 0, MAX_BUDGET_USD);
    String modeText = text(budget, "mode", "workload.budget.mode");
    BudgetMode mode = modeText == null ? BudgetMode.BALANCED : BudgetMode.parse(modeText);
    Boolean requiresGpu = null;
    if (workload.hasNonNull("requires_gpu")) {
      requiresGpu = bool(workload, "requires_gpu", "workload.requires_gpu");
    }
    boolean persistent =
        bool(
            object(workload, "cache", "workload.cache"),
            "requires_persistent",
            "workload.cache.requires_persistent");
    JsonNode pipeline = object(workload, "pipeline", "workload.pipeline");
    boolean translationGpu =
        bool(
            object(pipeline, "translation", "workload.pipeline.translation"),
            "requires_gpu",
            "workload.pipeline.translation.requires_gpu");
    JsonNode workflow = workload.get("workflow");
    if (workflow != null && workflow.isNull()) {
      workflow = null;
    }
    if (workflow == null) {
      // the submit's own job object, so a submit and its advice read the same graph
      JsonNode job = object(body, "job", "job");
      workflow =
          job.get("workflow") != null && !job.get("workflow").isNull() ? job.get("workflow") : null;
    }
    String provider = text(body, "provider", "provider");
    if (provider == null) {
      provider = text(workload, "provider", "workload.provider");
    }
    List<String> only = new ArrayList<>();
    JsonNode ps = body.get("providers");
    if (ps != null && !ps.isNull()) {
      if (!ps.isArray() || ps.size() > 100) {
        throw type("providers", "an array of at most 100 provider names");
      }
      for (JsonNode p : ps) {
        if (!p.isTextual() || p.asText().isBlank() || p.asText().length() > 128) {
          throw type("providers[]", "provider names");
        }
        only.add(p.asText().trim());
      }
    }
    AdvisorSettings.LocalGpu local = null;
    JsonNode lg = body.get("local_gpu");
    if (lg != null && !lg.isNull()) {
      try {
        local = AdvisorSettings.localGpu(lg, "'local_gpu'");
      } catch (IllegalArgumentException e) {
        throw ComputeException.badRequest("invalid_value", e.getMessage());
      }
    }
    int max = DEFAULT_CANDIDATES;
    Double m = number(body, "max_candidates", "max_candidates", 1, MAX_CANDIDATES);
    if (m != null) {
      if (m != Math.rint(m)) {
        throw ComputeException.badRequest(
            "invalid_value", "'max_candidates' must be a whole number");
      }
      max = m.intValue();
    }
    return new AdviceRequest(
        preferRemote,
        override,
        provider,
        only,
        local,
        max,
        workload,
        type,
        minVram,
        minutes,
        assets,
        cached,
        uncached,
        persist,
        limit,
        mode,
        requiresGpu,
        persistent,
        translationGpu,
        workflow);
  }

  private static List<Asset> assets(ObjectNode workload) {
    JsonNode list = workload.get("assets");
    if (list == null || list.isNull()) {
      list = object(workload, "asset_summary", "workload.asset_summary").get("items");
    }
    List<Asset> out = new ArrayList<>();
    if (list == null || list.isNull()) {
      return out;
    }
    if (!list.isArray() || list.size() > 10_000) {
      throw type("workload.assets", "an array of at most 10000 objects");
    }
    for (JsonNode a : list) {
      if (!a.isObject()) {
        throw type("workload.assets[]", "objects {name, size_mb}");
      }
      String name = a.path("name").isTextual() ? a.get("name").asText() : "";
      Double mb = number(a, "size_mb", "workload.assets[].size_mb", 0, 1e9);
      if (mb == null) {
        Double bytes = number(a, "size_bytes", "workload.assets[].size_bytes", 0, 1e15);
        Double kb = number(a, "size_kb", "workload.assets[].size_kb", 0, 1e12);
        mb = bytes != null ? bytes / 1_048_576 : kb != null ? kb / 1024 : 0.0;
      }
      out.add(new Asset(name, mb));
    }
    return out;
  }

  private static List<JsonNode> workflows(ObjectNode workload) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode list :
        new JsonNode[] {
          workload.get("workflows"),
          object(workload, "comfyui", "workload.comfyui").get("workflows")
        }) {
      if (list == null || list.isNull()) {
        continue;
      }
      if (!list.isArray()) {
        throw type("workload.workflows", "an array");
      }
      list.forEach(out::add);
    }
    return out;
  }

  private static JsonNode object(JsonNode parent, String field, String path) {
    JsonNode v = parent.get(field);
    if (v == null || v.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!v.isObject()) {
      throw type(path, "an object");
    }
    return v;
  }

  private static String text(JsonNode parent, String field, String path) {
    JsonNode v = parent.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual() || v.asText().isBlank() || v.asText().length() > 128) {
      throw type(path, "a non-empty string of at most 128 characters");
    }
    return v.asText().trim();
  }

  private static boolean bool(JsonNode parent, String field, String path) {
    JsonNode v = parent.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw type(path, "true or false");
    }
    return v.booleanValue();
  }

  private static Double number(JsonNode parent, String field, String path, double min, double max) {
    JsonNode v = parent.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isNumber()) {
      throw type(path, "a number");
    }
    double d = v.asDouble();
    if (!(d >= min && d <= max)) {
      throw ComputeException.badRequest(
          "invalid_value",
          "'" + path + "' must be from " + Numbers.plain(min, 6) + " to " + Numbers.plain(max, 6));
    }
    return d;
  }

  private static Double positive(JsonNode parent, String field, String path) {
    Double d = number(parent, field, path, 0, MAX_MINUTES);
    if (d != null && d == 0) {
      throw ComputeException.badRequest("invalid_value", "'" + path + "' must be above 0");
    }
    return d;
  }

  private static ComputeException type(String path, String what) {
    return ComputeException.badRequest("invalid_type", "'" + path + "' must be " + what);
  }
}
