package io.comfyvn.compute.web.boundary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.secrets.Secret;
import org.junit.jupiter.api.Test;

class ApiTokenTest {
  private static final String VALUE = "0123456789abcdef-token";

  @Test
  void aShortTokenIsRefusedWithoutQuotingIt() {
    assertThatThrownBy(() -> ApiToken.of(Secret.of("short-secret"), "COMFYVN_API_TOKEN"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COMFYVN_API_TOKEN")
        .hasMessageContaining("at least 16")
        .hasMessageNotContaining("short-secret");
  }

  @Test
  void acceptsTheBearerTokenInAnyCaseOfTheSchemeAndNothingElse() {
    ApiToken t = ApiToken.of(Secret.of(VALUE), "test");
    assertThat(t.accepts("Bearer " + VALUE, null)).isTrue();
    assertThat(t.accepts("bearer " + VALUE, null)).isTrue();
    assertThat(t.accepts("BEARER   " + VALUE + " ", null)).isTrue();
    assertThat(t.accepts("Basic " + VALUE, null)).isFalse();
    assertThat(t.accepts(VALUE, null)).isFalse();
    assertThat(t.accepts("Bearer " + VALUE.toUpperCase(), null)).isFalse();
    assertThat(t.accepts(null, null)).isFalse();
    assertThat(t.isToken(VALUE)).isTrue();
    assertThat(t.isToken(VALUE + " ")).isFalse();
  }

  @Test
  void theSessionCookieIsNotTheTokenAndDependsOnIt() {
    ApiToken t = ApiToken.of(Secret.of(VALUE), "test");
    String cookie = t.sessionCookie(false);
    String value = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    assertThat(value).isNotEqualTo(VALUE).doesNotContain(VALUE);
    assertThat(cookie)
        .startsWith(ApiToken.COOKIE + "=")
        .contains("HttpOnly", "SameSite=Strict", "Path=/")
        .doesNotContain("Secure");
    assertThat(t.sessionCookie(true)).endsWith("; Secure");
    assertThat(t.accepts(null, value)).isTrue();
    assertThat(t.accepts(null, VALUE)).isFalse();
    ApiToken other = ApiToken.of(Secret.of(VALUE + "-rotated"), "test");
    assertThat(other.accepts(null, value)).isFalse();
    // The same token gives the same cookie after a restart.
    assertThat(ApiToken.of(Secret.of(VALUE), "test").accepts(null, value)).isTrue();
  }

  @Test
  void neverPrintsTheToken() {
    assertThat(ApiToken.of(Secret.of(VALUE), "test").toString()).doesNotContain(VALUE);
  }
}
