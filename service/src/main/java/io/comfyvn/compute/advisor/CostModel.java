package io.comfyvn.compute.advisor;

/**
 * Billing arithmetic shared by the advisor, submit estimates and Sim mode: billed time is the
 * active time rounded up to the billing increment, never less than the billing minimum, and
 * includes cold start or boot time only where the provider bills it.
 */
public final class CostModel {
  private CostModel() {}

  /** The seconds billed for {@code activeSeconds} of billable time on an offer. */
  public static long billedSeconds(double activeSeconds, Offer offer) {
    double active = Math.max(0, activeSeconds);
    long increment = Math.max(1, offer.billingIncrementS());
    // The epsilon keeps 60.0000000001 (float noise) from billing a second minute.
    long units = (long) Math.ceil(active / increment - 1e-9);
    return Math.max(units * increment, offer.billingMinimumS());
  }

  /** The cost of billed seconds, rounded to a millionth of a dollar. */
  public static double usd(long billedSeconds, Offer offer) {
    return Numbers.round(billedSeconds * offer.usdPerSecond(), 6);
  }

  /**
   * The expected cost and time of a job.
   *
   * @param provider the provider (whether it bills startup, its boot time)
   * @param offer the GPU offer
   * @param timing expected times of the job there
   */
  public static Estimate estimate(CatalogProvider provider, Offer offer, Timing timing) {
    double startup = provider.startupS() + timing.expectedColdStartS();
    double billable = timing.runS() + (provider.billsStartup() ? startup : 0);
    long billed = billedSeconds(billable, offer);
    double seconds = Numbers.round(timing.queueS() + startup + timing.runS(), 1);
    StringBuilder basis = new StringBuilder();
    basis
        .append(provider.id())
        .append(' ')
        .append(offer.sku())
        .append(" (")
        .append(offer.gpu())
        .append(", ")
        .append(Numbers.plain(offer.vramGb(), 1))
        .append(" GB, speed x")
        .append(Numbers.plain(offer.relativeSpeed(), 2))
        .append(") at ")
        .append(Numbers.rate(Numbers.round(offer.usdPerSecond(), 9)))
        .append("/s: ")
        .append(Numbers.plain(timing.runS(), 1))
        .append(" s run");
    if (startup > 0) {
      basis
          .append(provider.billsStartup() ? " + " : ", plus unbilled ")
          .append(Numbers.plain(startup, 1))
          .append(" s expected cold start/boot");
    }
    basis
        .append(", billed in ")
        .append(offer.billingIncrementS())
        .append(" s increments (minimum ")
        .append(offer.billingMinimumS())
        .append(" s) = ")
        .append(billed)
        .append(" s");
    return new Estimate(
        usd(billed, offer),
        seconds,
        offer.gpu(),
        basis.toString(),
        offer.priceAsOf(),
        provider.id(),
        offer.sku(),
        billed,
        offer.usdPerSecond(),
        offer.source());
  }
}
