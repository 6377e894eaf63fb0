package io.comfyvn.compute.limits;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/** {@link SpendLedger} in memory, for tests of rooms that run without a database. */
public final class MemorySpendLedger implements SpendLedger {
  private final Map<String, Usage> rows = new TreeMap<>(); // "day|scope"

  @Override
  public synchronized Optional<Refusal> reserve(
      LocalDate day,
      String provider,
      long micros,
      OptionalLong totalCap,
      OptionalLong providerCap,
      Instant now) {
    for (String scope : new String[] {TOTAL, provider}) {
      Usage u = get(day, scope);
      OptionalLong cap = scope.equals(TOTAL) ? totalCap : providerCap;
      if (cap.isPresent() && u.micros() + micros > cap.getAsLong()) {
        return Optional.of(new Refusal(scope, u.micros(), cap.getAsLong()));
      }
    }
    for (String scope : new String[] {TOTAL, provider}) {
      Usage u = get(day, scope);
      rows.put(day + "|" + scope, new Usage(u.micros() + micros, u.submits() + 1));
    }
    return Optional.empty();
  }

  @Override
  public synchronized void release(LocalDate day, String provider, long micros, Instant now) {
    for (String scope : new String[] {TOTAL, provider}) {
      Usage u = get(day, scope);
      rows.put(day + "|" + scope, new Usage(u.micros() - micros, u.submits() - 1));
    }
  }

  @Override
  public synchronized Map<String, Usage> usage(LocalDate day) {
    Map<String, Usage> out = new TreeMap<>();
    rows.forEach(
        (k, v) -> {
          if (k.startsWith(day + "|")) {
            out.put(k.substring(k.indexOf('|') + 1), v);
          }
        });
    return out;
  }

  private Usage get(LocalDate day, String scope) {
    return rows.getOrDefault(day + "|" + scope, Usage.NONE);
  }
}
