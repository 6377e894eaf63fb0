package io.comfyvn.compute.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WebhookSignerTest {
  @Test
  void matchesTheStandardWebhooksTestVector() {
    // From replicate/replicate-python tests/test_webhooks.py, recomputed in the contracts doc.
    String sig =
        WebhookSigner.sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330L,
            "{\"test\": 2432232314}");
    assertThat(sig).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void anyChangeGivesAnotherSignature() {
    String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    String sig = WebhookSigner.sign(secret, "msg_1", 1614265330L, "{\"test\": 2432232314}");
    assertThat(WebhookSigner.sign(secret, "msg_1", 1614265331L, "{\"test\": 2432232314}"))
        .isNotEqualTo(sig);
    assertThat(WebhookSigner.sign(secret, "msg_2", 1614265330L, "{\"test\": 2432232314}"))
        .isNotEqualTo(sig);
  }
}
