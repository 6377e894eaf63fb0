package io.comfyvn.compute.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.ModeDecision.Requested;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.status.SubmitState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The idempotency table: a first submit under a key, in each mode and with each outcome, then a
 * second submit under the same key (the same job or another one, in the same mode or another). It
 * says whether the second is answered with the first task (replay), makes a new attempt, or is a
 * 409, and counts the creates that reached the provider.
 */
class IdempotencyTableTest {
  @TempDir Path dir;

  private static final String KEY = "key-1";

  /** How the first submit goes: its mode request and what the provider answers. */
  enum First {
    LIVE_ACCEPTED(
        Requested.AUTO, w -> w.transport.json(200, "{\"id\":\"rp-1\",\"status\":\"IN_QUEUE\"}")),
    LIVE_REFUSED_422(Requested.AUTO, w -> w.transport.json(400, "{\"error\":\"bad input\"}")),
    LIVE_REFUSED_429(Requested.AUTO, w -> w.transport.json(429, "{\"error\":\"slow down\"}")),
    LIVE_NOT_SENT(Requested.AUTO, w -> w.transport.fail(false)),
    LIVE_AMBIGUOUS(Requested.AUTO, w -> w.transport.fail(true)),
    DRY_RUN(Requested.DRY_RUN, w -> {}),
    SIM(Requested.SIM, w -> {}),
    /** No secrets yet: dry-run's "missing token" answer (the flag is on, the provider live). */
    DRY_RUN_MISSING_SECRETS(Requested.AUTO, w -> {});

    final Requested requested;
    final Consumer<JobsWorld> script;

    First(Requested requested, Consumer<JobsWorld> script) {
      this.requested = requested;
      this.script = script;
    }
  }

  enum Expect {
    REPLAY,
    NEW_ATTEMPT,
    CONFLICT
  }

  /**
   * One row.
   *
   * @param second the second submit's mode request (secrets are present for it)
   * @param sameJob whether the second names the same job
   * @param creates creates the provider received in all
   */
  record Row(First first, Requested second, boolean sameJob, Expect expect, int creates) {
    @Override
    public String toString() {
      return first + " then " + second + (sameJob ? " same job" : " other job") + " -> " + expect;
    }
  }

  static Stream<Row> table() {
    List<Row> rows = new ArrayList<>();
    // the same job in the same mode: replay exactly when a job may exist upstream
    rows.add(new Row(First.LIVE_ACCEPTED, Requested.AUTO, true, Expect.REPLAY, 1));
    rows.add(new Row(First.LIVE_AMBIGUOUS, Requested.AUTO, true, Expect.REPLAY, 1));
    rows.add(new Row(First.LIVE_REFUSED_422, Requested.AUTO, true, Expect.NEW_ATTEMPT, 2));
    rows.add(new Row(First.LIVE_REFUSED_429, Requested.AUTO, true, Expect.NEW_ATTEMPT, 2));
    rows.add(new Row(First.LIVE_NOT_SENT, Requested.AUTO, true, Expect.NEW_ATTEMPT, 2));
    rows.add(new Row(First.DRY_RUN, Requested.DRY_RUN, true, Expect.REPLAY, 0));
    rows.add(new Row(First.SIM, Requested.SIM, true, Expect.REPLAY, 0));
    // another mode: a dry-run or sim answer does not hide a live submit, nor the reverse
    rows.add(new Row(First.DRY_RUN, Requested.AUTO, true, Expect.NEW_ATTEMPT, 1));
    rows.add(new Row(First.SIM, Requested.AUTO, true, Expect.NEW_ATTEMPT, 1));
    rows.add(new Row(First.DRY_RUN_MISSING_SECRETS, Requested.AUTO, true, Expect.NEW_ATTEMPT, 1));
    rows.add(new Row(First.LIVE_ACCEPTED, Requested.DRY_RUN, true, Expect.NEW_ATTEMPT, 1));
    rows.add(new Row(First.LIVE_AMBIGUOUS, Requested.SIM, true, Expect.NEW_ATTEMPT, 1));
    // another job under the key: always a 409, whatever the first outcome and mode
    for (First f : First.values()) {
      for (Requested second : List.of(Requested.AUTO, Requested.DRY_RUN)) {
        rows.add(
            new Row(
                f,
                second,
                false,
                Expect.CONFLICT,
                f.requested == Requested.AUTO && f != First.DRY_RUN_MISSING_SECRETS ? 1 : 0));
      }
    }
    return rows.stream();
  }

