package io.comfyvn.compute.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.FixedWindowRollingPolicy;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy;
import ch.qos.logback.core.util.FileSize;
import com.fasterxml.jackson.databind.JsonNode;
import io.comfyvn.compute.config.ConfigException;
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
 *
 * <p>The file is bounded ({@link Rolling}): when it reaches its size it becomes {@code
 * providers_gpu.1.log} (the older ones move up, the oldest is deleted), so the folder never holds
 * more than {@code max_files} files of {@code max_file_size} (plus at most one line each).
 */
public final class ProviderCallLog implements AutoCloseable {
  /** The log file, relative to the home folder. */
  public static final String LOG_FILE = "logs/providers_gpu.log";

  /** The rolled files beside it: {@code providers_gpu.1.log} is the newest. */
  static final String ROLLED_PATTERN = "providers_gpu.%i.log";

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ch.qos.logback.classic.Logger logger;
  private final RollingFileAppender<ILoggingEvent> appender;
  private final boolean debug;
  private final ServiceMetrics metrics;

  /**
   * How the log rolls, from {@code logs.providers_gpu} in {@code config/comfyvn.json}: {@code
   * {"max_file_size": "10MB", "max_files": 5}} (the defaults: at most 50 MB in all).
   *
   * @param maxFileBytes the size at which the file rolls ({@code max_file_size}: Logback's {@code
   *     "10MB"}, {@code "512KB"}, or a number of bytes)
   * @param files how many files are kept, the active one included ({@code max_files}, 2 to 21)
   */
  public record Rolling(long maxFileBytes, int files) {
    /** 10 MB x 5. */
    public static final Rolling DEFAULTS = new Rolling(10L * 1024 * 1024, 5);

    /** The most files Logback's fixed window keeps: the active one and 20 rolled ones. */
    static final int MAX_FILES = 21;

    private static final String WHERE = "config/comfyvn.json: logs.providers_gpu.";

    public Rolling {
      if (maxFileBytes < 1024) {
        throw new ConfigException(WHERE + "max_file_size must be at least 1KB");
      }
      if (files < 2 || files > MAX_FILES) {
        throw new ConfigException(WHERE + "max_files must be 2 to " + MAX_FILES);
      }
    }

    /** What the folder holds at most, a line's overshoot per file aside. */
    public long capBytes() {
      return maxFileBytes * files;
    }

    /** Reads {@code logs.providers_gpu}; missing keys keep their defaults. */
    public static Rolling fromJson(JsonNode section) {
      long size = DEFAULTS.maxFileBytes();
      JsonNode s = section.path("max_file_size");
      if (s.isIntegralNumber()) {
        size = s.longValue();
      } else if (s.isTextual()) {
        try {
          size = FileSize.valueOf(s.asText().trim()).getSize();
        } catch (IllegalArgumentException e) {
          throw new ConfigException(
              WHERE + "max_file_size must be a size such as \"10MB\" or \"512KB\"");
        }
      } else if (!s.isMissingNode() && !s.isNull()) {
        throw new ConfigException(
            WHERE + "max_file_size must be a size such as \"10MB\" or a number of bytes");
      }
      int files = DEFAULTS.files();
      JsonNode f = section.path("max_files");
      if (f.isIntegralNumber() && f.canConvertToInt()) {
        files = f.intValue();
      } else if (!f.isMissingNode() && !f.isNull()) {
        throw new ConfigException(WHERE + "max_files must be a whole number, 2 to " + MAX_FILES);
      }
      return new Rolling(size, files);
    }
  }

  /**
   * Opens (appends to) the log of a home folder, rolling with {@link Rolling#DEFAULTS}.
   *
   * @param home the service's home folder
   * @param logLevel the value of {@code COMFYVN_LOG_LEVEL}, or null
   * @param metrics where each call is also counted
   */
  public ProviderCallLog(Path home, String logLevel, ServiceMetrics metrics) {
    this(home, logLevel, metrics, Rolling.DEFAULTS);
  }

  /**
   * Opens (appends to) the log of a home folder.
   *
   * @param home the service's home folder
   * @param logLevel the value of {@code COMFYVN_LOG_LEVEL}, or null
   * @param metrics where each call is also counted
   * @param rolling when the file rolls and how many are kept
   */
  public ProviderCallLog(Path home, String logLevel, ServiceMetrics metrics, Rolling rolling) {
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
    Path file = home.resolve(LOG_FILE).toAbsolutePath();
    if (file.toString().contains("%")) {
      // Logback reads the rolled files' name as a pattern and has no escape for '%' in a path
      // (it turns backslashes into slashes), so such a folder would roll into the wrong files.
      throw new ConfigException(
          file.getParent()
              + ": a '%' in the home folder's path cannot hold the rolled logs;"
              + " use --home with a path without '%'");
    }
    appender = new RollingFileAppender<>();
    appender.setContext(ctx);
    appender.setName("providers_gpu");
    appender.setFile(file.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    FixedWindowRollingPolicy window = new FixedWindowRollingPolicy();
    window.setContext(ctx);
    window.setParent(appender);
    window.setFileNamePattern(file.resolveSibling(ROLLED_PATTERN).toString());
    window.setMinIndex(1);
    window.setMaxIndex(rolling.files() - 1);
    window.start();
    SizeBasedTriggeringPolicy<ILoggingEvent> size = new SizeBasedTriggeringPolicy<>();
    size.setContext(ctx);
    size.setMaxFileSize(new FileSize(rolling.maxFileBytes()));
    // Logback looks at the size at most once a minute by default; a flood writes far more than a
    // file in a minute, so look at every line (one stat, next to the write it follows).
    size.setCheckIncrement(ch.qos.logback.core.util.Duration.buildByMilliseconds(0));
    size.start();
    appender.setRollingPolicy(window);
    appender.setTriggeringPolicy(size);
    appender.start();
    if (!window.isStarted() || !size.isStarted() || !appender.isStarted()) {
      // Never run with a log that does not roll (it would grow without bound) or does not write.
      throw new IllegalStateException("cannot open " + file + " with rolling; see Logback status");
    }
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
