package io.comfyvn.compute.fakes;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures as Replicate sends them: {@code v1,base64(HMAC-SHA256(key, id + "."
 * + timestamp + "." + body))} where the key is the base64 part of {@code whsec_<key>}.
 */
public final class WebhookSigner {
  private WebhookSigner() {}

  public static String sign(String secret, String id, long timestamp, String body) {
    String encodedKey = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(encodedKey), "HmacSHA256"));
      byte[] sig =
          mac.doFinal((id + "." + timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }
}
