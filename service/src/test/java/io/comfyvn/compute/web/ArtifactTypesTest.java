package io.comfyvn.compute.web;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a provider's output is served as: media as itself, anything that can run script as a
 * download.
 */
class ArtifactTypesTest {
  @ParameterizedTest
  @CsvSource(
      nullValues = "NULL",
      value = {
        "image/png, image/png",
        "IMAGE/WEBP, image/webp",
        "video/mp4, video/mp4",
        "audio/wav, audio/wav",
        "image/svg+xml, application/octet-stream",
        "text/html, application/octet-stream",
        "application/javascript, application/octet-stream",
        "'image/png; charset=x', application/octet-stream",
        "NULL, application/octet-stream"
      })
  void servedType(String mime, String served) {
    assertThat(ArtifactRoutes.servedType(mime)).isEqualTo(served);
  }
}
