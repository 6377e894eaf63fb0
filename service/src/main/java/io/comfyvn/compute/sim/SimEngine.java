package io.comfyvn.compute.sim;

import io.comfyvn.compute.advisor.CatalogProvider;
import io.comfyvn.compute.advisor.CostModel;
import io.comfyvn.compute.advisor.Numbers;
import io.comfyvn.compute.advisor.Offer;
import java.util.ArrayList;
import java.util.List;

/**
 * Plays one job through a provider's profile: queue, maybe a cold start, attempts that may fail and
 * be retried, time out or be canceled, and the bill. Pure and seeded: the same inputs always give
 * the same run, byte for byte once serialized. Random draws happen in a fixed order (queue, cold
 * start coin, cold start time, run time, then per attempt: branch coin, failure point), so a
 * profile's rates are exactly the branch probabilities.
 */
public final class SimEngine {
  private SimEngine() {}

  /**
   * Simulates a job.
   *
   * @param slug provider slug
   * @param name provider display name, for narration
   * @param profile its sim profile
   * @param job the job
   * @param seed the seed
   * @param provider its catalog profile (whether startup is billed)
   * @param offer the GPU offer priced
   */
  public static SimRun simulate(
      String slug,
      String name,
      SimProfile profile,
      SimJob job,
      long seed,
      CatalogProvider provider,
      Offer offer) {
    SplitMix64 rng = new SplitMix64(SplitMix64.mix(seed, slug));
    List<SimEvent> events = new ArrayList<>();
    String jobId = "sim-" + slug + "-" + seed;
    long t = 0;
    events.add(
        new SimEvent(
            t,
            "queued",
            "submitted",
            profile.status("queued"),
            0.0,
            name + " accepted job " + jobId + " (" + offer.sku() + ", " + offer.gpu() + ")"));
    SimProfile.Dist q = profile.queue();
    t += rng.logNormal(q.medianMs(), q.sigma(), q.maxMs());
    boolean cold = rng.nextDouble() < profile.coldStart().probability();
    SimProfile.ColdStart cs = profile.coldStart();
    long coldMs = rng.logNormal(cs.medianMs(), cs.sigma(), cs.maxMs());
    if (cold) {
      events.add(
          new SimEvent(
              t,
              "queued",
              "cold_start",
              profile.status("cold_start"),
              0.05,
              "No warm worker: starting one (cold start, about " + seconds(coldMs) + ")"));
      t += coldMs;
    } else {
      coldMs = 0;
    }
    double median =
        job.runMedianMs() != null
            ? job.runMedianMs()
            : profile.run().medianMs(job.workUnits(), offer.relativeSpeed());
    long runMs = Math.max(1, rng.logNormal(median, profile.run().sigma(), Long.MAX_VALUE / 4));

    String outcome = null;
    int retries = 0;
    long activeMs = 0;
    for (int attempt = 0; outcome == null; attempt++) {
      events.add(
          new SimEvent(
              t,
              "running",
              "running",
              profile.status("running"),
              0.1,
              "Worker picked up the job"
                  + (attempt > 0 ? " (attempt " + (attempt + 1) + ")" : "")));
      double coin = rng.nextDouble();
      double failAt = 0.1 + 0.8 * rng.nextDouble();
      if (job.vramNeededGb() > offer.vramGb()) {
        // Deterministic, not drawn: a workflow larger than the GPU never fits, and retrying
        // on the same hardware cannot help.
        long d = Math.round(Math.min(runMs, 4000) * failAt);
        t += d;
        activeMs += d;
        events.add(
            new SimEvent(
                t,
                "error",
                "error",
                profile.status("error"),
                0.1,
                "CUDA out of memory: the workflow needs about "
                    + Numbers.plain(job.vramNeededGb(), 1)
                    + " GB, "
                    + offer.gpu()
                    + " has "
                    + Numbers.plain(offer.vramGb(), 1)
                    + " GB"));
        outcome = "error";
      } else if (coin < profile.timeoutRate() || runMs > profile.timeoutMs()) {
        t += profile.timeoutMs();
        activeMs += profile.timeoutMs();
        events.add(
            new SimEvent(
                t,
                "error",
                "timeout",
                profile.status("timeout"),
                0.5,
                "Timed out after " + seconds(profile.timeoutMs()) + " (execution timeout)"));
        outcome = "timeout";
      } else if (coin < profile.timeoutRate() + profile.failureRate()) {
        long d = Math.round(runMs * failAt);
        t += d;
        activeMs += d;
        if (attempt < profile.maxRetries()) {
          long backoff = profile.retryBackoffMs() << attempt;
          events.add(
              new SimEvent(
                  t,
                  "running",
                  "retry",
                  profile.status("retry"),
                  0.1,
                  "Attempt "
                      + (attempt + 1)
                      + " failed (worker error); retrying in "
                      + seconds(backoff)));
          retries++;
          t += backoff;
        } else {
          events.add(
              new SimEvent(
                  t,
                  "error",
                  "error",
                  profile.status("error"),
                  0.1,
                  "Attempt " + (attempt + 1) + " failed (worker error); no retries left"));
          outcome = "error";
        }
      } else if (coin < profile.timeoutRate() + profile.failureRate() + profile.canceledRate()) {
        long d = Math.round(runMs * failAt);
        t += d;
        activeMs += d;
        events.add(
            new SimEvent(
                t,
                "canceled",
                "canceled",
                profile.status("canceled"),
                0.1,
                "The provider canceled the job (worker preempted)"));
        outcome = "canceled";
      } else {
        long half = runMs / 2;
        events.add(
            new SimEvent(
                t + half,
                "running",
                "progress",
                profile.status("running"),
                0.5,
                "Sampling: about half done"));
        t += runMs;
        activeMs += runMs;
        events.add(
            new SimEvent(
                t,
                "done",
                "done",
                profile.status("done"),
                1.0,
                "Completed in " + seconds(runMs) + ": " + job.outputs() + " output(s)"));
        outcome = "done";
      }
    }
    long billable = activeMs + (provider.billsStartup() ? coldMs : 0);
    long billed = CostModel.billedSeconds(billable / 1000.0, offer);
    SimRun.Cost cost =
        new SimRun.Cost(
            CostModel.usd(billed, offer),
            billed,
            billable,
            offer.usdPerSecond(),
            offer.gpu(),
            offer.sku(),
            offer.priceAsOf(),
            offer.source());
    List<SimRun.Artifact> artifacts = new ArrayList<>();
    if (outcome.equals("done")) {
      String ext = job.mime().equals("video/mp4") ? "mp4" : "png";
      for (int i = 0; i < job.outputs(); i++) {
        artifacts.add(new SimRun.Artifact(jobId + "-" + i + "." + ext, job.mime()));
      }
    }
    List<String> transcript = new ArrayList<>();
    for (SimEvent e : events) {
      transcript.add("[" + clock(e.tMs()) + "] (" + e.providerStatus() + ") " + e.message());
    }
    transcript.add(
        "["
            + clock(t)
            + "] Outcome "
            + outcome
            + (cold ? ", cold start" : "")
            + ", "
            + retries
            + " retr"
            + (retries == 1 ? "y" : "ies")
            + ", billed "
            + billed
            + " s = "
            // a cent would hide a short job's cost, so sub-cent amounts keep their digits
            + (cost.usd() > 0 && cost.usd() < 0.01
                ? Numbers.rate(cost.usd())
                : Numbers.usd(cost.usd()))
            + " (simulated, nothing was sent)");
    return new SimRun(slug, seed, outcome, cold, retries, t, events, transcript, artifacts, cost);
  }

  /** {@code mm:ss.t}, without locale-dependent formatting. */
  static String clock(long ms) {
    long tenths = ms / 100;
    long minutes = tenths / 600;
    long secs = (tenths / 10) % 60;
    return (minutes < 10 ? "0" : "")
        + minutes
        + ":"
        + (secs < 10 ? "0" : "")
        + secs
        + "."
        + tenths % 10;
  }

  private static String seconds(long ms) {
    return Numbers.plain(ms / 1000.0, 1) + " s";
  }
}
