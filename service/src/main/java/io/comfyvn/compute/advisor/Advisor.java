package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The compute advisor: given a workload, picks local, remote or cpu the way ComfyVN's advisor does
 * (override, prefer-remote, local fit, remote, cpu), and ranks every fitting offer of the catalog
 * by cost and time under the budget mode. Pure: no I/O, no clock; the adapters' live/dry-run state
 * comes in as an argument.
 */
public final class Advisor {
  /** Workload types that run without a GPU unless their pipeline says otherwise. */
  private static final Set<String> CPU_TYPES = Set.of("translation", "dialogue_authoring", "text");

  /** ComfyVN's default run time when a request states none and has no workflow. */
  static final double DEFAULT_MINUTES = 30;

  private final PricingCatalog catalog;
  private final WorkflowAnalyzer analyzer;
  private final TimingModel timings;
  private final AdvisorSettings.LocalGpu configuredLocal;

  public Advisor(
      PricingCatalog catalog,
      WorkflowAnalyzer analyzer,
      TimingModel timings,
      AdvisorSettings.LocalGpu configuredLocal) {
    this.catalog = catalog;
    this.analyzer = analyzer;
    this.timings = timings;
    this.configuredLocal = configuredLocal;
  }

  /**
   * The advice and the decision.
   *
   * @param advice ComfyVN's {@code advice} object
   * @param decision where the job would go and whether it would only be simulated
   */
  public record Result(Advice advice, Advice.Decision decision) {}

  /** One offer weighed. */
  private record Weighed(
      CatalogProvider provider,
      Offer offer,
      Estimate estimate,
      boolean eligible,
      boolean dryRun,
      List<String> modeReasons,
      double key,
      List<String> why) {}

