package io.comfyvn.compute.limits;

/** Dollars as integer micro-dollars: sums are exact and the same in Java, SQLite and PostgreSQL. */
final class Money {
  private Money() {}

  /** A configured cap: the nearest micro-dollar. */
  static long micros(double usd) {
    return Math.round(usd * 1_000_000);
  }

  /**
   * An estimate to reserve: rounded up, so many small jobs never add up to more than was reserved.
   */
  static long reserve(double usd) {
    return (long) Math.ceil(usd * 1_000_000 - 1e-6);
  }

  static double usd(long micros) {
    return micros / 1_000_000.0;
  }
}
