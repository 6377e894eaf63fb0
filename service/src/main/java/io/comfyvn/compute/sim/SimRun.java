package io.comfyvn.compute.sim;

import java.util.List;

/**
 * The whole simulated handshake of one job.
 *
 * @param provider provider slug
 * @param seed the seed
 * @param outcome {@code done}, {@code error}, {@code timeout} or {@code canceled}
 * @param coldStart whether the job met a cold worker
 * @param retries how many failed attempts were retried
 * @param durationMs submit to final status
 * @param events the steps, in time order
 * @param transcript one narration line per step, {@code [mm:ss.t] message}
 * @param artifacts the outputs a done job would have produced
 * @param cost what the run would have been billed
 */
public record SimRun(
    String provider,
    long seed,
    String outcome,
    boolean coldStart,
    int retries,
    long durationMs,
    List<SimEvent> events,
    List<String> transcript,
    List<Artifact> artifacts,
    Cost cost) {

  public SimRun {
    events = List.copyOf(events);
    transcript = List.copyOf(transcript);
    artifacts = List.copyOf(artifacts);
  }

  /**
   * A simulated output (no bytes exist).
   *
   * @param name file name
   * @param mime media type
   */
  public record Artifact(String name, String mime) {}

  /**
   * The simulated bill.
   *
   * @param usd what it would cost
   * @param billedSeconds seconds billed (increments and minimum applied)
   * @param activeMs billable milliseconds before rounding (attempts, plus cold start where billed)
   * @param usdPerSecond the price used
   * @param gpu the GPU priced
   * @param sku the offer's SKU
   * @param priceAsOf the date of the price
   * @param source where the price was read
   */
  public record Cost(
      double usd,
      long billedSeconds,
      long activeMs,
      double usdPerSecond,
      String gpu,
      String sku,
      String priceAsOf,
      String source) {}
}
