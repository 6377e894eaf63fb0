package io.comfyvn.compute.advisor;

import static io.comfyvn.compute.advisor.Workflows.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.errors.ComputeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdviceRequestTest {

  @Test
  void readsComfyVnsShape() {
    AdviceRequest r =
        AdviceRequest.parse(
            (ObjectNode)
                json(
                    "{'prefer_remote': true, 'workload': {'requirements': {'type': 'CG_Batch', 'min_vram_gb': 24, 'estimated_minutes': 180},"
                        + " 'assets': [{'name': 'a', 'size_mb': 2400}, {'name': 'b', 'size_bytes': 1048576}],"
                        + " 'workflows': [{'id': 'w', 'cached': true}, {'id': 'x', 'persist_outputs': true}],"
                        + " 'budget': {'limit_usd': 20, 'mode': 'speed'}, 'cache': {'requires_persistent': true}}}"));
    assertThat(r.preferRemote()).isTrue();
    assertThat(r.type()).isEqualTo("cg_batch");
    assertThat(r.minVramGb()).isEqualTo(24);
    assertThat(r.expectedMinutes()).isEqualTo(180);
    assertThat(r.assets()).extracting(AdviceRequest.Asset::sizeMb).containsExactly(2400.0, 1.0);
    assertThat(r.cachedWorkflows()).isEqualTo(1);
    assertThat(r.uncachedWorkflows()).isEqualTo(1);
    assertThat(r.persistOutputs()).isTrue();
    assertThat(r.budgetLimitUsd()).isEqualTo(20);
    assertThat(r.budgetMode()).isEqualTo(AdviceRequest.BudgetMode.SPEED);
    assertThat(r.requiresPersistent()).isTrue();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{'workload': 'render'}|invalid_type",
        "{'prefer_remote': 'yes'}|invalid_type",
        "{'workload': {'requirements': {'min_vram_gb': -4}}}|invalid_value",
        "{'workload': {'requirements': {'min_vram_gb': 5000}}}|invalid_value",
        "{'workload': {'requirements': {'min_vram_gb': '24'}}}|invalid_type",
        "{'workload': {'requirements': {'estimated_minutes': 0}}}|invalid_value",
        "{'workload': {'requirements': {'estimated_minutes': 1e9}}}|invalid_value",
        "{'workload': {'budget': {'limit_usd': -1}}}|invalid_value",
        "{'workload': {'budget': {'limit_usd': 1e12}}}|invalid_value",
        "{'workload': {'budget': {'limit_usd': 'lots'}}}|invalid_type",
        "{'workload': {'budget': {'mode': 'yolo'}}}|invalid_value",
        "{'workload': {'budget': 20}}|invalid_type",
        "{'workload': {'assets': {}}}|invalid_type",
        "{'workload': {'assets': [{'size_mb': -1}]}}|invalid_value",
        "{'workload': {'workflows': 'w'}}|invalid_type",
        "{'providers': 'runpod'}|invalid_type",
        "{'local_gpu': {'vram_gb': -1}}|invalid_value",
        "{'max_candidates': 0}|invalid_value",
        "{'max_candidates': 2.5}|invalid_value",
        "{'provider': 7}|invalid_type"
      })
  void badInputIsABadRequestWithACode(String body, String code) {
    assertThatThrownBy(() -> AdviceRequest.parse((ObjectNode) json(body)))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(ComputeException.Kind.BAD_REQUEST);
              assertThat(e.code()).isEqualTo(code);
            });
  }
}
