package io.comfyvn.compute.advisor;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Locale-free number formatting and rounding, so answers are the same bytes on every machine
 * ({@code String.format} would follow the default locale's decimal separator).
 *
 * <p>Values are rounded half-up on their scaled long form ({@code value * 10^places}), with a 1e-7
 * allowance so a decimal such as 2.345, stored in binary as 2.34499999..., still rounds up as
 * written. That is exact IEEE arithmetic, so it is deterministic, and about ten times cheaper than
 * going through {@code BigDecimal.valueOf(double)} (the advisor formats a few hundred numbers per
 * request). Magnitudes beyond the long path fall back to {@link BigDecimal}.
 */
public final class Numbers {
  private static final long[] POW10 = {
    1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L
  };
  private static final double LIMIT = 1e9;

  private Numbers() {}

  /** Rounds half-up to {@code places} decimals (0 to 9). */
  public static double round(double value, int places) {
    if (!fast(value, places)) {
      return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP).doubleValue();
    }
    // A long below 2^53 divided by an exact power of ten is correctly rounded, as BigDecimal is.
    return scaled(value, places) / (double) POW10[places];
  }

  /** Money as ComfyVN shows it: {@code $0.23}. */
  public static String usd(double value) {
    return "$" + fixed(value, 2, false);
  }

  /** A price with enough places for per-second rates: {@code $0.00031}. */
  public static String rate(double value) {
    return "$" + fixed(value, 9, true);
  }

  /** A plain decimal with at most {@code places} places and no trailing zeros: {@code 2.5}. */
  public static String plain(double value, int places) {
    return fixed(value, places, true);
  }

  private static boolean fast(double value, int places) {
    return places >= 0 && places < POW10.length && Math.abs(value) < LIMIT;
  }

  private static long scaled(double value, int places) {
    long r = (long) Math.floor(Math.abs(value) * POW10[places] + 0.5 + 1e-7);
    return value < 0 ? -r : r;
  }

  private static String fixed(double value, int places, boolean strip) {
    if (!fast(value, places)) {
      BigDecimal d = BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP);
      if (strip) {
        d = d.stripTrailingZeros();
        return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
      }
      return d.toPlainString();
    }
    long r = scaled(value, places);
    StringBuilder sb = new StringBuilder(24);
    if (r < 0) {
      sb.append('-');
      r = -r;
    }
    sb.append(r / POW10[places]);
    if (places == 0) {
      return sb.toString();
    }
    String frac = Long.toString(r % POW10[places]);
    int end = places;
    StringBuilder digits = new StringBuilder(places);
    for (int i = frac.length(); i < places; i++) {
      digits.append('0');
    }
    digits.append(frac);
    if (strip) {
      while (end > 0 && digits.charAt(end - 1) == '0') {
        end--;
      }
    }
    if (end > 0) {
      sb.append('.').append(digits, 0, end);
    }
    return sb.toString();
  }
}
