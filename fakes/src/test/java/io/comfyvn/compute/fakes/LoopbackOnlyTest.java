package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoopbackOnlyTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://127.0.0.1:8080/hook",
        "http://localhost/x",
        "https://127.9.9.9/",
        "http://[::1]:9/x"
      })
  void allowsLoopback(String url) {
    assertThat(WebhookSender.allowed(url)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "http://example.com/hook",
        "http://10.0.0.1/",
        "http://127.0.0.1.example.com/",
        "ftp://127.0.0.1/",
        "http://localhost.evil.test/",
        "not a url",
        "http://[::2]/"
      })
  void refusesEverythingElse(String url) {
    assertThat(WebhookSender.allowed(url)).isFalse();
  }
}