  private static GpuRequest request(Requested mode, String prompt) {
    ObjectNode job = JsonNodeFactory.instance.objectNode();
    job.putObject("input").put("prompt", prompt);
    return new GpuRequest("runpod", job, JsonNodeFactory.instance.objectNode(), null, mode, KEY);
  }

  /** A submit's answer, or the failure it ended in. */
  private record Outcome(Results.Submit answer, ComputeException failure) {
    String taskId() {
      return answer != null ? answer.taskId() : (String) failure.details().get("task_id");
    }
  }

  private static Outcome submit(JobsWorld w, GpuRequest req) {
    try {
      return new Outcome(w.gpu.submit(req), null);
    } catch (ComputeException e) {
      return new Outcome(null, e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void theSecondSubmitUnderAKey(Row row) throws Exception {
    try (JobsWorld w = new JobsWorld(dir, true, row.first() != First.DRY_RUN_MISSING_SECRETS)) {
      row.first().script.accept(w);
      Outcome first = submit(w, request(row.first().requested, "castle"));
      assertFirst(row.first(), first);
      w.home.secrets(JobsWorld.SECRETS);

      // the second create, if one is made, is accepted
      w.transport.json(200, "{\"id\":\"rp-2\",\"status\":\"IN_QUEUE\"}");
      Outcome second = submit(w, request(row.second(), row.sameJob() ? "castle" : "forest"));
      switch (row.expect()) {
        case REPLAY -> {
          assertThat(second.answer()).isNotNull();
          assertThat(second.taskId()).isEqualTo(first.taskId());
          if (row.first().requested == Requested.AUTO) {
            assertThat(second.answer().replayed()).isTrue();
          } else {
            // dry-run and sim: the same bytes however often the same request comes
            assertThat(Json.mapper().writeValueAsString(second.answer()))
                .isEqualTo(Json.mapper().writeValueAsString(first.answer()));
          }
        }
        case NEW_ATTEMPT -> {
          assertThat(second.answer()).isNotNull();
          assertThat(second.answer().ok()).isTrue();
          assertThat(second.taskId()).isNotEqualTo(first.taskId());
          assertThat(second.answer().replayed()).isNull();
          assertThat(w.tasks.attempts(KEY)).hasSize(2);
        }
        case CONFLICT -> {
          assertThat(second.failure()).isNotNull();
          assertThat(second.failure().code()).isEqualTo("idempotency_conflict");
          assertThat(second.failure().kind()).isEqualTo(ComputeException.Kind.CONFLICT);
          assertThat(w.tasks.attempts(KEY)).hasSize(1);
        }
      }
      assertThat(w.transport.count("POST", "/run")).isEqualTo(row.creates());
    }
  }

  /** What the first submit itself answers, row by row. */
  private static void assertFirst(First f, Outcome o) {
    switch (f) {
      case LIVE_ACCEPTED -> {
        assertThat(o.answer().submitState()).isEqualTo(SubmitState.ACCEPTED);
        assertThat(o.answer().mode()).isEqualTo(Mode.LIVE);
      }
      case LIVE_REFUSED_422, LIVE_REFUSED_429 -> {
        assertThat(o.failure()).isInstanceOf(ProviderException.class);
        assertThat(((ProviderException) o.failure()).sent())
            .isEqualTo(ProviderException.Sent.REFUSED);
      }
      case LIVE_NOT_SENT -> {
        assertThat(o.failure().retryable()).isTrue();
        assertThat(o.failure().details()).doesNotContainKey("reconcile");
      }
      case LIVE_AMBIGUOUS -> {
        // a client that obeys this never pays twice: not retryable, reconcile instead
        assertThat(o.failure().code()).isEqualTo("provider_timeout");
        assertThat(o.failure().retryable()).isFalse();
        assertThat(o.failure().details()).containsEntry("reconcile", true);
      }
      case DRY_RUN ->
          assertThat(o.answer().id()).isEqualTo(o.answer().id()).startsWith("mock-runpod-");
      case SIM -> assertThat(o.answer().id()).startsWith("sim-runpod-");
      case DRY_RUN_MISSING_SECRETS -> {
        assertThat(o.answer().ok()).isFalse();
        assertThat(o.answer().reason()).isEqualTo("missing token");
        assertThat(o.answer().missingSecrets()).containsExactly("runpod.api_key");
      }
    }
  }
}
