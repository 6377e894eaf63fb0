package io.comfyvn.compute.gpu.comfyui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the box lacks, read from /object_info and /models/<folder>, before anything is queued. */
class PreflightTest {
  private static final String GRAPH =
      "{\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"inputs\":{\"ckpt_name\":\"%s\"}},"
          + "\"5\":{\"class_type\":\"LoraLoader\",\"inputs\":{\"lora_name\":\"%s\",\"model\":[\"4\",0]}},"
          + "\"9\":{\"class_type\":\"%s\",\"inputs\":{\"images\":[\"5\",0]}}}";

  private static final String OBJECTS_OLD =
      "{\"CheckpointLoaderSimple\":{\"input\":{\"required\":{\"ckpt_name\":[[\"a.safetensors\"],{}]}}},"
          + "\"LoraLoader\":{\"input\":{\"required\":{\"lora_name\":[[\"l.safetensors\"],{}]}}},"
          + "\"SaveImage\":{\"input\":{\"required\":{}}}}";

  private static final String OBJECTS_NEW =
      "{\"CheckpointLoaderSimple\":{\"input\":{\"required\":{\"ckpt_name\":[\"COMBO\","
          + "{\"options\":[\"a.safetensors\"]}]}}},"
          + "\"LoraLoader\":{\"input\":{\"optional\":{\"lora_name\":[\"COMBO\","
          + "{\"options\":[\"l.safetensors\"]}]}}},"
          + "\"SaveImage\":{\"input\":{\"required\":{}}}}";

  private final List<String> asked = new ArrayList<>();

  private static WorkflowRun run(String ckpt, String lora, String save) throws Exception {
    return run(String.format(GRAPH, ckpt, lora, save));
  }

  private static WorkflowRun run(String graph) throws Exception {
    ObjectNode job = LiveContexts.MAPPER.createObjectNode();
    job.set("workflow", LiveContexts.MAPPER.readTree(graph));
    return new WorkflowRun(WorkflowJobs.read(job, 1, Limits.DEFAULT).orElseThrow(), List.of());
  }

  private Function<String, Optional<JsonNode>> box(String objects, Map<String, String> models) {
    return path -> {
      asked.add(path);
      try {
        if (path.equals("/object_info")) {
          return Optional.of(LiveContexts.MAPPER.readTree(objects));
        }
        String folder = path.substring("/models/".length());
        return models == null || !models.containsKey(folder)
            ? Optional.empty()
            : Optional.of(LiveContexts.MAPPER.readTree(models.get(folder)));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    };
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "models route|true|old",
        "combo lists (old form)|false|old",
        "combo lists (new form)|false|new"
      })
  void aMissingModelIsNamedWithItsFolderWhicheverWayTheBoxLists(
      String why, boolean modelsRoute, String form) throws Exception {
    Map<String, String> models =
        modelsRoute
            ? Map.of("checkpoints", "[\"a.safetensors\"]", "loras", "[\"l.safetensors\"]")
            : null;
    String objects = form.equals("new") ? OBJECTS_NEW : OBJECTS_OLD;
    assertThatCode(
            () ->
                Preflight.check(
                    box(objects, models), run("a.safetensors", "l.safetensors", "SaveImage")))
        .doesNotThrowAnyException();
    assertThatThrownBy(
            () ->
                Preflight.check(
                    box(objects, models), run("b.safetensors", "m.safetensors", "SaveImage")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("missing_model");
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              assertThat(e.details().get("missing"))
                  .isEqualTo(List.of("checkpoints/b.safetensors", "loras/m.safetensors"));
              assertThat(e.details().get("node_id")).isEqualTo("4");
            });
  }

  @Test
  void aMissingNodeClassIsNamedAndModelsAreNotAskedFor() throws Exception {
    assertThatThrownBy(
            () ->
                Preflight.check(
                    box(OBJECTS_OLD, Map.of()),
                    run(
                        String.format(GRAPH, "a.safetensors", "l.safetensors", "SaveImage")
                            .replace("LoraLoader", "LoraLoaderPlus"))))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("missing_node");
              assertThat(e.details().get("missing")).isEqualTo(List.of("LoraLoaderPlus"));
              assertThat(e.details().get("node_id")).isEqualTo("5");
            });
    assertThat(asked).containsExactly("/object_info");
  }

  @Test
  void eachModelFolderIsAskedOnce() throws Exception {
    Preflight.check(
        box(
            OBJECTS_OLD,
            Map.of("checkpoints", "[\"a.safetensors\"]", "loras", "[\"l.safetensors\"]")),
        run("a.safetensors", "l.safetensors", "SaveImage"));
    assertThat(asked).containsExactly("/object_info", "/models/checkpoints", "/models/loras");
  }
}
