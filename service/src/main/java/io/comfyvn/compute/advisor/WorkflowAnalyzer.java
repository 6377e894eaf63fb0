package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.advisor.VramRules.Family;
import io.comfyvn.compute.errors.ComputeException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Infers the VRAM floor and size of a ComfyUI API-format workflow ({@code {node_id: {class_type,
 * inputs}}}) from its nodes, with the {@link VramRules} table. Pure: the same graph always gives
 * the same analysis, whatever the key order of the JSON.
 */
public final class WorkflowAnalyzer {
  /** Graphs larger than this are refused. */
  public static final int MAX_NODES = 5000;

  private final VramRules rules;

  public WorkflowAnalyzer(VramRules rules) {
    this.rules = rules;
  }

  /** The rule table in use. */
  public VramRules rules() {
    return rules;
  }

  /** The work units of a job that states nothing: default steps on the default family. */
  public double defaultWorkUnits() {
    Family f = rules.family(rules.defaultFamily());
    return Numbers.round(rules.defaultSteps() * f.nativeMp() * f.workFactor(), 3);
  }

  /** What the graph's nodes add up to, gathered before any rule is applied. */
  private static final class Scan {
    final Map<String, String> modelFamilies = new TreeMap<>();
    final TreeSet<String> models = new TreeSet<>();
    final List<String> evidence = new ArrayList<>();
    final List<Family> candidates = new ArrayList<>();
    final List<Boolean> byName = new ArrayList<>();
    boolean quantized;
    long maxPixels;
    Integer width;
    Integer height;
    int batch = 1;
    int frames;
    double scaleBy = 1;
    int steps;
    int controlnets;
    int loras;
    int upscalers;
    boolean clipVision;
    int vaeFull;
    int vaeTiled;
  }

  /**
   * Analyzes a workflow.
   *
   * @throws ComputeException 400 {@code invalid_workflow} when the graph is not an API-format
   *     workflow or states impossible values
   */
  public WorkflowAnalysis analyze(JsonNode workflow) {
    if (workflow == null || !workflow.isObject()) {
      throw invalid("'workload.workflow' must be a ComfyUI API-format object {node_id: {...}}");
    }
    if (workflow.has("nodes") && workflow.get("nodes").isArray()) {
      throw invalid(
          "this is a ComfyUI UI-format workflow; export it with 'Save (API format)' and send that");
    }
    int count = workflow.size();
    if (count == 0) {
      throw invalid("the workflow has no nodes");
    }
    if (count > MAX_NODES) {
      throw invalid("the workflow has more than " + MAX_NODES + " nodes");
    }
    Map<String, JsonNode> nodes = new TreeMap<>(BY_NODE_ID);
    workflow.properties().forEach(e -> nodes.put(e.getKey(), e.getValue()));
    Scan scan = new Scan();
    nodes.forEach((id, node) -> scanNode(id, node, scan));
    return apply(scan, count);
  }

  /** Node ids are usually numbers: order "9" before "10", then any other text. */
  private static final Comparator<String> BY_NODE_ID =
      Comparator.comparingInt(String::length).thenComparing(Comparator.naturalOrder());

