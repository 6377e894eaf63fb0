package io.comfyvn.compute.fakes;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The pending faults and forced outcomes; every request takes at most one fault. */
final class Faults {
  private final List<Slot> slots = new ArrayList<>();
  private final Map<String, Outcome> nextOutcome = new ConcurrentHashMap<>();

  private static final class Slot {
    final Fault fault;
    int left;

    Slot(Fault fault) {
      this.fault = fault;
      this.left = fault.times();
    }
  }

  synchronized void add(Fault fault) {
    slots.add(new Slot(fault));
  }

  synchronized void clear() {
    slots.clear();
    nextOutcome.clear();
  }

  /** Takes one use of the oldest fault matching this request, or null. */
  synchronized Fault take(String provider, String operation) {
    for (Iterator<Slot> it = slots.iterator(); it.hasNext(); ) {
      Slot slot = it.next();
      if (slot.fault.matches(provider, operation)) {
        if (--slot.left == 0) {
          it.remove();
        }
        return slot.fault;
      }
    }
    return null;
  }

  void forceNext(String provider, Outcome outcome) {
    nextOutcome.put(provider, outcome);
  }

  /** The outcome for a job being created now: a forced one (used once), else SUCCEED. */
  Outcome outcomeForNewJob(String provider) {
    Outcome forced = nextOutcome.remove(provider);
    return forced == null ? Outcome.SUCCEED : forced;
  }
}
