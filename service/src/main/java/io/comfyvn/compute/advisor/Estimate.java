package io.comfyvn.compute.advisor;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A cost and time estimate of one job on one GPU offer.
 *
 * @param usd what the job is expected to cost, billing increments and minimum included
 * @param seconds how long until the result is expected: queue, cold start and run
 * @param gpu the GPU model priced
 * @param basis how the figure was reached, in words
 * @param priceAsOf the date of the price used
 * @param provider catalog provider id
 * @param sku the offer's SKU
 * @param billedSeconds the seconds the provider bills
 * @param usdPerSecond the price used
 * @param source where the price was read
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Estimate(
    double usd,
    double seconds,
    String gpu,
    String basis,
    String priceAsOf,
    String provider,
    String sku,
    long billedSeconds,
    double usdPerSecond,
    String source) {}
