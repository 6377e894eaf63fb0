package io.comfyvn.compute.gpu.comfyui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.gpu.LiveClient.Progress;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * ComfyUI's socket {@code /ws?clientId=<our client id>}, read for progress: {@code executing {node,
 * prompt_id}} (a node starts; {@code node: null} when the prompt ends), {@code execution_cached
 * {nodes}}, {@code progress {value, max, node, prompt_id}} (a sampler's step), {@code
 * execution_success}, {@code execution_error}, {@code execution_interrupted}. It keeps the latest
 * place of each prompt; polls read it ({@link #progress}). Polling stays authoritative: the socket
 * only adds "node n of m, step k of K".
 *
 * <p>One feed per ComfyUI box and client id, opened on first use and again after it closes. It
 * never carries credentials: a box behind a token-checking proxy gets no feed (polls still work).
 * Binary frames (previews) are ignored.
 */
final class ProgressFeed implements WebSocket.Listener {
  private final URI uri;
  private final ObjectMapper mapper;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, Place> places = new ConcurrentHashMap<>();
  private final AtomicBoolean connecting = new AtomicBoolean();
  private final StringBuilder partial = new StringBuilder();
  private volatile WebSocket socket;
  private final boolean connects;

  /** Where one prompt is. */
  private static final class Place {
    final Set<String> done = new LinkedHashSet<>();
    volatile String node;
    volatile Integer step;
    volatile Integer steps;
    volatile boolean ended;
  }

  /**
   * @param base ComfyUI's base URL ({@code http://host:8188}, no trailing slash)
   * @param clientId the client id prompts are queued with
   */
  ProgressFeed(String base, String clientId, ObjectMapper mapper) {
    this(base, clientId, mapper, true);
  }

  /** A feed that reads only the messages handed to {@link #handle} (for tests). */
  static ProgressFeed offline(ObjectMapper mapper) {
    return new ProgressFeed("http://127.0.0.1:1", "offline", mapper, false);
  }

  private ProgressFeed(String base, String clientId, ObjectMapper mapper, boolean connects) {
    this.connects = connects;
    String ws = base.replaceFirst("^http", "ws");
    this.uri =
        URI.create(
            ws
                + "/ws?clientId="
                + java.net.URLEncoder.encode(clientId, java.nio.charset.StandardCharsets.UTF_8));
    this.mapper = mapper;
  }

  /** Opens the socket when it is not open (asynchronously; a failure is retried on next use). */
  void open() {
    if (!connects || socket != null || !connecting.compareAndSet(false, true)) {
      return;
    }
    http.newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(uri, this)
        .whenComplete((ws, err) -> connecting.set(false));
  }

  /** Starts keeping a prompt's place (before it is queued, so no event is missed). */
  void watch(String promptId) {
    places.computeIfAbsent(promptId, k -> new Place());
    open();
  }

  /**
   * The prompt's place, when the socket has reported it.
   *
   * @param nodesTotal the prompt's node count (from its graph)
   * @param classOf the class of a node id, or null
   */
  Progress progress(
      String promptId, int nodesTotal, java.util.function.Function<String, String> classOf) {
    open();
    Place p = places.get(promptId);
    if (p == null || (p.node == null && p.done.isEmpty()) || nodesTotal <= 0) {
      return null;
    }
    String node = p.ended ? null : p.node;
    int done;
    synchronized (p) {
      done = Math.min(nodesTotal, p.done.size());
    }
    return new Progress(
        done,
        nodesTotal,
        node == null ? null : p.step,
        node == null ? null : p.steps,
        node,
        node == null ? null : classOf.apply(node));
  }

  /** Forgets a prompt that ended (its history is what counts now). */
  void forget(String promptId) {
    places.remove(promptId);
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    socket = webSocket;
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    synchronized (partial) {
      partial.append(data);
      if (last) {
        String text = partial.toString();
        partial.setLength(0);
        handle(text);
      }
    }
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    socket = null;
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    socket = null;
  }

  /** One JSON message {@code {type, data}}. Messages about prompts not watched are ignored. */
  void handle(String text) {
    JsonNode m;
    try {
      m = mapper.readTree(text);
    } catch (IOException notJson) {
      return;
    }
    if (m == null) {
      return;
    }
    JsonNode data = m.path("data");
    Place p = places.get(data.path("prompt_id").asText(""));
    if (p == null) {
      return;
    }
    switch (m.path("type").asText("")) {
      case "executing" -> {
        synchronized (p) {
          if (p.node != null) {
            p.done.add(p.node);
          }
          if (data.path("node").isNull() || data.path("node").isMissingNode()) {
            p.node = null;
            p.ended = true;
          } else {
            p.node = data.path("node").asText();
          }
          p.step = null;
          p.steps = null;
        }
      }
      case "execution_cached" -> {
        synchronized (p) {
          data.path("nodes").forEach(n -> p.done.add(n.asText()));
        }
      }
      case "progress" -> {
        if (data.path("value").canConvertToInt() && data.path("max").canConvertToInt()) {
          p.step = data.get("value").asInt();
          p.steps = data.get("max").asInt();
        }
      }
      case "execution_success", "execution_error", "execution_interrupted" -> p.ended = true;
      default -> {}
    }
  }
}
