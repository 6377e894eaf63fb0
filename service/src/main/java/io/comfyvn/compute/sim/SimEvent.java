package io.comfyvn.compute.sim;

/**
 * One step of a simulated handshake.
 *
 * @param tMs milliseconds since submit
 * @param status the task status word at this step ({@code queued}, {@code running}, {@code done},
 *     {@code error}, {@code canceled})
 * @param phase what happened: {@code submitted}, {@code cold_start}, {@code running}, {@code
 *     progress}, {@code retry}, {@code done}, {@code error}, {@code timeout}, {@code canceled}
 * @param providerStatus the provider's own status word (e.g. RunPod {@code IN_QUEUE})
 * @param progress 0..1
 * @param message a narration line fit to show in Studio
 */
public record SimEvent(
    long tMs,
    String status,
    String phase,
    String providerStatus,
    double progress,
    String message) {}
