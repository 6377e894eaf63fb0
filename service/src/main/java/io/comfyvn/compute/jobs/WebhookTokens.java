package io.comfyvn.compute.jobs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Per-task webhook tokens for providers that do not sign their callbacks (RunPod): a random token
 * goes into the webhook URL the provider is given; only its SHA-256 is stored, so nobody who reads
 * the task store (or a task answer) can forge a callback. Checked in constant time.
 */
final class WebhookTokens {
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookTokens() {}

  /** A new token: 128 random bits as hex. */
  static String create() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  /** The hex SHA-256 kept in place of a token. */
  static String hash(String token) {
    return HexFormat.of().formatHex(digest(token));
  }

  /**
   * Whether a presented token is the one whose hash was stored. Both sides are hashed to the same
   * length first, so the comparison time says nothing about the stored value.
   */
  static boolean matches(String presented, String storedSha256) {
    if (presented == null || presented.isEmpty() || storedSha256 == null) {
      return false;
    }
    byte[] stored;
    try {
      stored = HexFormat.of().parseHex(storedSha256);
    } catch (IllegalArgumentException notHex) {
      return false;
    }
    return MessageDigest.isEqual(digest(presented), stored);
  }

  private static byte[] digest(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
