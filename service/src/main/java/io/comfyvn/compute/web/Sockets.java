package io.comfyvn.compute.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.websocket.WsContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Open WebSocket sessions, each with what it subscribed to. A broadcast is serialized once and sent
 * to every open session that wants it; a session that is closed or fails to send is dropped.
 *
 * @param <S> a session's subscription (topics, or nothing)
 */
final class Sockets<S> {
  private final ObjectMapper mapper;
  private final Map<WsContext, S> sessions = new ConcurrentHashMap<>();

  Sockets(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  void put(WsContext ctx, S subscription) {
    sessions.put(ctx, subscription);
  }

  void remove(WsContext ctx) {
    sessions.remove(ctx);
  }

  /** Sends one message to one session; false (and the session dropped) when that fails. */
  boolean send(WsContext ctx, Object message) {
    try {
      ctx.send(mapper.writeValueAsString(message));
      return true;
    } catch (JsonProcessingException | RuntimeException e) {
      sessions.remove(ctx);
      return false;
    }
  }

  /** Sends a message to every open session whose subscription wants it. */
  void broadcast(Object message, Predicate<S> wants) {
    if (sessions.isEmpty()) {
      return;
    }
    String text;
    try {
      text = mapper.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      return;
    }
    sessions.forEach(
        (ctx, subscription) -> {
          if (!wants.test(subscription)) {
            return;
          }
          try {
            if (ctx.session.isOpen()) {
              ctx.send(text);
            } else {
              sessions.remove(ctx);
            }
          } catch (RuntimeException e) {
            sessions.remove(ctx);
          }
        });
  }
}
