package io.comfyvn.compute.gpu.comfyui;

import static io.comfyvn.compute.support.ScriptedTransport.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.Health;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.LiveJob;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.LiveClient.Submitted;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ComfyUiClientTest {
  private static final String BASE = "http://127.0.0.1:9/comfyui";

  /** An older box: read through /history and /queue (the jobs API's path is tested below). */
  private static final String SETTINGS = "{\"base_url\":\"" + BASE + "/\",\"jobs_api\":false}";

  private static final String ID = "5b0c8f8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
  private static final String TOKEN = "proxy-token-1234567890";

  private final ScriptedTransport transport = new ScriptedTransport();

  private ComfyUiClient client() {
    return new ComfyUiClient(LiveContexts.of(new ComfyUiProvider(), transport, SETTINGS));
  }

  private ComfyUiClient clientWithToken() {
    return new ComfyUiClient(
        LiveContexts.of(new ComfyUiProvider(), transport, SETTINGS, ComfyUiClient.TOKEN, TOKEN));
  }

  private static LiveJob job(String json, long seed, String settings) {
    try {
      return new LiveJob(
          "t1",
          (ObjectNode) LiveContexts.MAPPER.readTree(json),
          seed,
          LiveContexts.settings(settings),
          null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static JsonNode json(HttpCall call) throws Exception {
    return LiveContexts.MAPPER.readTree(body(call));
  }

  private static String queue(String running, String pending) {
    return "{\"queue_running\":["
        + (running == null ? "" : "[0,\"" + running + "\",{},{},[\"9\"]]")
        + "],\"queue_pending\":["
        + (pending == null ? "" : "[1,\"" + pending + "\",{},{},[\"9\"]]")
        + "]}";
  }

  /** The look before sending: the box has no such prompt in its history or queue. */
  private ScriptedTransport notOnTheBox() {
    return transport.json(200, "{}").json(200, queue(null, null));
  }

  @Test
  void aPromptOnlyJobQueuesTheBuiltInGraphWithTheTasksSeed() throws Exception {
    notOnTheBox().json(200, "{\"prompt_id\":\"" + ID + "\",\"number\":3,\"node_errors\":{}}");

    Submitted s =
        client()
            .submit(
                job(
                    "{\"input\":{\"prompt\":\"castle at dusk\",\"width\":768,\"height\":512,"
                        + "\"steps\":30,\"negative_prompt\":\"blurry\"}}",
                    7,
                    "{\"checkpoint\":\"v1-5-pruned-emaonly.safetensors\",\"client_id\":\"studio\"}"));

    assertThat(transport.call(0).uri().toString())
        .isEqualTo(BASE + "/history/" + ComfyUiClient.promptId("t1"));
    HttpCall call = transport.call(2);
    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.uri().toString()).isEqualTo(BASE + "/prompt");
    assertThat(call.headers()).doesNotContainKey("Authorization");
    JsonNode b = json(call);
    assertThat(b.path("client_id").asText()).isEqualTo("studio");
    assertThat(b.path("prompt_id").asText()).isEqualTo(ComfyUiClient.promptId("t1"));
    JsonNode g = b.path("prompt");
    assertThat(g.path("3").path("class_type").asText()).isEqualTo("KSampler");
    assertThat(g.path("3").path("inputs").path("seed").asLong()).isEqualTo(7);
    assertThat(g.path("3").path("inputs").path("steps").asInt()).isEqualTo(30);
    assertThat(g.path("4").path("inputs").path("ckpt_name").asText())
        .isEqualTo("v1-5-pruned-emaonly.safetensors");
    assertThat(g.path("5").path("inputs").toString())
        .isEqualTo("{\"width\":768,\"height\":512,\"batch_size\":1}");
    assertThat(g.path("6").path("inputs").path("text").asText()).isEqualTo("castle at dusk");
    assertThat(g.path("7").path("inputs").path("text").asText()).isEqualTo("blurry");
    assertThat(g.path("9").path("class_type").asText()).isEqualTo("SaveImage");
    assertThat(s.providerJobId()).isEqualTo(ID);
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(s.state().providerStatus()).isEqualTo("pending");
  }

  @Test
  void theDefaultsAreTheSdxlCheckpointAndAnUnsignedSeed() throws Exception {
    notOnTheBox().json(200, "{\"prompt_id\":\"" + ID + "\",\"number\":0,\"node_errors\":{}}");

    client().submit(job("{\"input\":{\"prompt\":\"x\"}}", -1, "{}"));

    JsonNode g = json(transport.call(2)).path("prompt");
    assertThat(g.path("4").path("inputs").path("ckpt_name").asText())
        .isEqualTo("sd_xl_base_1.0.safetensors");
    assertThat(g.path("3").path("inputs").path("seed").asText()).isEqualTo("18446744073709551615");
    assertThat(json(transport.call(2)).path("client_id").asText()).isEqualTo("comfyvn-compute");
  }

  @Test
  void anApiFormatWorkflowIsSentAsGiven() throws Exception {
    notOnTheBox().json(200, "{\"prompt_id\":\"" + ID + "\",\"number\":0,\"node_errors\":{}}");
    String graph =
        "{\"1\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"a.png\"}},"
            + "\"2\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"1\",0]}}}";

    client()
        .submit(job("{\"workflow\":" + graph + ",\"input\":{\"prompt\":\"ignored\"}}", 7, "{}"));

    assertThat(json(transport.call(2)).path("prompt"))
        .isEqualTo(LiveContexts.MAPPER.readTree(graph));
  }

  @Test
  void graphsThatCannotBeQueuedAreRefusedBeforeSending() {
    for (String bad :
        new String[] {
          "{\"workflow\":{\"nodes\":[],\"links\":[]}}",
          "{\"workflow\":{\"1\":{\"inputs\":{}}}}",
          "{\"input\":{}}",
          "{\"input\":{\"prompt\":\"x\",\"width\":\"wide\"}}",
          "{\"input\":{\"prompt\":\"x\",\"steps\":0}}"
        }) {
      assertThatThrownBy(() -> client().submit(job(bad, 1, "{}")))
          .as(bad)
          .isInstanceOfSatisfying(
              ProviderException.class,
              e -> {
                assertThat(e.code()).isEqualTo("invalid_job");
                assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              });
    }
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void nodeErrorsRejectTheJobAndDropWhatWasQueued() {
    notOnTheBox()
        .json(
            200,
            "{\"prompt_id\":\""
                + ID
                + "\",\"number\":0,\"node_errors\":{\"4\":{\"errors\":[{\"type\":\"value_not_in_list\","
                + "\"message\":\"Value not in list\",\"details\":\"ckpt_name: 'x' not in []\"}],"
                + "\"class_type\":\"CheckpointLoaderSimple\"}}}");
    transport.reply(200, "");

    assertThatThrownBy(() -> client().submit(job("{\"input\":{\"prompt\":\"x\"}}", 1, "{}")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_rejected");
              assertThat(e.sent()).isEqualTo(Sent.REFUSED);
              assertThat(e.getMessage())
                  .contains(
                      "4 CheckpointLoaderSimple: Value not in list (ckpt_name: 'x' not in [])");
            });
    HttpCall drop = transport.call(3);
    assertThat(drop.uri().toString()).isEqualTo(BASE + "/queue");
    assertThat(body(drop)).isEqualTo("{\"delete\":[\"" + ID + "\"]}");
  }

  @Test
  void aValidationFailureIs422WithComfyUisReason() {
    notOnTheBox()
        .json(
            400,
            "{\"error\":{\"type\":\"invalid_prompt\",\"message\":\"Cannot execute because node Foo"
                + " does not exist.\",\"details\":\"Node ID '#1'\"},\"node_errors\":{}}");

    assertThatThrownBy(() -> client().submit(job("{\"input\":{\"prompt\":\"x\"}}", 1, "{}")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_rejected");
              assertThat(e.httpStatus()).isEqualTo(400);
              assertThat(e.getMessage()).contains("node Foo does not exist");
            });
    assertThat(transport.calls()).hasSize(3);
  }

  @Test
  void anEmptyHistoryIsQueuedOrRunningAsTheQueueSays() {
    transport.json(200, "{}").json(200, queue(null, ID));
    JobState queued = client().poll(ID);
    assertThat(queued.status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(queued.providerStatus()).isEqualTo("pending");
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/history/" + ID);
    assertThat(transport.call(1).uri().toString()).isEqualTo(BASE + "/queue");

    transport.json(200, "{}").json(200, queue(ID, null));
    JobState running = client().poll(ID);
    assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(running.providerStatus()).isEqualTo("running");
  }

  @Test
  void aPromptNeitherQueuedNorInTheHistoryIsGone() {
    transport.json(200, "{}").json(200, queue(null, null)).json(200, "{}");
    // (history, queue, history again: it may have ended between the first two reads)

    assertThatThrownBy(() -> client().poll(ID))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
  }

  @Test
  void successListsEverySavedImageAsAViewUrl() {
    transport.json(
        200,
        "{\""
            + ID
            + "\":{\"prompt\":[],\"outputs\":{"
            + "\"9\":{\"images\":[{\"filename\":\"comfyvn_00001_.png\",\"subfolder\":\"\",\"type\":\"output\"},"
            + "{\"filename\":\"comfyvn 00002_.png\",\"subfolder\":\"vn/day 1\",\"type\":\"output\"}]},"
            + "\"12\":{\"images\":[{\"filename\":\"preview.png\",\"subfolder\":\"\",\"type\":\"temp\"}]}},"
            + "\"status\":{\"status_str\":\"success\",\"completed\":true,\"messages\":["
            + "[\"execution_start\",{\"prompt_id\":\"x\",\"timestamp\":1000}],"
            + "[\"execution_success\",{\"prompt_id\":\"x\",\"timestamp\":4500}]]}}}");

    JobState s = client().poll(ID);

    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.providerStatus()).isEqualTo("success");
    assertThat(s.progress()).isEqualTo(1.0);
    assertThat(s.metrics()).containsEntry("execution_ms", 3500L);
    assertThat(s.outputs())
        .extracting(Output::url)
        .containsExactly(
            BASE + "/view?filename=comfyvn_00001_.png&subfolder=&type=output",
            BASE + "/view?filename=comfyvn+00002_.png&subfolder=vn%2Fday+1&type=output");
    assertThat(s.outputs()).extracting(Output::mime).containsOnly("image/png");
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void anEntryFromAServerWithoutStatusStrIsDoneWhenCompleted() {
    String outputs =
        "\"outputs\":{\"9\":{\"images\":[{\"filename\":\"a.png\",\"subfolder\":\"\",\"type\":\"output\"}]}}";
    transport.json(200, "{\"" + ID + "\":{" + outputs + "}}");
    transport.json(200, "{\"" + ID + "\":{" + outputs + ",\"status\":{\"completed\":true}}}");

    assertThat(client().poll(ID).status()).isEqualTo(TaskStatus.DONE);
    assertThat(client().poll(ID).outputs()).hasSize(1);
  }

  @Test
  void anExecutionErrorCarriesTheExceptionMessage() {
    transport.json(
        200,
        "{\""
            + ID
            + "\":{\"outputs\":{},\"status\":{\"status_str\":\"error\",\"completed\":false,"
            + "\"messages\":[[\"execution_start\",{\"timestamp\":1}],[\"execution_error\","
            + "{\"node_id\":\"3\",\"node_type\":\"KSampler\",\"exception_message\":\"CUDA out of"
            + " memory\\n\",\"exception_type\":\"torch.OutOfMemoryError\",\"timestamp\":9}]]}}}");

    JobState s = client().poll(ID);

    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.providerStatus()).isEqualTo("error");
    assertThat(s.error()).isEqualTo("KSampler (node 3): CUDA out of memory");
    assertThat(s.outputs()).isEmpty();
  }

  @Test
  void anInterruptedPromptIsCanceled() {
    transport.json(
        200,
        "{\""
            + ID
            + "\":{\"outputs\":{},\"status\":{\"status_str\":\"error\",\"completed\":false,"
            + "\"messages\":[[\"execution_interrupted\",{\"node_id\":\"3\"}]]}}}");

    JobState s = client().poll(ID);

    assertThat(s.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(s.providerStatus()).isEqualTo("interrupted");
  }

  @Test
  void cancelDeletesAQueuedPrompt() {
    transport.json(200, queue("other", ID)).reply(200, "");

    JobState s = client().cancel(ID);

    assertThat(s.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(s.providerStatus()).isEqualTo("interrupted");
    HttpCall delete = transport.call(1);
    assertThat(delete.method()).isEqualTo("POST");
    assertThat(delete.uri().toString()).isEqualTo(BASE + "/queue");
    assertThat(body(delete)).isEqualTo("{\"delete\":[\"" + ID + "\"]}");
    assertThat(transport.count("POST", "/interrupt")).isZero();
  }

  @Test
  void cancelInterruptsOnlyThisRunningPrompt() {
    transport.json(200, queue(ID, "other")).reply(200, "");

    JobState s = client().cancel(ID);

    assertThat(s.status()).isEqualTo(TaskStatus.CANCELED);
    HttpCall interrupt = transport.call(1);
    assertThat(interrupt.uri().toString()).isEqualTo(BASE + "/interrupt");
    assertThat(body(interrupt)).isEqualTo("{\"prompt_id\":\"" + ID + "\"}");
    assertThat(transport.count("POST", "/queue")).isZero();
  }

  @Test
  void cancelOfAFinishedPromptReportsItsEnd() {
    transport
        .json(200, queue(null, null))
        .json(
            200,
            "{\""
                + ID
                + "\":{\"outputs\":{},\"status\":{\"status_str\":\"success\",\"messages\":[]}}}");

    JobState s = client().cancel(ID);

    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(transport.count("POST", "/interrupt")).isZero();
  }

  @Test
  void healthReportsVersionDeviceAndFreeVram() {
    transport.json(
        200,
        "{\"system\":{\"comfyui_version\":\"0.3.66\"},\"devices\":[{\"name\":\"cuda:0 NVIDIA"
            + " GeForce RTX 4090 : cudaMallocAsync\",\"type\":\"cuda\",\"vram_total\":25769803776,"
            + "\"vram_free\":21474836480}]}");

    Health h = client().health();

    assertThat(h.ok()).isTrue();
    assertThat(h.detail()).isEqualTo("ComfyUI 0.3.66, NVIDIA GeForce RTX 4090 20.0/24.0 GB free");
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/system_stats");
  }

  @Test
  void aProxyTokenIsSentAndOutputsAreFetchedInline() {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};
    transport
        .json(
            200,
            "{\""
                + ID
                + "\":{\"outputs\":{\"9\":{\"images\":[{\"filename\":\"a.png\",\"subfolder\":\"\","
                + "\"type\":\"output\"}]}},\"status\":{\"status_str\":\"success\",\"messages\":[]}}}")
        .bytes(200, png, "image/png");

    JobState s = clientWithToken().poll(ID);

    assertThat(transport.calls())
        .allSatisfy(c -> assertThat(c.headers()).containsEntry("Authorization", "Bearer " + TOKEN));
    assertThat(transport.call(1).uri().toString())
        .isEqualTo(BASE + "/view?filename=a.png&subfolder=&type=output");
    Output o = s.outputs().get(0);
    assertThat(o.url()).isNull();
    assertThat(o.mime()).isEqualTo("image/png");
    assertThat(Base64.getDecoder().decode(o.base64())).isEqualTo(png);
  }

  @Test
  void aProxyThatRefusesTheTokenNeverEchoesIt() {
    transport.json(401, "{\"error\":\"bad token " + TOKEN + "\"}");

    assertThatThrownBy(() -> clientWithToken().health())
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_unauthorized");
              assertThat(e.getMessage()).doesNotContain(TOKEN);
            });
    assertThat(transport.call(0).uri().toString()).doesNotContain(TOKEN);
  }

  @Test
  void deviceNamesLoseTheTorchDecorations() {
    assertThat(ComfyUiClient.deviceName("cuda:0 NVIDIA GeForce RTX 3090 : cudaMallocAsync"))
        .isEqualTo("NVIDIA GeForce RTX 3090");
    assertThat(ComfyUiClient.deviceName("mps")).isEqualTo("mps");
  }

  // ---- the jobs API (newer ComfyUI) ----

  private ComfyUiClient newerBox() {
    return new ComfyUiClient(
        LiveContexts.of(new ComfyUiProvider(), transport, "{\"base_url\":\"" + BASE + "\"}"));
  }

  private static final String DONE_JOB =
      "{\"id\":\""
          + ID
          + "\",\"status\":\"completed\",\"outputs_count\":1,"
          + "\"outputs\":{\"9\":{\"images\":[{\"filename\":\"ComfyVN_00001_.png\","
          + "\"subfolder\":\"\",\"type\":\"output\"}]}},"
          + "\"execution_status\":{\"status_str\":\"success\",\"completed\":true,\"messages\":["
          + "[\"execution_start\",{\"timestamp\":1000}],[\"execution_success\",{\"timestamp\":4500}]]}}";

  @Test
  void aNewerBoxIsReadThroughItsJobsApiAlone() {
    ComfyUiClient c = newerBox();
    transport.json(200, "{\"id\":\"" + ID + "\",\"status\":\"pending\",\"outputs_count\":0}");
    transport.json(200, "{\"id\":\"" + ID + "\",\"status\":\"in_progress\",\"outputs_count\":0}");
    transport.json(200, DONE_JOB);

    JobState queued = c.poll(ID);
    JobState running = c.poll(ID);
    JobState done = c.poll(ID);

    assertThat(transport.calls())
        .extracting(call -> call.uri().toString())
        .containsOnly(BASE + "/api/jobs/" + ID);
    assertThat(queued.status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(done.status()).isEqualTo(TaskStatus.DONE);
    assertThat(done.outputs())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.name()).isEqualTo("ComfyVN_00001_.png");
              assertThat(o.url())
                  .isEqualTo(BASE + "/view?filename=ComfyVN_00001_.png&subfolder=&type=output");
            });
    assertThat(done.metrics()).containsEntry("execution_ms", 3500L);
  }

  @Test
  void aFailedJobIsAnErrorOrACancelAsItsExecutionStatusSays() {
    ComfyUiClient c = newerBox();
    transport.json(
        200,
        "{\"id\":\"a\",\"status\":\"failed\",\"outputs\":{},\"execution_status\":{"
            + "\"status_str\":\"error\",\"messages\":[[\"execution_error\",{\"node_id\":\"3\","
            + "\"node_type\":\"KSampler\",\"exception_message\":\"CUDA out of memory\"}]]}}");
    transport.json(
        200,
        "{\"id\":\"b\",\"status\":\"failed\",\"outputs\":{},\"execution_status\":{"
            + "\"status_str\":\"error\",\"messages\":[[\"execution_interrupted\",{\"node_id\":\"3\"}]]}}");

    JobState failed = c.poll("a");
    JobState interrupted = c.poll("b");

    assertThat(failed.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(failed.error()).isEqualTo("KSampler (node 3): CUDA out of memory");
    assertThat(interrupted.status()).isEqualTo(TaskStatus.CANCELED);
  }

  @Test
  void theJobsApisOwn404IsAPromptTheBoxDoesNotHave() {
    ComfyUiClient c = newerBox();
    transport.json(404, "{\"error\":\"Job not found\"}");

    assertThatThrownBy(() -> c.poll(ID)).hasFieldOrPropertyWithValue("code", "provider_not_found");
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void anOlderBoxsPlain404FallsBackToTheHistoryOnceAndForAll() {
    ComfyUiClient c = newerBox();
    transport.reply(404, "404: Not Found", "Content-Type", "text/plain; charset=utf-8");
    transport.json(200, "{}");
    transport.json(200, queue(ID, null));
    transport.json(200, "{}");
    transport.json(200, queue(null, ID));

    assertThat(c.poll(ID).status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(c.poll(ID).status()).isEqualTo(TaskStatus.QUEUED);

    assertThat(transport.call(1).uri().toString()).isEqualTo(BASE + "/history/" + ID);
    // the second poll did not ask the jobs API again
    assertThat(transport.calls())
        .extracting(call -> call.uri().getPath())
        .containsExactly(
            "/comfyui/api/jobs/" + ID,
            "/comfyui/history/" + ID,
            "/comfyui/queue",
            "/comfyui/history/" + ID,
            "/comfyui/queue");
  }

  @Test
  void cancelGoesThroughTheJobsApiAndAFinishedJobIsReportedNotCanceled() {
    ComfyUiClient c = newerBox();
    transport.json(200, "{\"id\":\"" + ID + "\",\"status\":\"in_progress\"}");
    transport.json(200, "{\"cancelled\":true}");
    transport.json(200, DONE_JOB);

    JobState canceled = c.cancel(ID);
    JobState finished = c.cancel(ID);

    HttpCall post = transport.call(1);
    assertThat(post.method()).isEqualTo("POST");
    assertThat(post.uri().toString()).isEqualTo(BASE + "/api/jobs/" + ID + "/cancel");
    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(finished.status()).isEqualTo(TaskStatus.DONE);
    assertThat(transport.calls()).hasSize(3);
  }

  @Test
  void aResendIsRecognisedThroughTheJobsApi() throws Exception {
    ComfyUiClient c = newerBox();
    transport.json(200, "{\"id\":\"x\",\"status\":\"in_progress\"}");

    Submitted s = c.submit(job("{\"input\":{\"prompt\":\"p\"}}", 7, "{}"));

    assertThat(transport.call(0).uri().toString())
        .isEqualTo(BASE + "/api/jobs/" + ComfyUiClient.promptId("t1"));
    assertThat(transport.count("POST", "/prompt")).isZero();
    assertThat(s.state().status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(s.state().logs()).singleElement().asString().contains("not queued again");
  }
}
