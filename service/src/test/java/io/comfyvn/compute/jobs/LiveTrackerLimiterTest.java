package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.Json;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.fakes.FakeClock;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.gpu.http.EgressGuard;
import io.comfyvn.compute.provenance.ArtifactStore;
import io.comfyvn.compute.secrets.SecretStore;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.support.LiveContexts;
import io.comfyvn.compute.support.ScriptedTransport;
import io.comfyvn.compute.support.TestHome;
import io.comfyvn.compute.tasks.Submission;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A poll the local rate limiter refuses sends nothing, holds no worker, and is rescheduled for when
 * a token is free (the refusal's {@code Retry-After}), instead of being tried again every poll
 * interval: all on a manual clock and scheduler.
 */
class LiveTrackerLimiterTest {
  @TempDir Path dir;

  private final FakeClock clock = new FakeClock(Instant.parse("2026-12-01T12:00:00Z"));
  private final ManualScheduler scheduler = new ManualScheduler();
  private final ScriptedTransport transport = new ScriptedTransport();

  /** Moves the clock and the scheduler together, in 100 ms steps. */
  private void advance(Duration d) {
    for (long ms = 0; ms < d.toMillis(); ms += 100) {
      clock.advance(Duration.ofMillis(100));
      scheduler.advance(100);
    }
  }

  @Test
  void aPollPastTheLimitWaitsForTheLimiterNotTheBackOff() {
    TestHome home = new TestHome(dir);
    home.config(
        "{\"features\":{\"enable_public_gpu_adapters\":true},"
            + "\"tracker\":{\"initial_poll_ms\":100,\"max_poll_ms\":400},"
            + "\"providers_gpu\":{\"runpod\":{\"mode\":\"live\","
            + "\"base_url\":\"http://127.0.0.1:9/runpod/v2\",\"endpoint_id\":\"ep\","
            + "\"resilience\":{\"retry\":{\"max_attempts\":1},\"limiter_max_wait_ms\":0,"
            + "\"rate_limits\":{\"read\":{\"permits\":1,\"period_ms\":60000}}}}}}");
    home.secrets("{\"runpod\":{\"api_key\":\"rp-canary-key\"}}");
    AppConfig config = new ConfigLoader(Json.mapper()).load(dir);
    SecretStore secrets = new SecretStore(dir, Json.mapper());
    TaskRegistry tasks = new TaskRegistry(new MemoryTaskStore(), clock);
    LiveClients clients =
        new LiveClients(
            config,
            secrets,
            new EgressGuard(transport, LiveContexts.testPolicy(), secrets::all),
            Json.mapper(),
            clock,
            d -> clock.advance(d));
    try (LiveTracker tracker =
        new LiveTracker(
            tasks,
            GpuProviders.discover(),
            clients,
            new ArtifactStore(dir, Json.mapper(), clock, "test"),
            clock,
            LiveTracker.Settings.of(config),
            scheduler,
            Runnable::run)) {
      Submission s =
          new Submission(
              Mode.LIVE,
              "runpod",
              "job-1",
              SubmitState.ACCEPTED,
              7,
              "fp",
              null,
              List.of(),
              null,
              null);
      tasks.register(
          new TaskRegistry.Draft(
              "t1", GpuService.TASK_KIND, TaskStatus.QUEUED, 0, "m", s, TaskRegistry.newDetails()));
      transport.json(200, "{\"id\":\"job-1\",\"status\":\"IN_QUEUE\"}");
      tracker.follow("t1");

      // 1 read a minute (at 90%: one per 66.7 s): the first poll goes, the next is refused
      advance(Duration.ofSeconds(60));
      assertThat(transport.calls()).hasSize(1);
      // follow, the poll after the first, the one after the refusal: no poll every 400 ms
      assertThat(scheduler.scheduled()).isLessThanOrEqualTo(3);

      transport.json(200, "{\"id\":\"job-1\",\"status\":\"IN_PROGRESS\"}");
      advance(Duration.ofSeconds(8));
      assertThat(transport.calls()).hasSize(2);
      assertThat(tasks.get("t1").orElseThrow().status()).isEqualTo(TaskStatus.RUNNING);
    }
  }
}
