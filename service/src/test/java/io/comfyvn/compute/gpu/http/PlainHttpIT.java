package io.comfyvn.compute.gpu.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.comfyvn.compute.support.HeaderRecorder;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The live transport speaks plain HTTP/1.1 over http: no {@code Upgrade: h2c} (the JDK client's
 * default adds it to every request, bodies included, and aiohttp before 3.10.2, ComfyUI's server,
 * did not read the body of such a POST: aiohttp#6446, #8597). The fakes run on Jetty, which ignores
 * the header, so only a server that shows the request head as sent can tell.
 */
class PlainHttpIT {
  @Test
  void aPostWithABodyAndAGetGoOutAsPlainHttp11() throws Exception {
    try (HeaderRecorder box = new HeaderRecorder()) {
      JdkHttpTransport transport = new JdkHttpTransport(Duration.ofSeconds(5));
      String prompt = "{\"prompt\":{},\"client_id\":\"c1\",\"prompt_id\":\"p1\"}";
      HttpReply posted =
          transport.send(
              HttpCall.postJson(URI.create(box.url("/prompt")), Map.of(), prompt),
              Duration.ofSeconds(10));
      HttpReply got =
          transport.send(
              HttpCall.get(URI.create(box.url("/history/p1")), Map.of()), Duration.ofSeconds(10));
      assertThat(posted.status()).isEqualTo(200);
      assertThat(got.status()).isEqualTo(200);

      assertThat(box.seen()).hasSize(2);
      for (HeaderRecorder.Seen s : box.seen()) {
        assertThat(s.line()).as(s.line()).endsWith(" HTTP/1.1");
        assertThat(s.headers())
            .as("%s sent %s", s.line(), s.headers())
            .doesNotContainKeys("upgrade", "http2-settings");
        assertThat(s.headers().getOrDefault("connection", ""))
            .doesNotContainIgnoringCase("upgrade");
      }
      assertThat(box.seen().get(0).body()).isEqualTo(prompt);
    }
  }
}
