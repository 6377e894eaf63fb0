package io.comfyvn.compute.advisor;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Locale-free number formatting and rounding, so answers are the same bytes on every machine
 * ({@code String.format} would follow the default locale's decimal separator).
 */
public final class Numbers {
  private Numbers() {}

  /** Rounds half-up to {@code places} decimals. */
  public static double round(double value, int places) {
    return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP).doubleValue();
  }

  /** Money as ComfyVN shows it: {@code $0.23}. */
  public static String usd(double value) {
    return "$" + BigDecimal.valueOf(value).setScale(2, RoundingMode.HALF_UP).toPlainString();
  }

  /** A price with enough places for per-second rates: {@code $0.00031}. */
  public static String rate(double value) {
    return "$" + BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
  }

  /** A plain decimal with at most {@code places} places and no trailing zeros: {@code 2.5}. */
  public static String plain(double value, int places) {
    BigDecimal d =
        BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP).stripTrailingZeros();
    return d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString();
  }
}
