package io.comfyvn.compute.gpu.replicate;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks (Svix) signatures as Replicate sends them: {@code webhook-signature} holds
 * space-separated {@code v1,<base64 HMAC-SHA256>} entries over {@code "{webhook-id}.{timestamp}.
 * {raw body}"}, keyed with the base64 part of the {@code whsec_...} secret. Timestamps outside the
 * tolerance are refused so a captured delivery cannot be replayed later.
 */
final class WebhookSignature {
  static final Duration TOLERANCE = Duration.ofMinutes(5);
  private static final String PREFIX = "whsec_";

  private WebhookSignature() {}

  /** The HMAC key of a {@code whsec_<base64>} secret (a bare base64 key is accepted too). */
  static byte[] key(String secret) {
    String s = secret.strip();
    return Base64.getDecoder().decode(s.startsWith(PREFIX) ? s.substring(PREFIX.length()) : s);
  }

  /**
   * Whether the request carries a valid, fresh signature.
   *
   * @param headers request headers, lower-case names
   */
  static boolean verify(byte[] key, Map<String, String> headers, byte[] rawBody, Instant now) {
    String id = headers.get("webhook-id");
    String timestamp = headers.get("webhook-timestamp");
    String signatures = headers.get("webhook-signature");
    if (id == null || timestamp == null || signatures == null) {
      return false;
    }
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.strip());
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(now.getEpochSecond() - seconds) > TOLERANCE.toSeconds()) {
      return false;
    }
    byte[] expected = sign(key, id, timestamp.strip(), rawBody).getBytes(StandardCharsets.US_ASCII);
    boolean ok = false;
    for (String entry : signatures.strip().split(" +")) {
      if (entry.startsWith("v1,")) {
        // no early exit, so the time taken does not tell which entry matched
        ok |=
            MessageDigest.isEqual(expected, entry.substring(3).getBytes(StandardCharsets.US_ASCII));
      }
    }
    return ok;
  }

  /** The base64 signature of one delivery. */
  static String sign(byte[] key, String id, String timestamp, byte[] rawBody) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(mac.doFinal(rawBody));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
