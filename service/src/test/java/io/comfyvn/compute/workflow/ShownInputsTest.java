package io.comfyvn.compute.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShownInputsTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "https://b.s3.amazonaws.com/in/a.png?X-Amz-Credential=AKIA1/x&X-Amz-Signature=deadbeef"
            + "|https://b.s3.amazonaws.com/in/a.png?X-Amz-Credential=***&X-Amz-Signature=***",
        "https://storage.googleapis.com/b/a.png?X-Goog-Signature=abc#frag"
            + "|https://storage.googleapis.com/b/a.png?X-Goog-Signature=***",
        "https://acct.blob.core.windows.net/c/a.png?sv=2024&sig=s3cr3t&flag"
            + "|https://acct.blob.core.windows.net/c/a.png?sv=***&sig=***&flag",
        "http://box.lan:8188/view?filename=a.png|http://box.lan:8188/view?filename=***",
        "https://example.com/a.png|https://example.com/a.png",
        "data:image/png;base64,iVBORw0KGgo=?x=1|data:image/png;base64,iVBORw0KGgo=?x=1",
        "inputs/a.png|inputs/a.png",
      })
  void aUrlQueryKeepsItsNamesNotItsValues(String given, String shown) {
    assertThat(ShownInputs.masked(given)).isEqualTo(shown);
  }

  @Test
  void theInputsOfAPayloadAreMaskedInACopyAndEverythingElseIsKept() throws Exception {
    ObjectNode payload =
        (ObjectNode)
            Json.mapper()
                .readTree(
                    "{\"workflow\":{\"1\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":"
                        + "\"a.png\"}}},\"prompt\":\"https://x.test/?keep=1\",\"inputs\":{"
                        + "\"a.png\":\"https://b.test/a.png?sig=CANARY\","
                        + "\"b.png\":{\"url\":\"https://b.test/b.png?token=CANARY\"},"
                        + "\"c.png\":\"iVBORw0KGgo=\"}}");
    String before = payload.toString();
    JsonNode shown = ShownInputs.of(payload);
    assertThat(payload.toString()).isEqualTo(before); // the stored payload is left whole
    assertThat(shown.toString()).doesNotContain("CANARY");
    assertThat(shown.at("/inputs/a.png").asText()).isEqualTo("https://b.test/a.png?sig=***");
    assertThat(shown.at("/inputs/b.png/url").asText()).isEqualTo("https://b.test/b.png?token=***");
    assertThat(shown.at("/inputs/c.png").asText()).isEqualTo("iVBORw0KGgo=");
    assertThat(shown.get("prompt").asText()).isEqualTo("https://x.test/?keep=1"); // not an input
    assertThat(shown.get("workflow")).isEqualTo(payload.get("workflow"));
  }

  @Test
  void aPayloadWithoutQueriesIsTheSameObject() throws Exception {
    JsonNode payload =
        Json.mapper().readTree("{\"inputs\":{\"a.png\":\"https://b.test/a.png\"},\"x\":1}");
    assertThat(ShownInputs.of(payload)).isSameAs(payload);
    JsonNode raw = Json.mapper().readTree("{\"input\":{\"prompt\":\"p\"}}");
    assertThat(ShownInputs.of(raw)).isSameAs(raw);
  }
}
