package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.ModeDecision;

/**
 * A parsed submit request.
 *
 * @param provider the provider name as given (slug or alias)
 * @param job the job payload ({@code job} or {@code payload})
 * @param config per-request settings ({@code config} or {@code cfg}); secrets are never read here
 * @param seed the request's {@code seed} node, or null
 * @param requested what mode the request asked for
 * @param idempotencyKey the {@code Idempotency-Key} header or {@code job.id}, or null
 */
public record GpuRequest(
    String provider,
    ObjectNode job,
    ObjectNode config,
    JsonNode seed,
    ModeDecision.Requested requested,
    String idempotencyKey) {}
