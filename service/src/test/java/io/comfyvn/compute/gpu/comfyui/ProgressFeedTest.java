package io.comfyvn.compute.gpu.comfyui;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.gpu.LiveClient.Progress;
import io.comfyvn.compute.support.LiveContexts;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading ComfyUI's socket messages into "node n of m, step k of K" (no socket opened). */
class ProgressFeedTest {
  private static final Map<String, String> CLASSES = Map.of("3", "KSampler", "4", "Loader");

  // the messages are handed in; nothing connects
  private final ProgressFeed feed = ProgressFeed.offline(LiveContexts.MAPPER);

  private Progress now() {
    return feed.progress("p1", 5, CLASSES::get);
  }

  @Test
  void nodesAndStepsFollowTheMessagesOfTheWatchedPromptOnly() {
    feed.watch("p1");
    assertThat(now()).isNull();
    feed.handle(
        "{\"type\":\"status\",\"data\":{\"status\":{\"exec_info\":{\"queue_remaining\":1}}}}");
    feed.handle(
        "{\"type\":\"execution_cached\",\"data\":{\"nodes\":[\"6\",\"7\"],\"prompt_id\":\"p1\"}}");
    feed.handle("{\"type\":\"executing\",\"data\":{\"node\":\"4\",\"prompt_id\":\"p1\"}}");
    assertThat(now()).isEqualTo(new Progress(2, 5, null, null, "4", "Loader"));
    feed.handle("{\"type\":\"executing\",\"data\":{\"node\":\"3\",\"prompt_id\":\"p1\"}}");
    feed.handle(
        "{\"type\":\"progress\",\"data\":{\"value\":7,\"max\":20,\"node\":\"3\",\"prompt_id\":\"p1\"}}");
    // another prompt's messages change nothing
    feed.handle(
        "{\"type\":\"progress\",\"data\":{\"value\":1,\"max\":2,\"node\":\"3\",\"prompt_id\":\"other\"}}");
    feed.handle("not json");
    Progress p = now();
    assertThat(p).isEqualTo(new Progress(3, 5, 7, 20, "3", "KSampler"));
    assertThat(p.fraction()).isEqualTo((3 + 7 / 20.0) / 5);
    feed.handle("{\"type\":\"executing\",\"data\":{\"node\":null,\"prompt_id\":\"p1\"}}");
    assertThat(now()).isEqualTo(new Progress(4, 5, null, null, null, null));
  }

  @Test
  void aPromptNotWatchedHasNoPlace() {
    feed.handle("{\"type\":\"executing\",\"data\":{\"node\":\"4\",\"prompt_id\":\"p1\"}}");
    assertThat(now()).isNull();
  }
}
