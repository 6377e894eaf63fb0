package io.comfyvn.compute.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.Json;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The wait loop on a fake clock: the sleeper advances time, nothing sleeps. */
class WaiterTest {
  private final AtomicLong nanos = new AtomicLong(1_000);
  private final List<Duration> slept = new ArrayList<>();
  private final Waiter.Sleeper sleeper =
      d -> {
        slept.add(d);
        nanos.addAndGet(d.toNanos());
      };

  private static Deque<JsonNode> answers(String... statuses) throws Exception {
    Deque<JsonNode> q = new ArrayDeque<>();
    for (String s : statuses) {
      q.add(Json.mapper().readTree("{\"status\":\"" + s + "\"}"));
    }
    return q;
  }

  @Test
  void pollsUntilAFinalStatusAtTheInterval() throws Exception {
    Deque<JsonNode> q = answers("queued", "running", "running", "done", "never-asked");
    List<String> seen = new ArrayList<>();
    Waiter.Outcome o =
        new Waiter(nanos::get, sleeper, Duration.ofSeconds(1), null)
            .await(q::poll, a -> seen.add(a.path("status").asText()));
    assertThat(o.timedOut()).isFalse();
    assertThat(o.last().path("status").asText()).isEqualTo("done");
    assertThat(seen).containsExactly("queued", "running", "running", "done");
    assertThat(slept)
        .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
  }

  @Test
  void theDeadlineCutsTheLastSleepShortAndIsReported() throws Exception {
    Deque<JsonNode> q = answers("queued", "queued", "queued", "queued", "queued");
    Waiter.Outcome o =
        new Waiter(nanos::get, sleeper, Duration.ofSeconds(2), Duration.ofMillis(4500))
            .await(q::poll, a -> {});
    assertThat(o.timedOut()).isTrue();
    assertThat(slept)
        .containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofMillis(500));
  }

  @Test
  void errorCanceledAndLostAreFinalToo() throws Exception {
    for (String end : new String[] {"error", "canceled", "lost"}) {
      Deque<JsonNode> q = answers("running", end);
      assertThat(
              new Waiter(nanos::get, sleeper, Duration.ofMillis(10), Duration.ofMinutes(1))
                  .await(q::poll, a -> {})
                  .last()
                  .path("status")
                  .asText())
          .isEqualTo(end);
    }
  }

  @Test
  void exitCodesForStatusWords() {
    assertThat(Exit.forStatus("done").code()).isZero();
    assertThat(Exit.forStatus("error").code()).isEqualTo(1);
    assertThat(Exit.forStatus("canceled").code()).isEqualTo(6);
    assertThat(Exit.forStatus("running").code()).isEqualTo(8);
    assertThat(Exit.forStatus(null).code()).isEqualTo(8);
    // lost is final and is not done: a job may exist upstream
    assertThat(Exit.forStatus("lost").code()).isEqualTo(9);
    assertThat(Exit.terminal("lost")).isTrue();
    assertThat(Exit.forStatus("a-word-from-a-newer-service").code()).isEqualTo(8);
  }
}
