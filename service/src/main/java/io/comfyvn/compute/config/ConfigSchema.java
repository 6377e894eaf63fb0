package io.comfyvn.compute.config;

import io.comfyvn.compute.config.Shape.Decimal;
import io.comfyvn.compute.config.Shape.Either;
import io.comfyvn.compute.config.Shape.Flag;
import io.comfyvn.compute.config.Shape.Free;
import io.comfyvn.compute.config.Shape.ListOf;
import io.comfyvn.compute.config.Shape.Nullable;
import io.comfyvn.compute.config.Shape.Section;
import io.comfyvn.compute.config.Shape.Text;
import io.comfyvn.compute.config.Shape.Whole;
import io.comfyvn.compute.config.Shape.Words;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one schema of {@code config/comfyvn.json}: every key the service reads, its type and the
 * values allowed. {@link ConfigValidator} checks the shipped defaults and the home's file against
 * it; {@code docs/config/comfyvn.md} lists the same keys (a test holds the two together, and that
 * every provider's documented settings are here).
 */
public final class ConfigSchema {
  private ConfigSchema() {}

  /** The words {@code providers_gpu.<slug>.mode} accepts. */
  public static final List<String> MODES = List.of("dry_run", "live");

  private static final Text TEXT = new Text();
  private static final Whole MS = new Whole(0, Long.MAX_VALUE);
  private static final Whole POSITIVE_MS = new Whole(1, Long.MAX_VALUE);

  /** The whole file. */
  public static final Section CONFIG = config();

  private static Section config() {
    Map<String, Shape> top = new LinkedHashMap<>();
    top.put(
        "features",
        Section.of(
            ordered(
                AppConfig.PUBLIC_GPU_FLAG,
                new Flag(),
                // the registry's: false seeds config/compute_providers.json with `local` only
                "enable_compute",
                new Flag())));
    top.put("server", server());
    top.put("providers_gpu", Section.of(providers()));
    top.put(
        "tasks",
        Section.of(
            Map.of(
                "retention",
                Section.of(
                    ordered(
                        "max_age_hours",
                        Decimal.above(0, 1_000_000),
                        "max_count",
                        new Whole(0, Integer.MAX_VALUE))))));
    top.put("store", Section.of(Map.of("url", new Nullable(TEXT))));
    top.put(
        "cluster",
        Section.of(
            ordered(
                "instance_id",
                new Nullable(TEXT),
                "lease_ms",
                POSITIVE_MS,
                "heartbeat_ms",
                POSITIVE_MS)));
    top.put("artifacts", Section.of(Map.of("dir", new Nullable(TEXT))));
    top.put("egress", Section.of(Map.of("allowed_base_urls", new ListOf(TEXT))));
    top.put("limits", limits());
    top.put(
        "logs",
        Section.of(
            Map.of(
                "providers_gpu",
                Section.of(
                    ordered(
                        "max_file_size",
                        new Either(TEXT, new Whole(1, Long.MAX_VALUE)),
                        "max_files",
                        new Whole(2, 21))))));
    top.put("advisor", advisor());
    top.put("webhooks", Section.of(Map.of("public_url", new Nullable(TEXT))));
    top.put("tracker", tracker());
    top.put(
        "providers",
        new Free("the compute provider registry (seeds config/compute_providers.json)"));
    return Section.of(top);
  }

  private static Section server() {
    return Section.of(
        ordered(
            "allowed_hosts", new ListOf(TEXT),
            "allowed_origins", new ListOf(TEXT),
            "idle_timeout_ms", new Whole(1_000, 600_000),
            "body_timeout_ms", new Whole(100, 600_000)));
  }

  /** The keys every provider section has, then each provider's own (its provider.json hints). */
  private static Map<String, Shape> providers() {
    Map<String, Shape> out = new LinkedHashMap<>();
    out.put("runpod", provider("endpoint_id", TEXT, "region", TEXT));
    out.put(
        "huggingface",
        provider(
            "namespace", TEXT,
            "endpoint", TEXT,
            "endpoint_url", TEXT,
            "jobs_base_url", TEXT,
            "region", TEXT,
            "flavor", TEXT,
            "scale_up_timeout_s", new Either(new Whole(1, 86_400), TEXT)));
    out.put(
        "replicate",
        provider(
            "model",
            TEXT,
            "version",
            TEXT,
            "deployment",
            TEXT,
            "webhook_secret",
            TEXT,
            // cog-comfyui's re-encoding of png/jpg outputs; its own range for the quality
            "output_format",
            TEXT,
            "output_quality",
            new Whole(0, 100)));
    out.put("modal", provider("function", TEXT, "region", TEXT));
    out.put(
        "comfyui",
        provider(
            "client_id",
            TEXT,
            "checkpoint",
            TEXT,
            "negative_prompt",
            TEXT,
            "region",
            TEXT,
            // false: read the box through /history and /queue only (else learned from it)
            "jobs_api",
            new Flag()));
    out.put("comfy_cloud", provider());
    return out;
  }

  private static Section provider(Object... own) {
    Map<String, Shape> keys = new LinkedHashMap<>();
    keys.put("mode", new Words(MODES));
    keys.put("base_url", TEXT);
    keys.put("hardware", TEXT);
    keys.putAll(ordered(own));
    keys.put("resilience", resilience());
    return Section.of(keys);
  }

  private static Section resilience() {
    Section limit = Section.of(ordered("permits", MS, "period_ms", MS));
    return Section.of(
        ordered(
            "rate_limits",
            Section.of(ordered("create", limit, "read", limit, "cancel", limit)),
            "limiter_max_wait_ms",
            MS,
            "retry",
            Section.of(
                ordered(
                    "max_attempts", new Whole(1, 100),
                    "base_delay_ms", MS,
                    "max_delay_ms", MS,
                    "max_retry_after_ms", MS)),
            "timeouts",
            Section.of(
                ordered(
                    "create_ms", POSITIVE_MS, "read_ms", POSITIVE_MS, "cancel_ms", POSITIVE_MS)),
            "circuit_breaker",
            Section.of(
                ordered(
                    "failure_rate_percent", new Decimal(1, 100),
                    "window", new Whole(1, 10_000),
                    "open_ms", MS))));
  }

  private static Section limits() {
    Map<String, Shape> limit =
        ordered(
            "max_live_submits_per_minute", new Nullable(new Whole(0, Integer.MAX_VALUE)),
            "max_estimated_usd_per_day", new Nullable(new Decimal(0, 1_000_000_000)));
    Map<String, Shape> keys = new LinkedHashMap<>(limit);
    // keyed by provider name (slug or alias): the spend guard's reader resolves and checks them
    keys.put("providers", new Section(Map.of(), Section.of(limit)));
    return Section.of(keys);
  }

  private static Section advisor() {
    Decimal usd = new Decimal(0, 1000);
    Shape price =
        new Either(
            usd,
            Section.of(
                ordered(
                    "usd_per_hour", usd,
                    "usd_per_second", new Decimal(0, 1000.0 / 3600),
                    "price_as_of", TEXT)));
    Section box =
        Section.of(
            ordered(
                "id", TEXT,
                "name", TEXT,
                "gpu", TEXT,
                "vram_gb", new Decimal(0.5, 1024),
                "usd_per_hour", usd,
                "base_url", TEXT,
                "relative_speed", new Decimal(0.01, 20)));
    return Section.of(
        ordered(
            // keyed "provider/sku"
            "price_overrides", new Section(Map.of(), price),
            "self_hosted", new ListOf(box),
            "local_gpu",
                new Nullable(Section.of(ordered("name", TEXT, "vram_gb", new Decimal(0, 1024)))),
            "sim", Section.of(Map.of("time_scale", new Decimal(0, 100)))));
  }

  private static Section tracker() {
    return Section.of(
        ordered(
            "initial_poll_ms", POSITIVE_MS,
            "max_poll_ms", POSITIVE_MS,
            "backoff", new Decimal(1, 100),
            "workers", new Whole(1, 1024),
            "reconcile_after_ms", POSITIVE_MS,
            "reconcile_after_restart_ms", POSITIVE_MS,
            // 0 believes "no such job" at once: a create still on the wire may then be missed
            "reconcile_settle_ms", MS));
  }

  /** A map in the order given: key, shape, key, shape... */
  private static Map<String, Shape> ordered(Object... pairs) {
    Map<String, Shape> out = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      out.put((String) pairs[i], (Shape) pairs[i + 1]);
    }
    return out;
  }
}
