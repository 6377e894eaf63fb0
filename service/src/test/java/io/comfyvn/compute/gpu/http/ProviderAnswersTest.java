package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.gpu.http.ResilienceSettings.Op;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProviderAnswersTest {
  private final ProviderAnswers answers = new ProviderAnswers("modal");
  private final HttpCall call = HttpCall.get(URI.create("http://127.0.0.1:9/x/y?q=1"), Map.of());

  private static HttpReply reply(String body) {
    return new HttpReply(200, Map.of(), body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsLargeInlineImagesAndDuplicateKeys() {
    String big = "A".repeat(3 * 1024 * 1024);

    var node = answers.object(Op.READ, call, reply("{\"b64\":\"" + big + "\",\"k\":1,\"k\":2}"));

    assertThat(node.get("b64").asText()).hasSize(big.length());
    assertThat(node.get("k").asInt()).isEqualTo(2);
  }

  @Test
  void aBadAnswerToACreateIsAmbiguousAndNotRetryableAndNamesNoQuery() {
    for (String body : List.of("", "nope", "[1,2]", "{\"a\":")) {
      Op op = body.startsWith("[") ? Op.CREATE : Op.READ;
      assertThatThrownBy(() -> answers.object(op, call, reply(body)))
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.code()).isEqualTo("provider_bad_answer");
                assertThat(e.sent()).isEqualTo(Sent.AMBIGUOUS);
                assertThat(e.retryable()).isEqualTo(op != Op.CREATE);
                assertThat(e.getMessage()).startsWith("modal GET /x/y: ").doesNotContain("q=1");
              });
    }
  }
}
