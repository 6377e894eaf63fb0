package io.comfyvn.compute.fakes;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The one set of credentials the fakes accept, in each provider's form.
 *
 * @param runpodApiKey RunPod API key (sent as {@code Bearer k} or raw {@code k})
 * @param replicateToken Replicate API token {@code r8_...}
 * @param huggingfaceToken Hugging Face token {@code hf_...}
 * @param modalTokenId Modal proxy token id {@code wk-...}
 * @param modalTokenSecret Modal proxy token secret {@code ws-...}
 * @param replicateWebhookSecret the account's webhook signing secret {@code whsec_<base64 key>}
 * @param comfyCloudApiKey Comfy API v2 key (sent as {@code Bearer k})
 */
public record FakeCredentials(
    String runpodApiKey,
    String replicateToken,
    String huggingfaceToken,
    String modalTokenId,
    String modalTokenSecret,
    String replicateWebhookSecret,
    String comfyCloudApiKey) {

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Fresh random values, as the CLI prints them. */
  public static FakeCredentials random() {
    return new FakeCredentials(
        "rpa_" + hex(20).toUpperCase(java.util.Locale.ROOT),
        "r8_" + hex(18),
        "hf_" + hex(17),
        "wk-" + hex(11),
        "ws-" + hex(11),
        "whsec_" + Base64.getEncoder().encodeToString(bytes(24)),
        "comfyui-" + hex(20));
  }

  /** Fixed values for tests; the webhook secret is the Standard Webhooks test vector's. */
  public static FakeCredentials forTests() {
    return new FakeCredentials(
        "rpa_TESTKEY",
        "r8_testtoken",
        "hf_testtoken",
        "wk-testid",
        "ws-testsecret",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "comfyui-testkey0123456789");
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String hex(int n) {
    return HexFormat.of().formatHex(bytes(n));
  }
}
