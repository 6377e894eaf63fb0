package io.comfyvn.compute.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.comfyui.ComfyUiProvider;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.huggingface.HuggingFaceProvider;
import io.comfyvn.compute.gpu.modal.ModalProvider;
import io.comfyvn.compute.gpu.replicate.ReplicateProvider;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded mutations of real answers (truncated text, values of the wrong type, missing or extra
 * keys) fed to each client's poll: the answer is either read or refused as a {@link
 * ProviderException}, never another exception (which would be a 500).
 */
class MalformedAnswersTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private static final String REPLICATE =
      """
      {"id":"p1","status":"succeeded","logs":"a\\n 50%|##| 1/2","output":["https://x/o.png"],
       "data_removed":false,"error":null,"metrics":{"predict_time":1.5},"urls":{"get":"g"}}""";
  private static final String HF_JOB =
      """
      {"id":"j1","status":{"stage":"COMPLETED","message":null},"owner":{"name":"ns"}}""";
  private static final String MODAL_STATUS = "{\"request_id\":\"fc-1\",\"status\":\"SUCCESS\"}";
  private static final String MODAL_RESULT =
      """
      {"status":"SUCCESS","response":{"images":[{"url":"https://x/a.png"},{"base64":"iVBORw0KGgo"}]}}""";

  private static final String COMFYUI_HISTORY =
      """
      {"c1":{"prompt":[0,"c1",{},{},["9"]],"outputs":{"9":{"images":[{"filename":"a_00001_.png",
       "subfolder":"","type":"output"}]}},"status":{"status_str":"success","completed":true,
       "messages":[["execution_start",{"prompt_id":"c1","timestamp":1}],
       ["execution_success",{"prompt_id":"c1","timestamp":5}]]}}}""";

  static Stream<Arguments> seeds() {
    return IntStream.range(0, 150)
        .boxed()
        .flatMap(
            s ->
                Stream.of("replicate", "huggingface", "modal", "comfyui")
                    .map(p -> Arguments.of(p, s)));
  }

  @ParameterizedTest(name = "{0} seed {1}")
  @MethodSource("seeds")
  void aMangledAnswerIsReadOrRefusedNeverCrashes(String provider, int seed) throws Exception {
    Random random = new Random(seed * 31L + provider.hashCode());
    ScriptedTransport t = new ScriptedTransport();
    LiveClient client;
    String id;
    switch (provider) {
      case "replicate" -> {
        t.reply(200, mangle(REPLICATE, random));
        client = live(new ReplicateProvider(), t, "{\"model\":\"a/b\"}", "replicate.api_token");
        id = "p1";
      }
      case "huggingface" -> {
        t.reply(200, mangle(HF_JOB, random));
        t.reply(200, "data: {\"data\":\"artifact: https://x/y.png\"}\n\n");
        client =
            live(new HuggingFaceProvider(), t, "{\"namespace\":\"ns\"}", "huggingface.api_key");
        id = "ns/j1";
      }
      case "comfyui" -> {
        // a mangled history without the entry sends the client to the queue, then the history
        t.reply(200, mangle(COMFYUI_HISTORY, random));
        t.reply(200, "{\"queue_running\":[],\"queue_pending\":[]}");
        t.reply(200, "{}");
        GpuProvider p = new ComfyUiProvider();
        // the older reads (history, queue) are what this mangles; the jobs API has its own tests
        client = p.live(LiveContexts.of(p, t, "{\"jobs_api\":false}")).orElseThrow();
        id = "c1";
      }
      default -> {
        t.reply(200, mangle(MODAL_STATUS, random));
        t.reply(200, mangle(MODAL_RESULT, random));
        client = modal(t);
        id = "fc-1";
      }
    }
    try {
      JobState s = client.poll(id);
      assertThat(s.status()).isNotNull();
      assertThat(s.providerStatus()).isNotNull();
    } catch (ProviderException refused) {
      // a ComfyUI history without the prompt's entry, and a queue without it, means it is gone
      assertThat(refused.code()).isIn("provider_bad_answer", "provider_not_found");
    }
  }

  private static LiveClient live(
      GpuProvider p, ScriptedTransport t, String settings, String secret) {
    return p.live(LiveContexts.of(p, t, settings, secret, "tok-123456")).orElseThrow();
  }

  private static LiveClient modal(ScriptedTransport t) {
    GpuProvider p = new ModalProvider();
    return p.live(
            LiveContexts.of(
                p,
                t,
                "{\"base_url\":\"http://127.0.0.1:9/modal\"}",
                "modal.token_id",
                "wk-1",
                "modal.token_secret",
                "ws-1"))
        .orElseThrow();
  }

  /** One random change: cut the text, or put a value of another type somewhere in the tree. */
  private static String mangle(String json, Random r) throws Exception {
    if (r.nextInt(4) == 0) {
      return json.substring(0, r.nextInt(json.length()));
    }
    JsonNode root = LiveContexts.MAPPER.readTree(json);
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    JsonNode target = containers.get(r.nextInt(containers.size()));
    JsonNode value = wrong(r);
    if (target instanceof ObjectNode o) {
      List<String> keys = new ArrayList<>();
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        keys.add(it.next());
      }
      String key = keys.isEmpty() || r.nextInt(5) == 0 ? "extra" : keys.get(r.nextInt(keys.size()));
      if (r.nextInt(4) == 0) {
        o.remove(key);
      } else {
        o.set(key, value);
      }
    } else if (target instanceof ArrayNode a) {
      a.add(value);
    }
    return r.nextInt(8) == 0 ? "[" + root + "]" : root.toString();
  }

  private static void collect(JsonNode n, List<JsonNode> out) {
    if (n.isContainerNode()) {
      out.add(n);
      n.forEach(c -> collect(c, out));
    }
  }

  private static JsonNode wrong(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> F.nullNode();
      case 1 -> F.numberNode(r.nextInt(1000) - 500);
      case 2 -> F.textNode("");
      case 3 -> F.textNode("https://x/" + r.nextInt(9) + ".png");
      case 4 -> F.objectNode();
      case 5 -> F.arrayNode().add(F.textNode("data:image/png;base64,AAAA"));
      case 6 -> F.booleanNode(r.nextBoolean());
      default -> F.textNode("\u0000weird\uFFFF");
    };
  }
}