  private void scanNode(String id, JsonNode node, Scan scan) {
    if (!node.isObject()) {
      throw invalid("node '" + clip(id) + "' must be an object {class_type, inputs}");
    }
    JsonNode ctNode = node.get("class_type");
    if (ctNode == null || !ctNode.isTextual() || ctNode.asText().isBlank()) {
      throw invalid("node '" + clip(id) + "' has no class_type string");
    }
    JsonNode inputs = node.path("inputs");
    if (!inputs.isMissingNode() && !inputs.isNull() && !inputs.isObject()) {
      throw invalid("node '" + clip(id) + "' inputs must be an object");
    }
    String ct = ctNode.asText().trim();
    String where = ct + " #" + clip(id);
    for (Family f : rules.families()) {
      if (f.classTypes().contains(ct)) {
        addCandidate(scan, f, where, false);
      }
    }
    if (ct.contains("GGUF")) {
      scan.quantized = true;
    }
    for (String key : new String[] {"ckpt_name", "unet_name"}) {
      String name = text(inputs, key);
      if (name != null) {
        scan.models.add(name);
        if (rules.quantized(name)) {
          scan.quantized = true;
        }
        rules
            .byModelName(name)
            .ifPresent(
                f -> {
                  scan.modelFamilies.put(name, f.id());
                  addCandidate(scan, f, where + " " + key + " '" + clip(name) + "'", true);
                });
      }
    }
    String dtype = text(inputs, "weight_dtype");
    if (dtype != null && rules.quantized(dtype)) {
      scan.quantized = true;
    }
    String clipType = text(inputs, "type");
    if (clipType != null && ct.contains("CLIPLoader")) {
      String lower = clipType.toLowerCase(Locale.ROOT);
      for (Family f : rules.families()) {
        if (f.clipTypes().contains(lower)) {
          addCandidate(scan, f, where + " type '" + clip(clipType) + "'", false);
        }
      }
    }
    if (text(inputs, "control_net_name") != null) {
      scan.controlnets++;
    }
    if (text(inputs, "lora_name") != null) {
      scan.loras++;
    }
    if (ct.equals("UpscaleModelLoader")) {
      scan.upscalers++;
    }
    // IPAdapter loaders bring their own CLIP vision encoder.
    if (ct.contains("CLIPVisionLoader") || (ct.contains("IPAdapter") && ct.contains("Loader"))) {
      scan.clipVision = true;
    }
    if (ct.equals("VAEDecode")) {
      scan.vaeFull++;
    } else if (ct.startsWith("VAEDecodeTiled")) {
      scan.vaeTiled++;
    }
    Integer w = whole(inputs, "width", 16, 16384, where);
    Integer h = whole(inputs, "height", 16, 16384, where);
    boolean sizesLatent =
        ct.contains("Latent")
            || ct.contains("Video")
            || ct.contains("SVD")
            || inputs.has("batch_size");
    if (w != null && h != null && sizesLatent && (long) w * h > scan.maxPixels) {
      scan.maxPixels = (long) w * h;
      scan.width = w;
      scan.height = h;
    }
    Integer batch = whole(inputs, "batch_size", 1, 4096, where);
    if (batch != null && sizesLatent) {
      scan.batch = Math.max(scan.batch, batch);
    }
    for (String key : new String[] {"length", "video_frames", "frames"}) {
      Integer f = whole(inputs, key, 1, 10000, where);
      if (f != null) {
        scan.frames = Math.max(scan.frames, f);
      }
    }
    if (ct.equals("LatentUpscaleBy")) {
      JsonNode s = inputs.get("scale_by");
      if (s != null && s.isNumber()) {
        if (s.asDouble() <= 0 || s.asDouble() > 8) {
          throw invalid(where + " scale_by must be above 0 and at most 8");
        }
        scan.scaleBy = Math.max(scan.scaleBy, s.asDouble());
      }
    }
    Integer steps = whole(inputs, "steps", 1, 10000, where);
    if (steps != null && ct.contains("Sampler")) {
      scan.steps += steps;
    }
  }

  private static void addCandidate(Scan scan, Family f, String evidence, boolean fromName) {
    int at = scan.candidates.indexOf(f);
    if (at < 0) {
      scan.candidates.add(f);
      scan.byName.add(fromName);
      scan.evidence.add(f.id() + " from " + evidence);
    } else if (fromName && !scan.byName.get(at)) {
      scan.byName.set(at, true);
      scan.evidence.set(at, f.id() + " from " + evidence);
    }
  }

  /**
   * The families that may set the floor: those a model file name named (plus add-ons such as
   * AnimateDiff), or, when no name was recognized, those the node classes and CLIP types named.
   */
  private static List<Family> pool(Scan scan) {
    boolean anyName = scan.byName.contains(true);
    List<Family> out = new ArrayList<>();
    for (int i = 0; i < scan.candidates.size(); i++) {
      Family f = scan.candidates.get(i);
      if (!anyName || scan.byName.get(i) || f.addOn()) {
        out.add(f);
      }
    }
    return out;
  }

