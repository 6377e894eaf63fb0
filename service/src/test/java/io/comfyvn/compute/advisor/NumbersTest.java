package io.comfyvn.compute.advisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class NumbersTest {

  @Test
  void formattingIgnoresTheDefaultLocale() {
    Locale before = Locale.getDefault();
    try {
      Locale.setDefault(Locale.GERMANY);
      assertThat(Numbers.usd(0.225)).isEqualTo("$0.23");
      assertThat(Numbers.usd(12)).isEqualTo("$12.00");
      assertThat(Numbers.rate(0.00031)).isEqualTo("$0.00031");
      assertThat(Numbers.plain(2.50, 3)).isEqualTo("2.5");
      assertThat(Numbers.plain(1200, 1)).isEqualTo("1200");
    } finally {
      Locale.setDefault(before);
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({
    "0, 2", "0.005, 2", "0.004999, 2", "2.345, 2", "-2.345, 2", "1234.5678, 3",
        "0.000138888888889, 9",
    "0.00031, 6", "99999999.99, 1", "0.1, 0", "2.5, 0", "7, 4", "123456789012.5, 1", "1e-12, 9"
  })
  void agreesWithBigDecimalHalfUp(double value, int places) {
    java.math.BigDecimal expected =
        java.math.BigDecimal.valueOf(value).setScale(places, java.math.RoundingMode.HALF_UP);
    assertThat(Numbers.round(value, places)).isEqualTo(expected.doubleValue());
    String plain = expected.stripTrailingZeros().toPlainString();
    assertThat(Numbers.plain(value, places)).isEqualTo(plain.equals("-0") ? "0" : plain);
  }

  @Test
  void roundsHalfUp() {
    assertThat(Numbers.round(0.0000125, 6)).isEqualTo(0.000013);
    assertThat(Numbers.round(2.345, 2)).isEqualTo(2.35);
  }
}
