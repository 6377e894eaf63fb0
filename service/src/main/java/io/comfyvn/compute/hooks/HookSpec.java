package io.comfyvn.compute.hooks;

import java.util.List;

/**
 * One modder hook: its name, what it means, its payload fields and where it is published.
 *
 * @param name e.g. {@code on_gpu_job_submitted}
 * @param description one line
 * @param payload the fields of its {@code data}
 * @param wsTopic the WebSocket topic, {@code modder.<name>}
 * @param restEvent the name webhooks are registered for (the same as {@code name})
 */
public record HookSpec(
    String name, String description, List<String> payload, String wsTopic, String restEvent) {
  public HookSpec {
    payload = List.copyOf(payload);
  }

  static HookSpec of(String name, String description, String... payload) {
    return new HookSpec(name, description, List.of(payload), "modder." + name, name);
  }

  /** The GPU hooks this service emits. */
  public static final List<HookSpec> ALL =
      List.of(
          of(
              "on_gpu_job_submitted",
              "A public GPU job was accepted and recorded (dry-run, sim or live).",
              "task_id",
              "provider",
              "mode",
              "dry_run",
              "seed",
              "provider_job_id",
              "status"),
          of(
              "on_gpu_job_updated",
              "A GPU job changed status or progress (persisted before this is sent).",
              "task_id",
              "provider",
              "mode",
              "status",
              "progress",
              "provider_status",
              "message"),
          of(
              "on_gpu_job_finished",
              "A GPU job reached done, error, canceled or lost.",
              "task_id",
              "provider",
              "mode",
              "status",
              "message",
              "artifacts"),
          of(
              "on_asset_saved",
              "A job output was stored with its provenance sidecar.",
              "task_id",
              "provider",
              "path",
              "sidecar",
              "sha256",
              "bytes",
              "mime"));

  /** The spec of a name, if it is one. */
  public static java.util.Optional<HookSpec> find(String name) {
    return ALL.stream().filter(h -> h.name().equals(name)).findFirst();
  }
}
