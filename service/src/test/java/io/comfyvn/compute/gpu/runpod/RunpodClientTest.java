package io.comfyvn.compute.gpu.runpod;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.status.TaskStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunpodClientTest {
  private static JsonNode json(String s) throws Exception {
    return Json.mapper().readTree(s);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "IN_QUEUE, QUEUED",
    "IN_PROGRESS, RUNNING",
    "RUNNING, RUNNING",
    "COMPLETED, DONE",
    "FAILED, ERROR",
    "TIMED_OUT, ERROR",
    "CANCELLED, CANCELED",
    "SOMETHING_NEW, RUNNING",
  })
  void mapsEveryDocumentedStatus(String raw, TaskStatus expected) throws Exception {
    JobState s =
        RunpodClient.state(
            json(
                "{\"id\":\"a\",\"status\":\""
                    + raw
                    + "\",\"delayTime\":824,\"executionTime\":3391}"));
    assertThat(s.status()).isEqualTo(expected);
    assertThat(s.providerStatus()).isEqualTo(raw);
    assertThat(s.metrics()).containsEntry("delay_ms", 824L).containsEntry("execution_ms", 3391L);
    if (raw.equals("TIMED_OUT")) {
      assertThat(s.error()).isNotBlank();
    }
  }

  @org.junit.jupiter.api.Test
  void findsImagesInWorkerOutputs() throws Exception {
    JobState s =
        RunpodClient.state(
            json(
                "{\"status\":\"COMPLETED\",\"output\":{\"images\":[{\"filename\":\"a.png\",\"type\":\"base64\",\"data\":\"iVBO\"},"
                    + "{\"url\":\"http://127.0.0.1/files/b.png\"}],\"extra\":\"https://x/y.png\"}}"));
    // inline worker-comfyui images first, then every URL anywhere in the output
    assertThat(s.outputs()).hasSize(3);
    assertThat(s.outputs().get(0).base64()).isEqualTo("iVBO");
    assertThat(s.outputs().get(0).name()).isEqualTo("a.png");
    assertThat(s.outputs().get(1).url()).endsWith("b.png");
    assertThat(s.outputs().get(2).url()).isEqualTo("https://x/y.png");
    JobState list =
        RunpodClient.state(
            json(
                "{\"status\":\"COMPLETED\",\"output\":[\"https://a/1.png\",\"data:image/png;base64,AA==\"]}"));
    assertThat(list.outputs()).hasSize(2);
    JobState failed =
        RunpodClient.state(
            json("{\"status\":\"FAILED\",\"error\":\"width must be divisible by 64\"}"));
    assertThat(failed.error()).isEqualTo("width must be divisible by 64");
    assertThat(failed.outputs()).isEmpty();
  }
}
