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

  @Test
  void roundsHalfUp() {
    assertThat(Numbers.round(0.0000125, 6)).isEqualTo(0.000013);
    assertThat(Numbers.round(2.345, 2)).isEqualTo(2.35);
  }
}
