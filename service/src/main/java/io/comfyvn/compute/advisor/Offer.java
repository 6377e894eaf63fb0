package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One GPU offer of the pricing catalog: what a provider sells, for how much, how it bills, and
 * where the price came from.
 *
 * @param provider catalog provider id
 * @param sku the provider's own name for the hardware (what {@code providers_gpu.<slug>.hardware}
 *     names), e.g. {@code ADA_24}, {@code gpu-l40s}, {@code nvidia-l4}, {@code L40S}
 * @param gpu GPU model, e.g. {@code RTX 4090}
 * @param vramGb memory of one GPU
 * @param usdPerSecond price per billed second
 * @param usdPerHour the same price per hour (as price pages state it)
 * @param billingIncrementS billed time is rounded up to a multiple of this
 * @param billingMinimumS the least billed time of one job
 * @param regions where it is offered (empty: the provider does not let you pick)
 * @param priceAsOf the date of the price (ISO date), or {@code config} for user-supplied prices
 * @param source where the price was read
 * @param note a caveat, when there is one
 * @param relativeSpeed diffusion throughput relative to the reference GPU ({@link GpuSpeeds})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Offer(
    String provider,
    String sku,
    String gpu,
    double vramGb,
    double usdPerSecond,
    double usdPerHour,
    int billingIncrementS,
    int billingMinimumS,
    List<String> regions,
    String priceAsOf,
    String source,
    String note,
    double relativeSpeed) {

  public Offer {
    regions = regions == null ? List.of() : List.copyOf(regions);
  }

  /** This offer with its provider id and GPU speed (rows in the data file state neither). */
  Offer with(String id, double speed) {
    return new Offer(
        id,
        sku,
        gpu,
        vramGb,
        usdPerSecond,
        usdPerHour,
        billingIncrementS,
        billingMinimumS,
        regions,
        priceAsOf,
        source,
        note,
        speed);
  }
}
