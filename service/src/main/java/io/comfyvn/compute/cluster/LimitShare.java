package io.comfyvn.compute.cluster;

/**
 * This instance's part of every provider's documented limits when {@code instances} live instances
 * share them: {@code limit / instances} once {@code settled}. An instance that has just joined is
 * not settled until every other live instance has counted it (their heartbeats after its own first
 * one); until then the others may still be using the shares of the smaller count, which add up to
 * the whole limit, so the joining instance keeps to the smallest share (one call per window per
 * operation) instead of adding a share on top of them.
 *
 * @param instances live instances, this one included (at least 1)
 * @param settled whether every other live instance counts this one
 */
public record LimitShare(int instances, boolean settled) {
  /** The divisor meaning "the smallest share": a limiter gives it one call per window. */
  public static final int SMALLEST = Integer.MAX_VALUE;

  public LimitShare {
    if (instances < 1) {
      throw new IllegalArgumentException("at least this instance is live");
    }
  }

  /** What to divide each documented limit by: the instance count, or {@link #SMALLEST}. */
  public int divisor() {
    return settled ? instances : SMALLEST;
  }
}
