package io.comfyvn.compute.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.gpu.LiveClient.Output;
import io.comfyvn.compute.support.LiveContexts;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LiveOutputsTest {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @Test
  void readsUrlsDataUrisAndInlineObjectsButNotPlainText() throws Exception {
    List<Output> out =
        LiveOutputs.collect(
            LiveContexts.MAPPER.readTree(
                """
                {"a":"https://h/p/img.JPG?sig=1","b":"hello","c":"data:text/plain,hi",
                 "d":"data:image/webp;base64,UklGR","e":{"base64":"/9j/4AAQ","filename":"f.jpg"},
                 "f":"https://h/p/img.JPG?sig=1","g":"ftp://h/x.png","h":"https://h/"}"""));

    assertThat(out)
        .containsExactly(
            new Output("img.JPG", "https://h/p/img.JPG?sig=1", null, "image/jpeg"),
            new Output(null, null, "data:image/webp;base64,UklGR", "image/webp"),
            new Output("f.jpg", null, "/9j/4AAQ", "image/jpeg"),
            new Output(null, "https://h/", null, null));
  }

  /** Files hidden at random depths of random JSON are each found once, in document order. */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89})
  void findsEveryFileAtAnyDepthOnce(long seed) {
    Random r = new Random(seed);
    List<String> planted = new ArrayList<>();
    ObjectNode root = F.objectNode();
    fill(root, r, 0, planted);

    List<Output> out = LiveOutputs.collect(root);

    assertThat(out).extracting(Output::url).containsExactlyElementsOf(planted);
  }

  private static void fill(ObjectNode node, Random r, int depth, List<String> planted) {
    int fields = 1 + r.nextInt(4);
    for (int i = 0; i < fields; i++) {
      String key = "k" + i;
      switch (depth > 3 ? r.nextInt(3) : r.nextInt(5)) {
        case 0 -> {
          String url = "https://files.example/" + seedName(r) + ".png";
          planted.add(url);
          node.put(key, url);
        }
        case 1 -> node.put(key, "caption " + r.nextInt(100));
        case 2 -> node.put(key, r.nextInt(100));
        case 3 -> fill(node.putObject(key), r, depth + 1, planted);
        default -> {
          ArrayNode a = node.putArray(key);
          fill(a.addObject(), r, depth + 1, planted);
        }
      }
    }
  }

  private static String seedName(Random r) {
    return Long.toHexString(r.nextLong());
  }
}
