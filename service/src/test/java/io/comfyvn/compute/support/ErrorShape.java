package io.comfyvn.compute.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;

/** The one error shape every route answers with: a 4xx and {@code {ok:false, code, message}}. */
public final class ErrorShape {
  private ErrorShape() {}

  /** Asserts a client error in the service's error shape, with no stack trace or class names. */
  public static void assertClientError(Server.Reply r) {
    assertThat(r.status()).as(r.body()).isBetween(400, 499);
    JsonNode j = r.json();
    assertThat(j).as(r.body()).isNotNull();
    assertThat(j.get("ok").asBoolean()).isFalse();
    assertThat(j.get("code").isTextual()).isTrue();
    assertThat(j.get("message").isTextual()).isTrue();
    assertThat(r.body()).doesNotContain("Exception", "\tat ", "io.comfyvn", "java.");
  }
}
