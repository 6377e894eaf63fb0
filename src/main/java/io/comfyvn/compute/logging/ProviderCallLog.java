package io.comfyvn.compute.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import io.comfyvn.compute.metrics.ServiceMetrics;
import io.comfyvn.compute.status.Mode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The structured provider-call log, {@code logs/providers_gpu.log}: one JSON line per health,
 * submit, poll and cancel, with timestamp, provider, dry-run flag, task id, outcome and latency.
 * The job payload is included only when {@code COMFYVN_LOG_LEVEL=DEBUG}. Callers pass values that
 * hold no secret; nothing here reads the secrets file.
 */
public final class ProviderCallLog implements AutoCloseable {
  /** The log file, relative to the home folder. */
  public static final String LOG_FILE = "logs/providers_gpu.log";

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ch.qos.logback.classic.Logger logger;
  private final FileAppender<ILoggingEvent> appender;
  private final boolean debug;
  private final ServiceMetrics metrics;

  /**
   * Opens (appends to) the log of a home folder.
   *
   * @param home the service's home folder
   * @param logLevel the value of {@code COMFYVN_LOG_LEVEL}, or null
   * @param metrics where each call is also counted
   */
  public ProviderCallLog(Path home, String logLevel, ServiceMetrics metrics) {
    this.metrics = metrics;
    this.debug = logLevel != null && "DEBUG".equals(logLevel.trim().toUpperCase(Locale.ROOT));
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(ctx);
    LogstashFieldNames names = new LogstashFieldNames();
    names.setTimestamp("timestamp");
    names.setVersion("[ignore]");
    names.setLevelValue("[ignore]");
    names.setThread("[ignore]");
    names.setLogger("[ignore]");
    encoder.setFieldNames(names);
    encoder.start();
    appender = new FileAppender<>();
    appender.setContext(ctx);
    appender.setName("providers_gpu");
    appender.setFile(home.resolve(LOG_FILE).toAbsolutePath().toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.start();
    // One logger per service instance, so two services in one JVM (tests) keep their own files.
    logger = ctx.getLogger("providers_gpu." + INSTANCES.incrementAndGet());
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
  }

  /** Whether job payloads are logged. */
  public boolean debug() {
    return debug;
  }

  /**
   * One call.
   *
   * @param op health, submit, poll or cancel
   * @param provider provider slug
   * @param mode dry_run, sim or live
   * @param taskId task id, or null
   * @param providerJobId the provider's job id, or null
   * @param outcome a short word: ok, missing_secrets, error code...
   * @param latencyMicros time the call took
   * @param payload the job payload, logged only at DEBUG
   */
  public void call(
      String op,
      String provider,
      Mode mode,
      String taskId,
      String providerJobId,
      String outcome,
      long latencyMicros,
      Object payload) {
    LoggingEventBuilder e =
        logger
            .atInfo()
            .addKeyValue("event", "providers_gpu." + op)
            .addKeyValue("provider", provider)
            .addKeyValue("mode", mode.wire())
            .addKeyValue("dry_run", mode != Mode.LIVE)
            .addKeyValue("task_id", taskId)
            .addKeyValue("job_id", providerJobId)
            .addKeyValue("outcome", outcome)
            .addKeyValue("latency_ms", latencyMicros / 1000.0);
    metrics.providerCall(
        op, provider, mode.wire(), outcome == null ? "none" : outcome, latencyMicros);
    if (debug && payload != null) {
      e = e.addKeyValue("payload", payload);
    }
    e.log(op);
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
