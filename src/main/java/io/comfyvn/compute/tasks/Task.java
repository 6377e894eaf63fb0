package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One task in the registry, in ComfyVN's {@code /jobs} shape.
 *
 * @param id task id
 * @param kind what it is, e.g. {@code public.gpu.submit}
 * @param status where it is
 * @param progress 0..1
 * @param message a line for humans
 * @param meta free-form metadata ({@code dry_run}, {@code provider_slug}, {@code public_adapter},
 *     {@code seed}, {@code provider_job_id}, ...)
 * @param createdAt when it was registered (millisecond precision)
 * @param updatedAt when it last changed (millisecond precision)
 */
public record Task(
    String id,
    String kind,
    TaskStatus status,
    double progress,
    String message,
    ObjectNode meta,
    Instant createdAt,
    Instant updatedAt) {

  /** The provider slug from meta, or empty text. */
  public String providerSlug() {
    return meta.path("provider_slug").asText("");
  }

  /** The provider's own job id from meta, or empty text. */
  public String providerJobId() {
    return meta.path("provider_job_id").asText("");
  }
}
