package io.comfyvn.compute.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DownloadsTest {
  @ParameterizedTest
  @CsvSource({
    "out.png, out.png",
    "../../etc/passwd, passwd",
    "a\\..\\b.png, b.png",
    "dir/, artifact",
    "'..', artifact",
    "'', artifact"
  })
  void aNameFromTheServiceCannotLeaveTheFolder(String name, String safe) {
    assertThat(Downloads.safeName(name)).isEqualTo(safe);
  }
}
