package io.comfyvn.compute.fakes;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Request counters per provider and operation, counted when a request arrives (before faults and
 * auth), with the arrival instants kept so tests can check a rate limit was honoured over any
 * window. Operations named {@code create} are the ones that submit work upstream.
 */
public final class FakeStats {
  /** Arrival instants kept per key; enough for any test and bounded for long benchmark runs. */
  private static final int HISTORY = 200_000;

  private final Map<String, Deque<Instant>> arrivals = new ConcurrentHashMap<>();

  void record(String provider, String operation, Instant at) {
    Deque<Instant> times =
        arrivals.computeIfAbsent(key(provider, operation), k -> new ArrayDeque<>());
    synchronized (times) {
      if (times.size() == HISTORY) {
        times.removeFirst();
      }
      times.addLast(at);
    }
  }

  /** Requests received by one operation of one provider. */
  public int count(String provider, String operation) {
    Deque<Instant> times = arrivals.get(key(provider, operation));
    if (times == null) {
      return 0;
    }
    synchronized (times) {
      return times.size();
    }
  }

  /**
   * Requests that submit work a provider received, whatever was answered: {@code create} (RunPod
   * run and runsync, Replicate predictions, HF Jobs, Modal run) plus Hugging Face {@code
   * inference}.
   */
  public int creates(String provider) {
    return count(provider, "create") + count(provider, "inference");
  }

  /** The most requests of one operation that arrived within any window of this length. */
  public int maxInWindow(String provider, String operation, Duration window) {
    List<Instant> times = times(key(provider, operation));
    int best = 0;
    int lo = 0;
    for (int hi = 0; hi < times.size(); hi++) {
      while (!times.get(lo).plus(window).isAfter(times.get(hi))) {
        lo++;
      }
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }

  /**
   * Requests of one operation that arrived after {@code from}, and the earliest of them (null when
   * none): what a sliding-window limiter needs.
   */
  Window since(String provider, String operation, Instant from) {
    Deque<Instant> times = arrivals.get(key(provider, operation));
    if (times == null) {
      return new Window(0, null);
    }
    synchronized (times) {
      int n = 0;
      Instant earliest = null;
      for (var it = times.descendingIterator(); it.hasNext(); ) {
        Instant t = it.next();
        if (!t.isAfter(from)) {
          break;
        }
        n++;
        earliest = t;
      }
      return new Window(n, earliest);
    }
  }

  record Window(int count, Instant earliest) {}

  /** All counters, keyed {@code provider.operation}, sorted. */
  public Map<String, Integer> counts() {
    Map<String, Integer> out = new TreeMap<>();
    arrivals.forEach(
        (k, v) ->
            out.put(k, count(k.substring(0, k.indexOf('.')), k.substring(k.indexOf('.') + 1))));
    return out;
  }

  /** Per key, the most requests within any window of this length. */
  public Map<String, Integer> maxInWindow(Duration window) {
    Map<String, Integer> out = new TreeMap<>();
    for (String k : arrivals.keySet()) {
      int dot = k.indexOf('.');
      out.put(k, maxInWindow(k.substring(0, dot), k.substring(dot + 1), window));
    }
    return out;
  }

  void clear() {
    arrivals.clear();
  }

  private List<Instant> times(String key) {
    Deque<Instant> times = arrivals.get(key);
    if (times == null) {
      return List.of();
    }
    List<Instant> copy;
    synchronized (times) {
      copy = new ArrayList<>(times);
    }
    Collections.sort(copy); // concurrent requests may record slightly out of order
    return copy;
  }

  private static String key(String provider, String operation) {
    return provider + "." + operation;
  }
}
