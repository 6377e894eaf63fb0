package io.comfyvn.compute.web.boundary;

import io.comfyvn.compute.config.ConfigException;
import io.comfyvn.compute.secrets.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The service's API token ({@code server.api_token} in the secrets file, or {@code
 * COMFYVN_API_TOKEN}). It keeps only digests: the SHA-256 of the token, to compare a presented
 * {@code Authorization: Bearer} value in constant time, and the Studio session cookie value, an
 * HMAC of a fixed label keyed by the token (so the cookie is not the token, survives a restart, and
 * stops working when the token changes). It never prints either.
 */
public final class ApiToken {
  /** Shorter tokens are refused at start: a guessable token is no boundary. */
  public static final int MIN_LENGTH = 16;

  /** The Studio page's session cookie. */
  public static final String COOKIE = "comfyvn_session";

  private static final String SESSION_LABEL = "comfyvn-compute studio session v1";

  private final byte[] tokenDigest;
  private final String sessionValue;
  private final byte[] sessionDigest;

  private ApiToken(byte[] tokenDigest, String sessionValue) {
    this.tokenDigest = tokenDigest;
    this.sessionValue = sessionValue;
    this.sessionDigest = sha256(sessionValue);
  }

  /**
   * Wraps a configured token.
   *
   * @param token the token
   * @param where where it came from, for the message when it is too short
   * @throws ConfigException when it is shorter than {@link #MIN_LENGTH}
   */
  public static ApiToken of(Secret token, String where) {
    String value = token.reveal();
    if (value.length() < MIN_LENGTH) {
      throw new ConfigException(
          where
              + ": the API token must be at least "
              + MIN_LENGTH
              + " characters (e.g. the output of 'openssl rand -hex 32')");
    }
    return new ApiToken(sha256(value), hmac(value, SESSION_LABEL));
  }

  /**
   * Whether a request carries the token: an {@code Authorization: Bearer} header with it, or the
   * session cookie the login route sets. Both comparisons are of equal-length digests with {@link
   * MessageDigest#isEqual}, so timing says nothing about how much of a guess was right.
   *
   * @param authorization the {@code Authorization} header, or null
   * @param sessionCookie the {@link #COOKIE} cookie's value, or null
   */
  public boolean accepts(String authorization, String sessionCookie) {
    boolean ok = false;
    String bearer = bearer(authorization);
    if (bearer != null) {
      ok |= MessageDigest.isEqual(tokenDigest, sha256(bearer));
    }
    if (sessionCookie != null) {
      ok |= MessageDigest.isEqual(sessionDigest, sha256(sessionCookie));
    }
    return ok;
  }

  /** Whether a login attempt gave the token itself. */
  public boolean isToken(String presented) {
    return presented != null && MessageDigest.isEqual(tokenDigest, sha256(presented));
  }

  /**
   * The {@code Set-Cookie} value that logs a browser in: HttpOnly (page scripts cannot read it),
   * SameSite=Strict (no other site's page can make the browser send it), Secure when the page is
   * served over HTTPS.
   */
  public String sessionCookie(boolean secure) {
    return COOKIE
        + "="
        + sessionValue
        + "; Path=/; Max-Age=2592000; HttpOnly; SameSite=Strict"
        + (secure ? "; Secure" : "");
  }

  /** The {@code Set-Cookie} value that logs a browser out. */
  public static String clearedCookie(boolean secure) {
    return COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
  }

  @Override
  public String toString() {
    return "ApiToken[***]";
  }

  private static String bearer(String authorization) {
    if (authorization == null) {
      return null;
    }
    String a = authorization.trim();
    if (a.length() < 7 || !a.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
      return null;
    }
    return a.substring(7).trim();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String hmac(String key, String label) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(mac.doFinal(label.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
