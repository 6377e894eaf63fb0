package io.comfyvn.compute.gpu.huggingface;

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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HuggingFaceClientTest {
  private static final String TOKEN = "hf_test_token_abcdef";
  private static final String MGMT = "http://127.0.0.1:9/huggingface/v2";
  private static final String JOBS = "http://127.0.0.1:9/huggingface/api";
  private static final String INFER = "http://127.0.0.1:9/huggingface/inference/fake-sdxl";
  private static final String SETTINGS =
      "{\"base_url\":\""
          + MGMT
          + "\",\"namespace\":\"comfyvn\",\"endpoint\":\"fake-sdxl\",\"jobs_base_url\":\""
          + JOBS
          + "\"}";
  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1};

  /** Runs queued work only when the test says, so a test sees each step. */
  private static final class StepExecutor implements Executor {
    private final List<Runnable> queued = new ArrayList<>();

    @Override
    public void execute(Runnable r) {
      queued.add(r);
    }

    void runAll() {
      List<Runnable> now = new ArrayList<>(queued);
      queued.clear();
      now.forEach(Runnable::run);
    }
  }

  /** A clock the run's pauses move forward, so waiting for an endpoint takes no real time. */
  private static final class TestClock extends Clock {
    private Instant now = Instant.parse("2026-11-29T12:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public synchronized Instant instant() {
      return now;
    }

    synchronized void advance(Duration d) {
      now = now.plus(d);
    }
  }

  private final ScriptedTransport transport = new ScriptedTransport();
  private final StepExecutor executor = new StepExecutor();
  private final TestClock clock = new TestClock();
  private final List<Duration> pauses = new ArrayList<>();
  private final InferenceRuns runs =
      new InferenceRuns(
          executor,
          clock,
          d -> {
            pauses.add(d);
            clock.advance(d);
          });

  private HuggingFaceClient client(String settings) {
    return new HuggingFaceClient(
        LiveContexts.of(
            new HuggingFaceProvider(), transport, settings, HuggingFaceClient.SECRET, TOKEN),
        runs);
  }

  private static LiveJob job(String taskId, String json, String settings) {
    try {
      return new LiveJob(
          taskId,
          (ObjectNode) LiveContexts.MAPPER.readTree(json),
          42,
          LiveContexts.settings(settings),
          null);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static LiveJob prompt(String taskId) {
    return job(taskId, "{\"input\":{\"prompt\":\"a cat\",\"width\":512}}", SETTINGS);
  }

  private static String endpoint(String state, boolean withUrl) {
    return "{\"name\":\"fake-sdxl\",\"type\":\"protected\",\"status\":{\"state\":\""
        + state
        + "\",\"message\":\"Endpoint is "
        + state
        + "\""
        + (withUrl ? ",\"url\":\"" + INFER + "\"" : "")
        + ",\"readyReplica\":0}}";
  }

  private static JsonNode json(HttpCall call) throws Exception {
    return LiveContexts.MAPPER.readTree(body(call));
  }

  @Test
  void aRunningEndpointGetsOneInferenceRequestAndTheImageIsTheOutput() throws Exception {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));

    Submitted s = c.submit(prompt("t1"));

    assertThat(s.providerJobId()).isEqualTo("hfie-t1");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.QUEUED);
    HttpCall get = transport.call(0);
    assertThat(get.method()).isEqualTo("GET");
    assertThat(get.uri().toString()).isEqualTo(MGMT + "/endpoint/comfyvn/fake-sdxl");
    assertThat(get.headers()).containsEntry("Authorization", "Bearer " + TOKEN);

    transport.bytes(200, PNG, "image/png");
    executor.runAll();

    HttpCall infer = transport.call(1);
    assertThat(infer.method()).isEqualTo("POST");
    assertThat(infer.uri().toString()).isEqualTo(INFER);
    assertThat(infer.headers())
        .containsEntry("X-Scale-Up-Timeout", "600")
        .containsEntry("Authorization", "Bearer " + TOKEN);
    assertThat(json(infer).toString())
        .isEqualTo("{\"inputs\":\"a cat\",\"parameters\":{\"width\":512,\"seed\":42}}");
    JobState done = c.poll("hfie-t1");
    assertThat(done.status()).isEqualTo(TaskStatus.DONE);
    assertThat(done.providerStatus()).isEqualTo("completed");
    assertThat(done.outputs())
        .containsExactly(
            new Output("output.png", null, Base64.getEncoder().encodeToString(PNG), "image/png"));
    assertThat(transport.calls()).hasSize(2);
  }

  @Test
  void theInferenceRequestWaitsOutTheScaleUpItAsksForWhileReadsStayShort() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("scaledToZero", true));
    transport.json(400, "{\"error\":\"Endpoint fake-sdxl is already running\"}");
    c.submit(prompt("t1"));
    transport.bytes(200, PNG, "image/png");
    executor.runAll();

    // a scaled-to-zero endpoint with a URL wakes on the request itself
    HttpCall infer = transport.call(2);
    assertThat(infer.uri().toString()).isEqualTo(INFER);
    // HF's proxy may hold the request 600 s for a cold endpoint, then the inference runs: the
    // read timeout covers both (a 30 s timeout would end a paid cold start as provider_timeout)
    assertThat(infer.headers()).containsEntry("X-Scale-Up-Timeout", "600");
    assertThat(transport.timeouts().get(2)).isEqualTo(Duration.ofSeconds(600 + 30));
    // the management API's reads (endpoint state, resume) keep the short read timeout
    assertThat(transport.timeouts().subList(0, 2)).containsOnly(Duration.ofSeconds(10));
    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.DONE);
  }

  @Test
  void theSameTaskSubmittedAgainReportsTheSameRunAndSendsNothing() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    c.submit(prompt("t1"));

    Submitted again = client(SETTINGS).submit(prompt("t1"));

    assertThat(again.providerJobId()).isEqualTo("hfie-t1");
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void aScaledToZeroEndpointIsResumedAndAwaitedBeforeTheRequest() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("scaledToZero", false));
    transport.json(200, endpoint("initializing", false));

    c.submit(prompt("t1"));

    assertThat(transport.call(1).method()).isEqualTo("POST");
    assertThat(transport.call(1).uri().toString())
        .isEqualTo(MGMT + "/endpoint/comfyvn/fake-sdxl/resume");
    assertThat(c.poll("hfie-t1").logs())
        .containsExactly(
            "Endpoint fake-sdxl is scaledToZero", "Asked endpoint fake-sdxl to resume");

    transport.json(200, endpoint("initializing", true));
    transport.json(200, endpoint("running", true));
    transport.bytes(200, PNG, "image/png");
    executor.runAll();

    assertThat(pauses).containsExactly(Duration.ofMillis(250), Duration.ofMillis(500));
    assertThat(transport.count("POST", "/fake-sdxl")).isEqualTo(1);
    assertThat(transport.call(4).headers()).containsEntry("X-Scale-Up-Timeout", "600");
    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.DONE);
  }

  @Test
  void aRefusedResumeIsNotFatalAndAScaledToZeroEndpointWakesOnTheRequest() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("scaledToZero", true));
    transport.json(400, "{\"error\":\"Endpoint fake-sdxl is already running\"}");

    c.submit(prompt("t1"));
    transport.bytes(200, PNG, "image/png");
    executor.runAll();

    assertThat(c.poll("hfie-t1").logs().get(1)).contains("did not resume", "already running");
    assertThat(pauses).isEmpty();
    assertThat(transport.call(2).uri().toString()).isEqualTo(INFER);
    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.DONE);
  }

  @Test
  void aFailedEndpointRefusesTheSubmit() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("failed", false));

    assertThatThrownBy(() -> c.submit(prompt("t1")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("provider_endpoint_failed");
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
              assertThat(e.getMessage()).contains("failed");
            });
    assertThat(c.poll("hfie-t1").providerStatus()).isEqualTo("lost");
  }

  @Test
  void anEndpointThatNeverStartsEndsTheRunWithoutSendingTheRequest() {
    String settings = SETTINGS.replace("}", ",\"scale_up_timeout_s\":\"12\"}");
    HuggingFaceClient c = client(settings);
    // waits of 0.25, 0.5, 1, 2, 4, 5 s: the sixth read is past 12 s
    for (int i = 0; i < 7; i++) {
      transport.json(200, endpoint("initializing", false));
    }

    c.submit(job("t1", "{\"input\":{\"prompt\":\"p\"}}", settings));
    executor.runAll();

    JobState s = c.poll("hfie-t1");
    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.error()).contains("still initializing", "not sent");
    assertThat(transport.count("POST", "/fake-sdxl")).isZero();
    assertThat(pauses).last().isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void aFailedInferenceIsAnErrorWithTheProvidersTextAndIsNotResent() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    c.submit(prompt("t1"));
    transport.json(500, "{\"error\":\"CUDA error: out of memory\"}");
    transport.bytes(200, PNG, "image/png");

    executor.runAll();

    JobState s = c.poll("hfie-t1");
    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.error()).contains("HTTP 500", "CUDA error: out of memory");
    assertThat(transport.count("POST", "/fake-sdxl")).isEqualTo(1);
  }

  @Test
  void anInferenceThatTimesOutIsNotResent() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    c.submit(prompt("t1"));
    transport.fail(true);
    transport.bytes(200, PNG, "image/png");

    executor.runAll();

    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.ERROR);
    assertThat(transport.count("POST", "/fake-sdxl")).isEqualTo(1);
  }

  @Test
  void aCanceledRunNeverSendsItsRequest() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    c.submit(prompt("t1"));

    JobState canceled = c.cancel("hfie-t1");
    executor.runAll();

    assertThat(canceled.status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(transport.calls()).hasSize(1);
  }

  @Test
  void aJsonAnswerGivesItsFilesOrIsLogged() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    transport.json(200, endpoint("running", true));
    c.submit(prompt("t1"));
    c.submit(prompt("t2"));
    transport.json(200, "[{\"image\":\"data:image/png;base64,iVBORw0KGgo=\"}]");
    transport.json(200, "[{\"generated_text\":\"hello\"}]");

    executor.runAll();

    assertThat(c.poll("hfie-t1").outputs()).extracting(Output::mime).containsExactly("image/png");
    JobState text = c.poll("hfie-t2");
    assertThat(text.outputs()).isEmpty();
    assertThat(text.logs()).last().asString().contains("generated_text");
  }

  @Test
  void aFullExecutorRefusesTheSubmitWithoutSendingTheInference() {
    HuggingFaceClient c =
        new HuggingFaceClient(
            LiveContexts.of(
                new HuggingFaceProvider(), transport, SETTINGS, HuggingFaceClient.SECRET, TOKEN),
            new InferenceRuns(
                r -> {
                  throw new RejectedExecutionException("full");
                },
                clock,
                d -> {}));
    transport.json(200, endpoint("running", true));

    assertThatThrownBy(() -> c.submit(prompt("t1")))
        .isInstanceOfSatisfying(
            ProviderException.class,
            e -> {
              assertThat(e.code()).isEqualTo("local_capacity");
              assertThat(e.retryable()).isTrue();
              assertThat(e.sent()).isEqualTo(Sent.NOT_SENT);
            });
  }

  @Test
  void refusesJobsWithoutAPromptAndSettingsWithoutAnEndpoint() {
    HuggingFaceClient c = client(SETTINGS);

    assertThatThrownBy(() -> c.submit(job("t1", "{\"input\":{\"steps\":3}}", SETTINGS)))
        .hasFieldOrPropertyWithValue("code", "invalid_job");
    assertThatThrownBy(() -> c.submit(job("t1", "{\"input\":{\"prompt\":\"p\"}}", "{}")))
        .hasFieldOrPropertyWithValue("code", "provider_not_configured");
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void aFixedEndpointUrlSkipsTheManagementApi() throws Exception {
    String settings = "{\"endpoint_url\":\"" + INFER + "\"}";
    HuggingFaceClient c = client(settings);

    c.submit(job("t1", "{\"inputs\":\"raw\",\"parameters\":{\"seed\":1}}", settings));
    transport.bytes(200, PNG, "image/jpeg");
    executor.runAll();

    assertThat(transport.calls()).hasSize(1);
    assertThat(json(transport.call(0)).toString())
        .isEqualTo("{\"inputs\":\"raw\",\"parameters\":{\"seed\":1}}");
    assertThat(c.poll("hfie-t1").outputs()).extracting(Output::name).containsExactly("output.jpg");
  }

  @Test
  void aRequestCannotPointTheTokenAtAnotherUrl() {
    HuggingFaceClient c = client("{}");
    String overridden = "{\"endpoint_url\":\"https://evil.example/collect\"}";

    assertThatThrownBy(() -> c.submit(job("t1", "{\"inputs\":\"x\"}", overridden)))
        .hasFieldOrPropertyWithValue("code", "provider_not_configured");
    executor.runAll();
    assertThat(transport.calls()).isEmpty();
  }

  @Test
  void healthReportsTheEndpointsState() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("scaledToZero", true));
    transport.json(200, endpoint("failed", false));
    transport.json(401, "{\"error\":\"Invalid credentials in Authorization header\"}");

    assertThat(c.health().detail())
        .isEqualTo("endpoint fake-sdxl is scaledToZero: Endpoint is scaledToZero");
    assertThat(c.health().ok()).isFalse();
    assertThat(c.health().detail()).contains("Invalid credentials").doesNotContain(TOKEN);
  }

  // ---- HF Jobs ----

  private static String jobInfo(String stage, String message) {
    return "{\"id\":\"65f0a1\",\"createdAt\":\"2026-11-29T12:00:00Z\",\"dockerImage\":\"python:3.12\","
        + "\"status\":{\"stage\":\""
        + stage
        + "\",\"message\":"
        + (message == null ? "null" : "\"" + message + "\"")
        + "},\"owner\":{\"name\":\"comfyvn\"}}";
  }

  @Test
  void aContainerJobGoesToHfJobsWithTheComfyvnEnvironment() throws Exception {
    HuggingFaceClient c = client(SETTINGS.replace("}", ",\"flavor\":\"a10g-small\"}"));
    transport.json(200, jobInfo("SCHEDULING", null));

    Submitted s =
        c.submit(
            job(
                "t7",
                "{\"docker_image\":\"python:3.12\",\"command\":[\"python\",\"-c\",\"print(1)\"],"
                    + "\"env\":{\"A\":\"b\"},\"timeout_seconds\":600,"
                    + "\"input\":{\"prompt\":\"a cat\"}}",
                SETTINGS.replace("}", ",\"flavor\":\"a10g-small\"}")));

    HttpCall call = transport.call(0);
    assertThat(call.uri().toString()).isEqualTo(JOBS + "/jobs/comfyvn");
    assertThat(call.headers()).containsEntry("Authorization", "Bearer " + TOKEN);
    JsonNode b = json(call);
    assertThat(b.path("dockerImage").asText()).isEqualTo("python:3.12");
    assertThat(b.path("command").toString()).isEqualTo("[\"python\",\"-c\",\"print(1)\"]");
    assertThat(b.path("flavor").asText()).isEqualTo("a10g-small");
    assertThat(b.path("timeoutSeconds").asLong()).isEqualTo(600);
    assertThat(b.path("labels").path("comfyvn_task").asText()).isEqualTo("t7");
    JsonNode env = b.path("environment");
    assertThat(env.path("A").asText()).isEqualTo("b");
    assertThat(env.path("COMFYVN_SEED").asText()).isEqualTo("42");
    assertThat(env.path("COMFYVN_PROMPT").asText()).isEqualTo("a cat");
    assertThat(env.path("COMFYVN_TASK_ID").asText()).isEqualTo("t7");
    assertThat(s.providerJobId()).isEqualTo("comfyvn/65f0a1");
    assertThat(s.state().status()).isEqualTo(TaskStatus.QUEUED);
  }

  @ParameterizedTest
  @CsvSource({
    "SCHEDULING, QUEUED",
    "RUNNING, RUNNING",
    "UPDATING, RUNNING",
    "CANCELED, CANCELED",
    "DELETED, CANCELED",
    "SOMETHING_NEW, RUNNING"
  })
  void mapsJobStages(String stage, TaskStatus expected) {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, jobInfo(stage, null));
    if (expected.terminal()) {
      transport.reply(200, "", "Content-Type", "text/event-stream");
    }

    JobState s = c.poll("comfyvn/65f0a1");

    assertThat(transport.call(0).uri().toString()).isEqualTo(JOBS + "/jobs/comfyvn/65f0a1");
    assertThat(s.status()).isEqualTo(expected);
    assertThat(s.providerStatus()).isEqualTo(stage);
  }

  @Test
  void aFinishedJobBringsItsLogsAndTheArtifactsItPrinted() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, jobInfo("COMPLETED", null));
    transport.reply(
        200,
        "data: {\"data\":\"===== Job started =====\",\"timestamp\":\"t\"}\n\n"
            + "data: {\"data\":\"step 1/2\",\"timestamp\":\"t\"}\n\n"
            + ": keep-alive\n\n"
            + "data: {\"data\":\"artifact: http://127.0.0.1:9/files/x.png\",\"timestamp\":\"t\"}\n\n",
        "Content-Type",
        "text/event-stream");

    JobState s = c.poll("comfyvn/65f0a1");

    assertThat(transport.call(1).uri().toString()).isEqualTo(JOBS + "/jobs/comfyvn/65f0a1/logs");
    assertThat(s.status()).isEqualTo(TaskStatus.DONE);
    assertThat(s.logs())
        .containsExactly(
            "===== Job started =====", "step 1/2", "artifact: http://127.0.0.1:9/files/x.png");
    assertThat(s.outputs())
        .containsExactly(new Output("x.png", "http://127.0.0.1:9/files/x.png", null, "image/png"));
  }

  @Test
  void aFailedJobCarriesItsMessageAndSurvivesMissingLogs() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, jobInfo("ERROR", "Job failed with exit code: 1"));
    transport.json(404, "{\"error\":\"logs not found\"}");

    JobState s = c.poll("comfyvn/65f0a1");

    assertThat(s.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(s.error()).isEqualTo("Job failed with exit code: 1");
    assertThat(s.logs()).singleElement().asString().startsWith("Logs unavailable");
  }

  @Test
  void cancelsAJob() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, jobInfo("CANCELED", "Job canceled"));

    assertThat(c.cancel("comfyvn/65f0a1").status()).isEqualTo(TaskStatus.CANCELED);
    assertThat(transport.call(0).method()).isEqualTo("POST");
    assertThat(transport.call(0).uri().toString()).isEqualTo(JOBS + "/jobs/comfyvn/65f0a1/cancel");
    assertThatThrownBy(() -> c.cancel("comfyvn/../x"))
        .hasFieldOrPropertyWithValue("code", "invalid_job");
  }

  @Test
  void aContainerJobNeedsACommandAndATimedOutCreateIsNotResent() {
    HuggingFaceClient c = client(SETTINGS);
    assertThatThrownBy(() -> c.submit(job("t1", "{\"docker_image\":\"python:3.12\"}", SETTINGS)))
        .hasFieldOrPropertyWithValue("code", "invalid_job");

    transport.fail(true);
    assertThatThrownBy(
            () ->
                c.submit(
                    job(
                        "t1",
                        "{\"space_id\":\"acme/render\",\"command\":\"python run.py\"}",
                        SETTINGS)))
        .hasFieldOrPropertyWithValue("sent", Sent.AMBIGUOUS);
    assertThat(transport.calls()).hasSize(1);
  }

  private static Reconciliation.Query query(String taskId, String job) {
    try {
      return new Reconciliation.Query(
          taskId,
          java.time.Instant.EPOCH,
          java.time.Instant.EPOCH,
          (ObjectNode) LiveContexts.MAPPER.readTree(job),
          1,
          id -> false,
          () -> {
            throw new AssertionError("Hugging Face never resends a create");
          });
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void anHfJobIsFoundAgainByItsTaskLabel() {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(
        200,
        "[{\"id\":\"j-other\",\"labels\":{\"comfyvn_task\":\"t0\"},\"status\":{\"stage\":\"RUNNING\"}},"
            + "{\"id\":\"j-ours\",\"labels\":{\"comfyvn_task\":\"t1\"},\"status\":{\"stage\":\"SCHEDULING\"}}]");
    Reconciliation r = c.reconcile(query("t1", "{\"docker_image\":\"img\",\"command\":\"run\"}"));
    assertThat(transport.call(0).uri().toString()).isEqualTo(JOBS + "/jobs/comfyvn");
    assertThat(r).isInstanceOf(Reconciliation.Found.class);
    assertThat(((Reconciliation.Found) r).job().providerJobId()).isEqualTo("comfyvn/j-ours");
    assertThat(((Reconciliation.Found) r).job().state().status()).isEqualTo(TaskStatus.QUEUED);

    transport.json(200, "[]");
    assertThat(c.reconcile(query("t2", "{\"docker_image\":\"img\",\"command\":\"run\"}")))
        .isInstanceOf(Reconciliation.NotThere.class);
  }

  @Test
  void anInferenceCallCannotBeFoundAgainAndAskingSendsNothing() {
    HuggingFaceClient c = client(SETTINGS);
    Reconciliation r = c.reconcile(query("t1", "{\"input\":{\"prompt\":\"a cat\"}}"));
    assertThat(r).isInstanceOf(Reconciliation.CannotTell.class);
    assertThat(((Reconciliation.CannotTell) r).mayLearnLater()).isFalse();
    assertThat(transport.calls()).isEmpty();
    // and a run this process no longer holds polls as lost, not as an error
    assertThat(c.poll("hfie-t1").status()).isEqualTo(TaskStatus.LOST);
  }

  private static final String GRAPH =
      "{\"4\":{\"class_type\":\"CheckpointLoaderSimple\",\"inputs\":{\"ckpt_name\":\"a.safetensors\"}},"
          + "\"10\":{\"class_type\":\"LoadImage\",\"inputs\":{\"image\":\"in.png\"}},"
          + "\"3\":{\"class_type\":\"KSampler\",\"inputs\":{\"seed\":1,\"model\":[\"4\",0],"
          + "\"latent_image\":[\"10\",0]}},"
          + "\"9\":{\"class_type\":\"SaveImage\",\"inputs\":{\"images\":[\"3\",0]}}}";

  private static LiveJob workflowJob(String taskId) throws Exception {
    ObjectNode j = LiveContexts.MAPPER.createObjectNode();
    j.set("workflow", LiveContexts.MAPPER.readTree(GRAPH));
    j.putObject("inputs").put("in.png", java.util.Base64.getEncoder().encodeToString(PNG));
    var wf =
        io.comfyvn.compute.workflow.WorkflowJobs.read(
                j, 5, io.comfyvn.compute.workflow.Limits.DEFAULT)
            .orElseThrow();
    var f =
        new io.comfyvn.compute.workflow.InputFile(
            "in.png",
            io.comfyvn.compute.workflow.MediaKind.IMAGE,
            "image/png",
            PNG,
            "ab".repeat(32),
            io.comfyvn.compute.workflow.InputSource.Origin.BASE64);
    return new LiveJob(
        taskId,
        j,
        5,
        LiveContexts.settings(SETTINGS),
        null,
        new io.comfyvn.compute.workflow.WorkflowRun(wf, List.of(f)));
  }

  @Test
  void aWorkflowJobGoesToTheComfyUiContainerInItsEnvelopeAndItsOutputsComeBackInline()
      throws Exception {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    LiveJob job = workflowJob("t1");
    c.submit(job);
    transport.json(
        200,
        "{\"request_id\":\"x\",\"outputs\":[{\"node_id\":\"9\",\"filename\":\"ComfyVN_00001_.png\","
            + "\"kind\":\"image\",\"mime\":\"image/png\",\"base64\":\"iVBORw0KGgo=\"}]}");
    executor.runAll();

    HttpCall infer = transport.call(1);
    assertThat(infer.uri().toString()).isEqualTo(INFER);
    JsonNode body = LiveContexts.MAPPER.readTree(ScriptedTransport.body(infer));
    assertThat(LiveContexts.MAPPER.writeValueAsBytes(body.at("/inputs/workflow")))
        .isEqualTo(job.workflow().job().graph().bytes());
    assertThat(body.at("/inputs/files/in.png").asText())
        .isEqualTo(java.util.Base64.getEncoder().encodeToString(PNG));
    assertThat(body.at("/inputs/outputs").toString()).isEqualTo("[\"9\"]");
    assertThat(body.at("/parameters/seed").asLong()).isEqualTo(5);
    assertThat(body.at("/parameters/request_id").asText())
        .isEqualTo(HuggingFaceClient.requestId("t1"))
        .isNotEqualTo(HuggingFaceClient.requestId("t2"));
    JobState done = c.poll("hfie-t1");
    assertThat(done.status()).isEqualTo(TaskStatus.DONE);
    assertThat(done.outputs())
        .containsExactly(
            new io.comfyvn.compute.gpu.LiveClient.Output(
                "ComfyVN_00001_.png", null, "iVBORw0KGgo=", "image/png"));
    assertThat(c.runner()).isEqualTo("HF Inference Endpoint (ComfyUI container)");
  }

  @Test
  void theContainersRefusalNamesTheMissingModelWithItsFolderAndNothingIsResent() throws Exception {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    c.submit(workflowJob("t1"));
    transport.json(
        422,
        "{\"error\":{\"code\":\"missing_model\",\"node_id\":\"4\","
            + "\"class_type\":\"CheckpointLoaderSimple\",\"message\":\"Value not in list\","
            + "\"missing\":[\"a.safetensors\"]}}");
    executor.runAll();

    JobState failed = c.poll("hfie-t1");
    assertThat(failed.status()).isEqualTo(TaskStatus.ERROR);
    assertThat(failed.failure())
        .isEqualTo(
            new io.comfyvn.compute.gpu.LiveClient.Failure(
                "missing_model",
                "4",
                "CheckpointLoaderSimple",
                List.of("checkpoints/a.safetensors")));
    assertThat(failed.error()).contains("HTTP 422", "missing_model", "Value not in list");
    assertThat(transport.count("POST", "/fake-sdxl")).isEqualTo(1);
  }

  @Test
  void aMissingNodeIsNamedAndOtherRefusalsAreTheirMessage() throws Exception {
    HuggingFaceClient c = client(SETTINGS);
    transport.json(200, endpoint("running", true));
    c.submit(workflowJob("t1"));
    transport.json(
        422, "{\"error\":{\"code\":\"missing_node\",\"node_id\":\"10\",\"class_type\":\"Fancy\"}}");
    executor.runAll();
    transport.json(200, endpoint("running", true));
    c.submit(workflowJob("t2"));
    transport.json(400, "{\"error\":{\"code\":\"invalid_input\",\"message\":\"bad name\"}}");
    executor.runAll();

    assertThat(c.poll("hfie-t1").failure().names()).containsExactly("Fancy");
    JobState other = c.poll("hfie-t2");
    assertThat(other.failure()).isNull();
    assertThat(other.error()).contains("invalid_input", "bad name");
  }
}
