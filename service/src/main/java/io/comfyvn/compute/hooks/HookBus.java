package io.comfyvn.compute.hooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.tasks.Artifact;
import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskView;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Turns persisted task changes of GPU jobs into modder hook events, keeps the last 200 (ComfyVN's
 * history size) and fans them out to subscribers (the hooks WebSocket, registered webhooks).
 */
public final class HookBus {
  /** How many events the history keeps. */
  public static final int HISTORY = 200;

  private static final String GPU_KIND = "public.gpu.submit";
  private final Clock clock;
  private final ObjectMapper mapper;
  private final Deque<HookEvent> history = new ArrayDeque<>();
  private final List<Consumer<HookEvent>> listeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<HookEvent>> outbound = new CopyOnWriteArrayList<>();

  public HookBus(Clock clock, ObjectMapper mapper) {
    this.clock = clock;
    this.mapper = mapper;
  }

  /**
   * Feeds a task change in (subscribe this to the task registry). Hook data is cut from the task's
   * public view, so it carries nothing a caller of {@code /jobs} could not read.
   */
  public void onTask(TaskEvent e) {
    // a change another instance wrote: its hooks reach this instance's history and sockets, while
    // the outbound webhooks are sent by the instance that wrote it
    boolean out = !e.relayed();
    TaskView t = e.task();
    if (!GPU_KIND.equals(t.kind())) {
      return;
    }
    JsonNode m = t.meta();
    if ("job.created".equals(e.type())) {
      ObjectNode d = base(t);
      d.put("dry_run", m.path("dry_run").asBoolean(true));
      d.put("seed", t.seed());
      d.put("provider_job_id", t.providerJobId());
      d.put("status", t.status().wire());
      publish("on_gpu_job_submitted", d, out);
      if (!t.status().terminal()) {
        return;
      }
    } else {
      ObjectNode d = base(t);
      d.put("status", t.status().wire());
      d.put("progress", t.progress());
      d.put("provider_status", m.path("provider_status").asText(null));
      d.put("message", t.message());
      publish("on_gpu_job_updated", d, out);
    }
    if (t.status().terminal()) {
      ObjectNode d = base(t);
      d.put("status", t.status().wire());
      d.put("message", t.message());
      d.set("artifacts", m.path("artifacts").deepCopy());
      publish("on_gpu_job_finished", d, out);
      for (Artifact a : t.artifacts()) {
        if (a.path() == null) {
          continue; // named only (Sim mode): no asset was saved
        }
        ObjectNode s = mapper.createObjectNode();
        s.put("task_id", t.id());
        s.put("provider", t.provider());
        s.put("path", a.path());
        s.put("sidecar", a.path() + ".prov.json");
        s.put("sha256", a.sha256());
        s.put("bytes", a.bytes() == null ? 0 : a.bytes());
        s.put("mime", a.mime());
        publish("on_asset_saved", s, out);
      }
    }
  }

  /** Publishes an event now (also used by {@code POST /api/modder/hooks/test}). */
  public HookEvent publish(String name, ObjectNode data) {
    return publish(name, data, true);
  }

  private HookEvent publish(String name, ObjectNode data, boolean sendOut) {
    HookEvent e = new HookEvent(name, clock.millis() / 1000.0, data);
    synchronized (history) {
      if (history.size() == HISTORY) {
        history.removeFirst();
      }
      history.addLast(e);
    }
    for (Consumer<HookEvent> l : listeners) {
      try {
        l.accept(e);
      } catch (RuntimeException ignored) {
        // a failing subscriber must not stop the others; each one reports its own trouble
      }
    }
    if (sendOut) {
      for (Consumer<HookEvent> l : outbound) {
        try {
          l.accept(e);
        } catch (RuntimeException ignored) {
          // as above
        }
      }
    }
    return e;
  }

  /** The newest events, oldest first. */
  public List<HookEvent> history(int limit) {
    synchronized (history) {
      List<HookEvent> all = new ArrayList<>(history);
      return all.subList(Math.max(0, all.size() - limit), all.size());
    }
  }

  public void subscribe(Consumer<HookEvent> listener) {
    listeners.add(listener);
  }

  /**
   * Adds a listener for what leaves the service (signed webhooks): events of changes this instance
   * wrote and events published here, never changes relayed from another instance, so several
   * instances send each webhook once between them.
   */
  public void subscribeOutbound(Consumer<HookEvent> listener) {
    outbound.add(listener);
  }

  public void unsubscribe(Consumer<HookEvent> listener) {
    listeners.remove(listener);
  }

  private ObjectNode base(TaskView t) {
    ObjectNode d = mapper.createObjectNode();
    d.put("task_id", t.id());
    d.put("provider", t.provider());
    d.put("mode", t.mode() == null ? "" : t.mode().wire());
    return d;
  }
}
