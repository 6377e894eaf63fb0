package io.comfyvn.compute.gpu.modal;

import static io.comfyvn.compute.support.ScriptedTransport.body;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.JobState;
import io.comfyvn.compute.gpu.LiveClient.LiveJob;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.gpu.LiveClient.Submitted;
import io.comfyvn.compute.gpu.Reconciliation;
import io.comfyvn.compute.gpu.http.HttpCall;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.gpu.http.ProviderException.Sent;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.workflow.InputFile;
import io.comfyvn.compute.workflow.InputSource;
import io.comfyvn.compute.workflow.Limits;
import io.comfyvn.compute.workflow.MediaKind;
import io.comfyvn.compute.workflow.WorkflowJob;
import io.comfyvn.compute.workflow.WorkflowJobs;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModalClientTest {
  private static final String KEY = "wk-test-key-123";
  private static final String SECRET = "ws-test-secret-456";
  private static final String BASE = "http://127.0.0.1:9/modal";
  private static final String SETTINGS =
      "{\"base_url\":\"" + BASE + "\",\"function\":\"comfyvn_render\"}";

  private final ScriptedTransport transport = new ScriptedTransport();

  private ModalClient client(String settings) {
    return new ModalClient(
        LiveContexts.of(
            new ModalProvider(),
            transport,
            settings,
            ModalClient.TOKEN_ID,
            KEY,
            ModalClient.TOKEN_SECRET,
            SECRET));
  }

  private static LiveJob job(String json) {
    try {
      return new LiveJob(
          "t1",
          (ObjectNode) LiveContexts.MAPPER.readTree(json),
          42,
          LiveContexts.settings(SETTINGS),
          null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void runsTheFunctionWithProxyTokensAndTheTasksSeed() throws Exception {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-01ABC\"}");

    Submitted s = c.submit(job("{\"input\":{\"prompt\":\"a cat\"}}"));

    HttpCall call = transport.call(0);
    assertThat(call.method()).isEqualTo("POST");
    assertThat(call.uri().toString()).isEqualTo(BASE + "/run");
    assertThat(call.headers())
        .containsEntry("Modal-Key", KEY)
        .containsEntry("Modal-Secret", SECRET);
    JsonNode b = LiveContexts.MAPPER.readTree(body(call));
    assertThat(b.path("function").asText()).isEqualTo("comfyvn_render");
    assertThat(b.path("input").toString()).isEqualTo("{\"prompt\":\"a cat\",\"seed\":42}");
    assertThat(s.providerJobId()).isEqualTo("fc-01ABC");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
  }

  private static Reconciliation.Query query(String taskId) {
    return new Reconciliation.Query(
        taskId,
        java.time.Instant.EPOCH,
        java.time.Instant.EPOCH,
        LiveContexts.MAPPER.createObjectNode(),
        1,
        id -> false,
        () -> {
          throw new AssertionError("Modal looks its call up, it never resends a create");
        });
  }

  @Test
  void aJobWithoutInputIsTheInputAndItsOwnSeedWins() throws Exception {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\"}");

    c.submit(job("{\"prompt\":\"p\",\"seed\":7,\"function\":\"other\"}"));

    JsonNode b = LiveContexts.MAPPER.readTree(body(transport.call(0)));
    assertThat(b.path("function").asText()).isEqualTo("other");
    assertThat(b.path("input").toString()).isEqualTo("{\"prompt\":\"p\",\"seed\":7}");
  }

  @Test
  void follows303WithGetAndNeverPostsTwice() {
    ModalClient c = client(SETTINGS);
    String location = BASE + "/run?__modal_function_call_id=fc-web";
    transport.reply(303, "", "Location", location);
    transport.reply(303, "", "Location", "/modal/run?__modal_function_call_id=fc-web");
    transport.json(200, "{\"request_id\":\"fc-9\"}");

    Submitted s = submitPrompt(c);

    assertThat(s.providerJobId()).isEqualTo("fc-9");
    assertThat(transport.count("POST", "/run")).isEqualTo(1);
    assertThat(transport.call(1).method()).isEqualTo("GET");
    assertThat(transport.call(1).uri().toString()).isEqualTo(location);
    assertThat(transport.call(1).headers()).containsEntry("Modal-Key", KEY);
    assertThat(transport.call(2).method()).isEqualTo("GET");
    assertThat(transport.call(2).uri().toString()).isEqualTo(location);
  }

  private static Submitted submitPrompt(ModalClient c) {
    return c.submit(job("{\"input\":{\"prompt\":\"p\"}}"));
  }

  @Test
  void givesUpAfterTwentyRedirectsAndNeverFollowsToAnotherHost() {
    ModalClient c = client(SETTINGS);
    for (int i = 0; i <= ModalClient.MAX_REDIRECTS; i++) {
      transport.reply(303, "", "Location", BASE + "/run?__modal_function_call_id=fc-w");
    }
    transport.json(404, "{\"error\":\"no call for client_request_id\"}");
    assertThatThrownBy(() -> submitPrompt(c))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_bad_answer");
              assertThat(e.retryable()).isFalse();
            });
    // the create may have spawned a call: the app is asked by our key (it has none), never re-run
    assertThat(transport.count("POST", "/run")).isEqualTo(1);
    assertThat(transport.calls()).hasSize(ModalClient.MAX_REDIRECTS + 2);

    transport.reply(303, "", "Location", "https://evil.example/steal");
    assertThatThrownBy(() -> c.poll("fc-1")).hasMessageContaining("another host");
    assertThat(transport.calls()).hasSize(ModalClient.MAX_REDIRECTS + 3);
  }

  @ParameterizedTest
  @CsvSource({
    "PENDING, RUNNING",
    "TERMINATED, CANCELED",
    "SOMETHING_NEW, RUNNING",
  })
  void mapsNonTerminalAndCanceledStatuses(String raw, TaskStatus expected) {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\",\"status\":\"" + raw + "\"}");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/requests/fc-1/status");
    assertThat(s.status()).isEqualTo(expected);
    assertThat(s.providerStatus()).isEqualTo(raw);
    assertThat(transport.calls()).hasSize(1);
  }

  @ParameterizedTest
  @CsvSource({"FAILURE", "INIT_FAILURE", "TIMEOUT"})
  void failedCallsAreErrorsWithTheResultsErrorText(String raw) {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"" + raw + "\"}");
    transport.json(200, "{\"status\":\"" + raw + "\",\"error\":\"RuntimeError: boom\"}");

    JobState s = c.poll("fc-1");

    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.providerStatus()).isEqualTo(raw);
    assertThat(s.error()).isEqualTo("RuntimeError: boom");
  }

  @Test
  void successFetchesTheResultWithUrlAndInlineImages() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(
        200,
        """
        {"status":"SUCCESS","response":{"images":[
          {"url":"http://127.0.0.1:9/files/a.png","seed":42},
          {"base64":"iVBORw0KGgoAAAA","name":"b.png"}]}}""");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(1).uri().toString()).isEqualTo(BASE + "/requests/fc-1");
    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.outputs())
        .containsExactly(
            new Output("a.png", "http://127.0.0.1:9/files/a.png", null, "image/png"),
            new Output("b.png", null, "iVBORw0KGgoAAAA", "image/png"));
  }

  @Test
  void filesServedByTheEndpointAreFetchedWithTheProxyTokens() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(
        200,
        "{\"status\":\"SUCCESS\",\"response\":{\"images\":[{\"url\":\""
            + BASE
            + "/files/a.png\"},{\"url\":\""
            + BASE
            + "/files/b.png\"}]}}");
    transport.bytes(200, new byte[] {(byte) 0x89, 'P', 'N', 'G'}, "image/png");
    transport.reply(401, "modal-http: invalid credentials for proxy authorization");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(2).uri().toString()).isEqualTo(BASE + "/files/a.png");
    assertThat(transport.call(2).headers()).containsEntry("Modal-Key", KEY);
    assertThat(s.outputs())
        .containsExactly(
            new Output("a.png", null, "iVBORw==", "image/png"),
            new Output("b.png", BASE + "/files/b.png", null, "image/png"));
    assertThat(s.logs()).singleElement().asString().contains("b.png", "HTTP 401");
  }

  @Test
  void aResultNotReadyYetIsStillRunningAndAnExpiredOneIsDoneWithoutFiles() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(202, "{\"status\":\"PENDING\"}");
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(410, "{\"error\":\"output expired\"}");

    JobState racing = c.poll("fc-1");
    JobState expired = c.poll("fc-1");

    assertThat(racing.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(expired.status()).isEqualTo(TaskStatus.DONE);
    assertThat(expired.outputs()).isEmpty();
    assertThat(expired.logs()).singleElement().asString().contains("expire");
  }

  @Test
  void theProxysPlainText401IsPassedOnWithoutTheTokens() {
    ModalClient c = client(SETTINGS);
    transport.reply(
        401,
        "modal-http: missing credentials for proxy authorization",
        "Content-Type",
        "text/plain");

    assertThatThrownBy(() -> submitPrompt(c))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.getMessage())
                  .contains("modal-http: missing credentials for proxy authorization")
                  .doesNotContain(KEY)
                  .doesNotContain(SECRET);
              assertThat(e.sent()).isEqualTo(Sent.REFUSED);
              assertThat(e.retryable()).isFalse();
            });
  }

  @Test
  void aCreateThatTimesOutIsNeverSentAgain() {
    ModalClient c = client(SETTINGS);
    transport.fail(true);
    transport.json(404, "{\"error\":\"no call for client_request_id\"}");

    assertThatThrownBy(() -> submitPrompt(c))
        .isInstanceOfSatisfying(
            ProviderException.class, e -> assertThat(e.sent()).isEqualTo(Sent.AMBIGUOUS));
    assertThat(transport.count("POST", "/run")).isEqualTo(1);
    assertThat(transport.call(1).method()).isEqualTo("GET");
    assertThat(transport.call(1).uri().toString())
        .isEqualTo(BASE + "/lookup/" + ModalClient.clientRequestId("t1"));
    assertThat(transport.calls()).hasSize(2);
  }

  @Test
  void aCreateWhoseAnswerIsLostIsFoundByItsClientRequestId() throws Exception {
    ModalClient c = client(SETTINGS);
    transport.fail(true);
    transport.json(200, "{\"request_id\":\"fc-found\",\"status\":\"PENDING\",\"started\":false}");

    Submitted s = submitPrompt(c);

    assertThat(s.providerJobId()).isEqualTo("fc-found");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(s.state().logs()).singleElement().asString().contains("not spawned again");
    assertThat(transport.count("POST", "/run")).isEqualTo(1);
    JsonNode b = LiveContexts.MAPPER.readTree(body(transport.call(0)));
    assertThat(b.path("client_request_id").asText()).isEqualTo(ModalClient.clientRequestId("t1"));
  }

  @Test
  void theClientRequestIdIsStablePerTaskAndPathSafe() {
    assertThat(ModalClient.clientRequestId("t1"))
        .isEqualTo(ModalClient.clientRequestId("t1"))
        .isNotEqualTo(ModalClient.clientRequestId("t2"))
        .matches("comfyvn-[0-9a-f-]{36}");
  }

  @Test
  void reconcileAsksTheLookupRouteAndAnUnknownKeyIsNotThere() {
    ModalClient c = client(SETTINGS);
    transport.json(404, "{\"error\":\"no call\"}");
    transport.json(200, "{\"request_id\":\"fc-7\",\"status\":\"SUCCESS\"}");

    assertThat(c.reconcile(query("t9"))).isInstanceOf(Reconciliation.NotThere.class);
    Reconciliation r = c.reconcile(query("t9"));
    assertThat(r).isInstanceOf(Reconciliation.Found.class);
    var found = ((Reconciliation.Found) r).job();

    assertThat(transport.call(0).uri().toString())
        .isEqualTo(BASE + "/lookup/" + ModalClient.clientRequestId("t9"));
    assertThat(found.providerJobId()).isEqualTo("fc-7");
    assertThat(found.state().status()).isEqualTo(TaskStatus.DONE);
  }

  @Test
  void aResendTheAppRecognisesSaysSoInTheLogs() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\",\"created\":false}");

    Submitted s = submitPrompt(c);

    assertThat(s.providerJobId()).isEqualTo("fc-1");
    assertThat(s.state().logs()).singleElement().asString().contains("none spawned again");
  }

  private static final String GRAPH =
      "{\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
          + "\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":1,\"steps\":4,"
          + "\"latent_image\":[\"10\",0]}},"
          + "\"9\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"3\",0]}}}";

  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0};

  private static LiveJob workflowJob() throws Exception {
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    j.set("workflow", LiveContexts.MAPPER.readTree(GRAPH));
    j.putObject("inputs").put("in.png", java.util.Base64.getEncoder().encodeToString(PNG));
    WorkflowJob wf = WorkflowJobs.read(j, 5, Limits.DEFAULT).orElseThrow();
    InputFile f =
        new InputFile(
            "in.png",
            MediaKind.IMAGE,
            "image/png",
            PNG,
            "ab".repeat(32),
            InputSource.Origin.BASE64);
    return new LiveJob(
        "task-1",
        j,
        5,
        LiveContexts.settings("{\"base_url\":\"" + BASE + "\"}"),
        null,
        new WorkflowRun(wf, List.of(f)));
  }

  @Test
  void aWorkflowJobSendsTheGraphAsValidatedItsFilesAndTheOutputsWanted() throws Exception {
    // no function configured: a workflow job goes to the sample app's function
    ModalClient c = client("{\"base_url\":\"" + BASE + "\"}");
    transport.json(200, "{\"request_id\":\"fc-w\",\"created\":true}");
    LiveJob job = workflowJob();

    Submitted s = c.submit(job);

    JsonNode b = LiveContexts.MAPPER.readTree(body(transport.call(0)));
    assertThat(b.path("function").asText()).isEqualTo("comfyvn_render");
    assertThat(b.path("client_request_id").asText())
        .isEqualTo(ModalClient.clientRequestId("task-1"));
    JsonNode input = b.path("input");
    byte[] sent = LiveContexts.MAPPER.writeValueAsBytes(input.get("workflow"));
    assertThat(sent).isEqualTo(job.workflow().job().graph().bytes());
    assertThat(input.at("/inputs/in.png").asText())
        .isEqualTo(java.util.Base64.getEncoder().encodeToString(PNG));
    assertThat(input.path("outputs").toString()).isEqualTo("[\"9\"]");
    assertThat(input.path("seed").asLong()).isEqualTo(5);
    assertThat(s.providerJobId()).isEqualTo("fc-w");
    assertThat(s.state().logs()).isEmpty();
    assertThat(c.runner()).isEqualTo("Modal ComfyUI app");
  }

  @Test
  void aCallNotStartedIsQueuedAndARunningOneSaysWhereItIs() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"PENDING\",\"started\":false}");
    transport.json(
        200,
        "{\"status\":\"PENDING\",\"started\":true,\"progress\":{\"nodes_done\":2,"
            + "\"nodes_total\":4,\"step\":5,\"steps\":10,\"node_id\":\"3\","
            + "\"class_type\":\"KSampler\"}}");

    JobState queued = c.poll("fc-1");
    JobState running = c.poll("fc-1");

    assertThat(queued.status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(queued.steps()).isNull();
    assertThat(running.status()).isEqualTo(TaskStatus.RUNNING);
    assertThat(running.steps())
        .isEqualTo(new io.comfyvn.compute.gpu.LiveClient.Progress(2, 4, 5, 10, "3", "KSampler"));
    assertThat(running.progress()).isEqualTo(2.5 / 4);
  }

  @Test
  void aWorkflowResultsOutputsOfEveryKindAreFetchedByNameAndType() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"SUCCESS\"}");
    transport.json(
        200,
        "{\"status\":\"SUCCESS\",\"response\":{\"outputs\":["
            + "{\"node_id\":\"53\",\"filename\":\"clip_00001_.mp4\",\"kind\":\"video\","
            + "\"mime\":\"video/mp4\",\"url\":\""
            + BASE
            + "/files/fc-1/clip_00001_.mp4\"},"
            + "{\"node_id\":\"60\",\"filename\":\"note.txt\",\"kind\":\"text\","
            + "\"mime\":\"text/plain\",\"url\":\"https://cdn.example.org/o/note\"}],"
            + "\"images\":[]}}");
    transport.bytes(200, new byte[] {0, 0, 0, 24, 'f', 't', 'y', 'p'}, "video/mp4");

    JobState s = c.poll("fc-1");

    assertThat(transport.call(2).uri().toString()).isEqualTo(BASE + "/files/fc-1/clip_00001_.mp4");
    assertThat(s.outputs())
        .containsExactly(
            new Output("clip_00001_.mp4", null, "AAAAGGZ0eXA=", "video/mp4"),
            new Output("note.txt", "https://cdn.example.org/o/note", null, "text/plain"));
  }

  @Test
  void aMissingModelInTheErrorDetailIsATypedFailure() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"status\":\"FAILURE\"}");
    transport.json(
        200,
        "{\"status\":\"FAILURE\",\"error\":\"ComfyUIError: Value not in list\","
            + "\"error_detail\":{\"code\":\"missing_model\",\"node_id\":\"4\","
            + "\"class_type\":\"CheckpointLoaderSimple\","
            + "\"missing\":[\"checkpoints/dreamshaper_8.safetensors\"]}}");
    transport.json(200, "{\"status\":\"FAILURE\"}");
    transport.json(
        200,
        "{\"status\":\"FAILURE\",\"error\":\"x\",\"error_detail\":{\"code\":\"missing_node\","
            + "\"node_id\":\"12\",\"class_type\":\"ImageScaleFancy\"}}");

    JobState model = c.poll("fc-1");
    JobState node = c.poll("fc-1");

    assertThat(model.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(model.error()).isEqualTo("ComfyUIError: Value not in list");
    assertThat(model.failure())
        .isEqualTo(
            new io.comfyvn.compute.gpu.LiveClient.Failure(
                "missing_model",
                "4",
                "CheckpointLoaderSimple",
                List.of("checkpoints/dreamshaper_8.safetensors")));
    assertThat(node.failure().code()).isEqualTo("missing_node");
    assertThat(node.failure().names()).containsExactly("ImageScaleFancy");
  }

  @Test
  void aMalformedRunAnswerIsABadAnswer() {
    ModalClient c = client(SETTINGS);
    transport.reply(200, "<html>oops</html>", "Content-Type", "text/html");

    assertThatThrownBy(() -> submitPrompt(c))
        .hasFieldOrPropertyWithValue("code", "provider_bad_answer")
        .hasFieldOrPropertyWithValue("retryable", false);
  }

  @Test
  void cancelPostsToTheCancelRoute() {
    ModalClient c = client(SETTINGS);
    transport.json(200, "{\"request_id\":\"fc-1\",\"status\":\"TERMINATED\"}");

    JobState s = c.cancel("fc-1");

    assertThat(transport.call(0).method()).isEqualTo("POST");
    assertThat(transport.call(0).uri().toString()).isEqualTo(BASE + "/requests/fc-1/cancel");
    assertThat(s.status()).isEqualTo(TaskStatus.CANCELED);
  }

  @Test
  void healthProbesThroughTheProxy() {
    ModalClient c = client(SETTINGS);
    transport.json(404, "{\"error\":\"function call not found: fc-comfyvn-health-probe\"}");
    transport.reply(401, "modal-http: invalid credentials for proxy authorization");

    assertThat(c.health().ok()).isTrue();
    assertThat(c.health().ok()).isFalse();
    assertThat(client("{}").health().ok()).isFalse();
  }

  @Test
  void withoutABaseUrlNothingIsSent() {
    ModalClient c = client("{\"function\":\"f\"}");

    assertThatThrownBy(() -> c.poll("fc-1"))
        .hasFieldOrPropertyWithValue("code", "provider_not_configured");
    assertThatThrownBy(() -> c.poll("fc/../../x")).isInstanceOf(ProviderException.class);
    assertThat(transport.calls()).isEmpty();
  }
}
