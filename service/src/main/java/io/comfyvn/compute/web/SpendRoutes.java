package io.comfyvn.compute.web;

import io.comfyvn.compute.jobs.Results;
import io.comfyvn.compute.limits.SpendGuard;
import io.javalin.config.RoutesConfig;
import java.util.function.Supplier;

/**
 * {@code GET /api/providers/gpu/spend}: today's estimated live spend against the spend guard's
 * limits, read-only (the limits are set in {@code config/comfyvn.json} only).
 */
final class SpendRoutes {
  private final SpendGuard guard;
  private final Supplier<Results.FeatureState> feature;

  SpendRoutes(SpendGuard guard, Supplier<Results.FeatureState> feature) {
    this.guard = guard;
    this.feature = feature;
  }

  void register(RoutesConfig routes) {
    routes.get(GpuRoutes.PREFIX + "/spend", ctx -> ctx.json(answer(guard.today())));
  }

  private Answer answer(SpendGuard.Today t) {
    return new Answer(true, t.day(), t.resetsAt(), t.total(), t.providers(), feature.get());
  }

  /**
   * The answer: {@link SpendGuard.Today} with {@code ok} and the feature flag, as on every GPU
   * answer.
   */
  record Answer(
      boolean ok,
      java.time.LocalDate day,
      java.time.Instant resetsAt,
      SpendGuard.Scope total,
      java.util.List<SpendGuard.Scope> providers,
      Results.FeatureState feature) {}
}