  /**
   * Advises on a request.
   *
   * @param req the parsed request
   * @param adapters the current state of each public adapter, by slug
   */
  public Result advise(AdviceRequest req, Map<String, AdapterState> adapters) {
    WorkflowAnalysis wf = req.workflow() == null ? null : analyzer.analyze(req.workflow());
    String type = req.type() == null ? "generic" : req.type();
    double totalMb = req.assets().stream().mapToDouble(AdviceRequest.Asset::sizeMb).sum();
    double largestMb =
        req.assets().stream().mapToDouble(AdviceRequest.Asset::sizeMb).max().orElse(0);
    boolean requiresGpu =
        req.requiresGpu() != null
            ? req.requiresGpu()
            : wf != null || !CPU_TYPES.contains(type) || req.translationGpu();

    double inferred;
    String floorSource;
    if (wf != null) {
      inferred = wf.floorGb();
      floorSource = "workflow";
    } else {
      inferred = typeFloor(type, largestMb, req.translationGpu());
      floorSource = inferred > 0 ? "workload_type" : "none";
    }
    double minVram = Math.max(req.minVramGb() == null ? 0 : req.minVramGb(), inferred);

    double workUnits = wf != null ? wf.workUnits() : analyzer.defaultWorkUnits();
    String runtimeSource;
    double minutes;
    if (req.expectedMinutes() != null) {
      minutes = req.expectedMinutes();
      runtimeSource = "request";
    } else if (wf != null) {
      minutes = timings.expected("", workUnits, 1.0).runS() / 60;
      runtimeSource = "workflow";
    } else {
      minutes = DEFAULT_MINUTES;
      runtimeSource = "default";
    }
    boolean burst = minutes <= 20;
    boolean largeAssets = largestMb > 1024;
    boolean longRun = minutes > 120;
    boolean persistent = req.requiresPersistent() || req.persistOutputs();

    List<CatalogProvider> considered = consideredProviders(req);
    List<Weighed> weighed = new ArrayList<>();
    for (CatalogProvider p : considered) {
      for (Offer o : p.offers()) {
        weighed.add(
            weigh(
                p,
                o,
                req,
                adapters,
                wf,
                workUnits,
                minVram,
                type,
                burst,
                largeAssets,
                longRun,
                persistent));
      }
    }
    weighed.sort(RANKING);
    List<Weighed> eligible = weighed.stream().filter(Weighed::eligible).toList();
    Weighed best = eligible.isEmpty() ? null : eligible.get(0);

    AdvisorSettings.LocalGpu local = req.localGpu() != null ? req.localGpu() : configuredLocal;
    Advice.LocalCandidate localCandidate =
        local == null
            ? null
            : new Advice.LocalCandidate(
                "local",
                local.name(),
                "gpu",
                Math.round(local.vramGb() * 1024),
                local.vramGb(),
                req.localGpu() != null ? "request" : "config",
                local.vramGb() >= minVram);
    boolean localFits = localCandidate != null && localCandidate.fits();

    List<String> reasons = new ArrayList<>();
    reasons.add(
        requiresGpu
            ? "needs at least "
                + Numbers.plain(minVram, 1)
                + " GB VRAM ("
                + floorWords(wf, type, req)
                + ")"
            : "workload type " + type + " runs without a GPU");
    String choice;
    if (req.preferRemote() && best != null) {
      choice = "remote";
      reasons.add("remote preferred by the request");
    } else if (localFits) {
      choice = "local";
      reasons.add(
          "local GPU " + local.name() + " (" + Numbers.plain(local.vramGb(), 1) + " GB) fits");
    } else if (!requiresGpu) {
      choice = "cpu";
    } else if (best != null) {
      choice = "remote";
      if (localCandidate != null) {
        reasons.add(
            "local GPU "
                + local.name()
                + " ("
                + Numbers.plain(local.vramGb(), 1)
                + " GB) is too small");
      }
    } else {
      choice = "cpu";
      reasons.add(nothingFits(weighed, req, considered));
    }
    if (best != null && choice.equals("remote")) {
      reasons.add(
          "best remote: "
              + best.provider().id()
              + " "
              + best.offer().sku()
              + " ("
              + best.offer().gpu()
              + ", "
              + Numbers.plain(best.offer().vramGb(), 1)
              + " GB) "
              + Numbers.usd(best.estimate().usd())
              + " in about "
              + Numbers.plain(best.estimate().seconds(), 0)
              + " s"
              + (best.dryRun()
                  ? " (public adapter in dry-run: the job would only be simulated)"
                  : ""));
    }
    if (req.budgetLimitUsd() != null) {
      reasons.add(
          "budget " + Numbers.usd(req.budgetLimitUsd()) + " (" + req.budgetMode().wire() + ")");
    }
    String override = null;
    String fallback = null;
    if (req.hardwareOverride()) {
      fallback = choice;
      choice = "cpu";
      override = "cpu";
      reasons.add(0, "hardware override: cpu forced (would have been " + fallback + ")");
    }

    Advice.RemoteCandidate remote =
        best == null ? null : remoteCandidate(best, burst, largeAssets, longRun, persistent);
    String estimatedCost =
        switch (choice) {
          case "remote" -> Numbers.usd(best.estimate().usd());
          case "local" -> Numbers.usd(0);
          default -> null;
        };
    Advice.Decision decision = decision(choice, best, local);
    String recommended =
        switch (choice) {
          case "remote" -> best.provider().id();
          case "local" -> "local";
          default -> "cpu";
        };

    List<Advice.Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < weighed.size() && i < req.maxCandidates(); i++) {
      Weighed w = weighed.get(i);
      candidates.add(
          new Advice.Candidate(
              i + 1,
              w.provider().id(),
              w.provider().name(),
              w.provider().kind(),
              w.provider().adapter(),
              w.offer().sku(),
              w.offer().gpu(),
              w.offer().vramGb(),
              w.eligible(),
              w.dryRun(),
              w.estimate().usd(),
              Numbers.usd(w.estimate().usd()),
              w.estimate().seconds(),
              score(w.key()),
              w.why(),
              w.estimate()));
    }
    String oldest =
        weighed.stream()
            .map(w -> w.offer().priceAsOf())
            .filter(d -> d.matches("\\d{4}-\\d{2}-\\d{2}"))
            .min(Comparator.naturalOrder())
            .orElse(null);
    Advice.Analysis analysis =
        new Advice.Analysis(
            type,
            req.assets(),
            Numbers.round(totalMb, 3),
            Numbers.round(largestMb, 3),
            requiresGpu,
            persistent,
            Numbers.round(minutes, 3),
            runtimeSource,
            burst,
            Numbers.round(minutes / 60, 4),
            minVram,
            inferred,
            floorSource,
            req.cachedWorkflows(),
            req.uncachedWorkflows(),
            req.cachedWorkflows() > 0,
            req.translationGpu(),
            req.budgetMode().costSensitivity(),
            req.budgetLimitUsd(),
            req.budgetMode().wire(),
            best == null ? null : best.provider().id(),
            best == null ? null : score(best.key()),
            wf);
    Advice advice =
        new Advice(
            req.workload(),
            localCandidate,
            remote,
            analysis,
            String.join("; ", reasons),
            choice,
            override,
            fallback,
            estimatedCost,
            new Advice.JobSummary(
                recommended,
                choice,
                estimatedCost,
                remote == null ? null : remote.policyHint(),
                minVram,
                Numbers.round(totalMb, 3)),
            candidates,
            new Advice.CatalogSummary(
                catalog.providers().size(),
                catalog.offerCount(),
                weighed.size(),
                eligible.size(),
                oldest));
    return new Result(advice, decision);
  }

  /** Eligible first; then weighted cost, ComfyVN priority, id and SKU, so ties never flip. */
  private static final Comparator<Weighed> RANKING =
      Comparator.comparing((Weighed w) -> !w.eligible())
          .thenComparingDouble(Weighed::key)
          .thenComparingInt(w -> w.provider().priority())
          .thenComparing(w -> w.provider().id())
          .thenComparing(w -> w.offer().sku());

  private List<CatalogProvider> consideredProviders(AdviceRequest req) {
    if (req.provider() != null) {
      return List.of(resolve(req.provider()));
    }
    if (!req.providers().isEmpty()) {
      Set<CatalogProvider> out = new LinkedHashSet<>();
      req.providers().forEach(n -> out.add(resolve(n)));
      return List.copyOf(out);
    }
    return catalog.providers().stream()
        .filter(p -> p.adviseByDefault() && !p.offers().isEmpty())
        .toList();
  }

  private CatalogProvider resolve(String name) {
    return catalog
        .find(name)
        .filter(p -> !p.offers().isEmpty())
        .orElseThrow(
            () ->
                ComputeException.notFound(
                    "unknown_provider",
                    "provider '"
                        + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
                        + "' is not in the pricing catalog; known: "
                        + String.join(
                            ", ",
                            catalog.providers().stream()
                                .filter(p -> !p.offers().isEmpty())
                                .map(CatalogProvider::id)
                                .sorted()
                                .toList())));
  }

  private Weighed weigh(
      CatalogProvider p,
      Offer o,
      AdviceRequest req,
      Map<String, AdapterState> adapters,
      WorkflowAnalysis wf,
      double workUnits,
      double minVram,
      String type,
      boolean burst,
      boolean largeAssets,
      boolean longRun,
      boolean persistent) {
    List<String> why = new ArrayList<>();
    boolean eligible = true;
    if (o.vramGb() < minVram) {
      eligible = false;
      why.add(
          "too small: "
              + Numbers.plain(o.vramGb(), 1)
              + " GB < "
              + Numbers.plain(minVram, 1)
              + " GB needed");
    }
    Timing t = timings.expected(p.id(), workUnits, o.relativeSpeed());
    if (req.expectedMinutes() != null || wf == null) {
      double runS = (req.expectedMinutes() != null ? req.expectedMinutes() : DEFAULT_MINUTES) * 60;
      t = new Timing(t.queueS(), t.coldStartProbability(), t.coldStartS(), runS);
    }
    Estimate est = CostModel.estimate(p, o, t);
    if (req.budgetLimitUsd() != null && est.usd() > req.budgetLimitUsd()) {
      eligible = false;
      why.add("over budget: " + Numbers.usd(est.usd()) + " > " + Numbers.usd(req.budgetLimitUsd()));
    }
    double key = est.usd() + req.budgetMode().usdPerHourOfWaiting() * est.seconds() / 3600;
    if (p.preferredWorkloads().contains(type)) {
      key *= 0.9;
      why.add("tuned for " + type);
    }
    if (persistent && !p.supports("supports_persistent_storage")) {
      key *= 1.5;
      why.add("no persistent storage");
    }
    if (largeAssets && !p.supports("supports_large_assets")) {
      key *= 1.5;
      why.add("not suited to assets over 1 GB");
    }
    if (longRun && !p.supports("supports_long_running")) {
      key *= 1.5;
      why.add("not suited to runs over 2 hours");
    }
    if (burst && p.supports("supports_short_burst")) {
      key *= 0.95;
      why.add("good for short bursts");
    }
    boolean dryRun = false;
    List<String> modeReasons = List.of();
    if (p.publicAdapter() != null) {
      AdapterState s = adapters.get(p.publicAdapter());
      dryRun = s == null || !s.live();
      modeReasons =
          s == null ? List.of("adapter " + p.publicAdapter() + " is not loaded") : s.reasons();
      if (dryRun) {
        why.add("public adapter in dry-run: would only be simulated");
      }
    }
    why.add(
        Numbers.usd(est.usd())
            + " for "
            + est.billedSeconds()
            + " billed s, about "
            + Numbers.plain(est.seconds(), 0)
            + " s to result");
    return new Weighed(p, o, est, eligible, dryRun, modeReasons, key, why);
  }

  private static double score(double key) {
    return Numbers.round(10 / (1 + key), 4);
  }

  /** ComfyVN's floors by workload type (python reference §10.1), used when there is no workflow. */
  static double typeFloor(String type, double largestMb, boolean translationGpu) {
    double floor =
        switch (type) {
          case "cg_batch", "cg", "render", "animation" -> largestMb > 1024 ? 24 : 16;
          case "voice_synthesis", "tts" -> 12;
          case "translation" -> largestMb > 512 ? 12 : 8;
          default -> 0;
        };
    if (type.equals("translation") && translationGpu) {
      floor = Math.max(floor, 12);
    }
    return floor;
  }

  private static String floorWords(WorkflowAnalysis wf, String type, AdviceRequest req) {
    if (wf != null) {
      String res = wf.width() == null ? "" : " " + wf.width() + "x" + wf.height();
      return "workflow "
          + wf.family()
          + res
          + " batch "
          + wf.batchSize()
          + (wf.frames() > 1 ? " x " + wf.frames() + " frames" : "")
          + " -> "
          + wf.floorGb()
          + " GB"
          + (req.minVramGb() != null
              ? ", request states " + Numbers.plain(req.minVramGb(), 1) + " GB"
              : "");
    }
    return "workload type "
        + type
        + (req.minVramGb() != null
            ? ", request states " + Numbers.plain(req.minVramGb(), 1) + " GB"
            : "");
  }

  private static String nothingFits(
      List<Weighed> weighed, AdviceRequest req, List<CatalogProvider> considered) {
    if (weighed.isEmpty()) {
      return "no remote offer to consider";
    }
    long small = weighed.stream().filter(w -> w.why().get(0).startsWith("too small")).count();
    List<Weighed> bigEnough =
        weighed.stream().filter(w -> !w.why().get(0).startsWith("too small")).toList();
    StringBuilder sb =
        new StringBuilder("no remote offer fits: ")
            .append(small)
            .append(" of ")
            .append(weighed.size())
            .append(" offers from ")
            .append(considered.size())
            .append(" provider(s) have too little VRAM");
    if (!bigEnough.isEmpty() && req.budgetLimitUsd() != null) {
      Weighed cheapest =
          bigEnough.stream().min(Comparator.comparingDouble(w -> w.estimate().usd())).get();
      sb.append(", ")
          .append(bigEnough.size())
          .append(" are over the ")
          .append(Numbers.usd(req.budgetLimitUsd()))
          .append(" budget (cheapest that fits: ")
          .append(cheapest.provider().id())
          .append(' ')
          .append(cheapest.offer().sku())
          .append(" at ")
          .append(Numbers.usd(cheapest.estimate().usd()))
          .append(')');
    }
    return sb.toString();
  }

  private static Advice.RemoteCandidate remoteCandidate(
      Weighed w, boolean burst, boolean largeAssets, boolean longRun, boolean persistent) {
    CatalogProvider p = w.provider();
    ObjectNode meta = p.metadata().deepCopy();
    meta.put("gpu", w.offer().gpu());
    meta.put("vram_gb", w.offer().vramGb());
    meta.put("kind", p.kind());
    meta.set(
        "auth_fields",
        meta.arrayNode().addAll(p.authFields().stream().map(meta::textNode).toList()));
    meta.set(
        "preferred_workloads",
        meta.arrayNode().addAll(p.preferredWorkloads().stream().map(meta::textNode).toList()));
    String hint;
    if (persistent && p.supports("supports_persistent_storage")) {
      hint = "persistent_storage";
    } else if (largeAssets && p.supports("supports_large_assets")) {
      hint = "large_assets";
    } else if (longRun && p.supports("supports_long_running")) {
      hint = "long_running";
    } else if (burst && p.supports("supports_short_burst")) {
      hint = "short_burst";
    } else {
      hint = "general";
    }
    return new Advice.RemoteCandidate(
        p.id(),
        p.name(),
        p.service(),
        p.baseUrl(),
        meta,
        new Advice.Cost(
            w.offer().usdPerHour(), Numbers.round(w.offer().billingIncrementS() / 60.0, 4)),
        w.estimate().usd(),
        Numbers.usd(w.estimate().usd()),
        hint,
        score(w.key()),
        p.adapter(),
        w.dryRun(),
        w.offer(),
        w.estimate());
  }

  private static Advice.Decision decision(
      String choice, Weighed best, AdvisorSettings.LocalGpu local) {
    return switch (choice) {
      case "remote" -> {
        CatalogProvider p = best.provider();
        String mode = p.publicAdapter() == null ? "external" : best.dryRun() ? "dry_run" : "live";
        List<String> modeReasons = best.dryRun() ? best.modeReasons() : null;
        yield new Advice.Decision(
            choice,
            p.id(),
            best.offer().sku(),
            best.offer().gpu(),
            p.adapter(),
            best.dryRun(),
            mode,
            modeReasons);
      }
      // the local GPU is a ComfyUI on this machine: the comfyui adapter runs it
      case "local" ->
          new Advice.Decision(
              choice, "local", null, local.name(), "public:comfyui", false, "local", null);
      default -> new Advice.Decision(choice, "cpu", null, null, "cpu", false, "cpu", null);
    };
  }
}