  private WorkflowAnalysis apply(Scan scan, int count) {
    List<WorkflowAnalysis.Rule> out = new ArrayList<>();
    Family family;
    String evidence;
    List<Family> pool = pool(scan);
    if (pool.isEmpty()) {
      family = rules.family(rules.defaultFamily());
      evidence = "no model family recognized; assumed " + family.id();
    } else {
      // The floor must hold the largest model in the graph; ties go to the table's order.
      family = pool.get(0);
      for (Family f : pool) {
        if (f.baseGb() > family.baseGb()
            || (f.baseGb() == family.baseGb()
                && rules.families().indexOf(f) < rules.families().indexOf(family))) {
          family = f;
        }
      }
      evidence = scan.evidence.get(scan.candidates.indexOf(family));
    }
    double base = family.baseGb() * (scan.quantized ? rules.quantizedFactor() : 1);
    out.add(
        rule(
            "family_base",
            family.label()
                + (scan.quantized
                    ? ", quantized weights x" + Numbers.plain(rules.quantizedFactor(), 2)
                    : "")
                + " at "
                + Numbers.plain(family.nativeMp(), 2)
                + " MP",
            base));
    double mp = scan.maxPixels > 0 ? scan.maxPixels / 1_000_000.0 : family.nativeMp();
    if (scan.scaleBy > 1) {
      mp = mp * scan.scaleBy * scan.scaleBy;
    }
    int batch = scan.batch;
    int frames = 1;
    if (family.video()) {
      frames = scan.frames > 0 ? scan.frames : family.nativeFrames();
      if (family.id().equals("animatediff") && scan.frames == 0) {
        // AnimateDiff renders its frames as the latent batch.
        frames = batch;
        batch = 1;
      }
    }
    double activation;
    String actDetail;
    if (family.video()) {
      double resExtra = family.perMpGb() * Math.max(0, mp - family.nativeMp()) * batch;
      double frameExtra =
          family.perFrameGb()
              * Math.max(0, (double) frames * batch - family.nativeFrames())
              * Math.max(1, mp / family.nativeMp());
      activation = resExtra + frameExtra;
      actDetail =
          Numbers.plain(mp, 3)
              + " MP x "
              + frames
              + " frames x batch "
              + batch
              + " over native "
              + Numbers.plain(family.nativeMp(), 2)
              + " MP x "
              + family.nativeFrames()
              + " frames";
    } else {
      activation = family.perMpGb() * Math.max(0, mp * batch - family.nativeMp());
      actDetail =
          Numbers.plain(mp, 3)
              + " MP x batch "
              + batch
              + " over native "
              + Numbers.plain(family.nativeMp(), 2)
              + " MP"
              + (scan.scaleBy > 1
                  ? " (latent upscale x" + Numbers.plain(scan.scaleBy, 2) + ")"
                  : "");
    }
    if (activation > 0) {
      out.add(rule("resolution_batch", actDetail, activation));
    }
    String vae = "none";
    if (scan.vaeFull > 0) {
      vae = "full";
      out.add(
          rule(
              "vae_decode",
              "untiled VAE decode of " + Numbers.plain(mp, 3) + " MP x batch " + batch,
              family.vaePerMpGb() * mp * batch));
    } else if (scan.vaeTiled > 0) {
      vae = "tiled";
      out.add(rule("vae_decode_tiled", "tiled VAE decode", rules.tiledVaeGb()));
    }
    if (scan.controlnets > 0) {
      out.add(
          rule(
              "controlnet",
              scan.controlnets + " x " + family.id() + " ControlNet",
              scan.controlnets * family.controlnetGb()));
    }
    if (scan.loras > 0) {
      out.add(
          rule("lora", scan.loras + " x " + family.id() + " LoRA", scan.loras * family.loraGb()));
    }
    if (scan.upscalers > 0) {
      out.add(
          rule(
              "upscale_model",
              scan.upscalers + " upscale model(s)",
              scan.upscalers * rules.upscaleModelGb()));
    }
    if (scan.clipVision) {
      out.add(rule("clip_vision", "CLIP vision encoder", rules.clipVisionGb()));
    }
    if (scan.models.size() > 1) {
      double extra = 0;
      List<String> names = new ArrayList<>(scan.models);
      String main = null;
      for (String n : names) {
        if (family.id().equals(scan.modelFamilies.get(n))) {
          main = n;
          break;
        }
      }
      for (String n : names) {
        if (main == null) {
          main = n; // no name matched the winning family: the first name stands in for it
          continue;
        }
        if (n.equals(main)) {
          continue;
        }
        String fid = scan.modelFamilies.getOrDefault(n, family.id());
        extra += rules.family(fid).weightsGb() * rules.extraModelFactor();
      }
      out.add(
          rule(
              "extra_models",
              (names.size() - 1)
                  + " more model(s) at "
                  + Numbers.plain(rules.extraModelFactor(), 2)
                  + " of their weights",
              extra));
    }
    double total = out.stream().mapToDouble(WorkflowAnalysis.Rule::gb).sum();
    int floor = (int) Math.max(rules.minFloorGb(), Math.ceil(total - 1e-9));
    int steps = scan.steps > 0 ? scan.steps : rules.defaultSteps();
    double work = Numbers.round(steps * mp * batch * frames * family.workFactor(), 3);
    return new WorkflowAnalysis(
        family.id(),
        family.label(),
        evidence,
        scan.quantized,
        count,
        scan.width,
        scan.height,
        Numbers.round(mp, 4),
        batch,
        frames,
        steps,
        scan.controlnets,
        scan.loras,
        scan.upscalers,
        vae,
        new ArrayList<>(scan.models),
        work,
        floor,
        out);
  }

  private static WorkflowAnalysis.Rule rule(String name, String detail, double gb) {
    return new WorkflowAnalysis.Rule(name, detail, Numbers.round(gb, 2));
  }

  private static String text(JsonNode inputs, String key) {
    JsonNode v = inputs.get(key);
    return v != null && v.isTextual() && !v.asText().isBlank() ? v.asText().trim() : null;
  }

  /** A whole-number input within bounds; null when absent or a link to another node. */
  private static Integer whole(JsonNode inputs, String key, int min, int max, String where) {
    JsonNode v = inputs.get(key);
    if (v == null || v.isNull() || v.isArray()) {
      return null;
    }
    if (!v.isNumber()) {
      throw invalid(where + " " + key + " must be a number");
    }
    double d = v.asDouble();
    if (d != Math.rint(d) || d < min || d > max) {
      throw invalid(where + " " + key + " must be a whole number from " + min + " to " + max);
    }
    return (int) d;
  }

  private static String clip(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  private static ComputeException invalid(String message) {
    return ComputeException.badRequest("invalid_workflow", message);
  }
}
