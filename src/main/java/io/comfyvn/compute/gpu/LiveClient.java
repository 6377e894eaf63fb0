package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.TaskStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One provider's real API. Implementations speak the provider's documented protocol through the
 * {@link io.comfyvn.compute.gpu.http.ProviderHttp} they are given (which adds rate limits, retries,
 * circuit breaking and timeouts) and throw {@link ProviderException} for every failure.
 *
 * <p>{@link #submit} must send the create request at most once per call; whether a failed create
 * may be retried is decided by {@link ProviderException#sent()} and the transport, never by the
 * client resending on its own.
 */
public interface LiveClient {

  /** Creates the job upstream. */
  Submitted submit(LiveJob job);

  /** The job's current state. */
  JobState poll(String providerJobId);

  /** Asks the provider to cancel; returns the state after the request. */
  JobState cancel(String providerJobId);

  /** Whether the provider answers with these credentials (a cheap authenticated call). */
  Health health();

  /**
   * The provider job id and state carried by a webhook body, when this provider sends webhooks. The
   * caller checks authenticity first (see {@link #verifyWebhook}). The id matters when a create's
   * answer was lost: the webhook is how the job is found again.
   */
  default Optional<Submitted> parseWebhook(JsonNode body) {
    return Optional.empty();
  }

  /**
   * Whether a webhook request is authentic. Providers that sign webhooks check the signature;
   * others return {@code false} here and rely on the per-task token in the URL.
   *
   * @param headers request headers, lower-case names
   * @param rawBody the exact bytes received
   */
  default boolean verifyWebhook(Map<String, String> headers, byte[] rawBody) {
    return false;
  }

  /**
   * What to create.
   *
   * @param taskId our task id (for logs and webhook URLs)
   * @param job the job payload as the caller gave it
   * @param seed the job's seed
   * @param settings the provider's settings (config file plus allowed request overrides)
   * @param webhookUrl where the provider should call back, or null
   */
  record LiveJob(
      String taskId, ObjectNode job, long seed, ProviderSettings settings, String webhookUrl) {}

  /**
   * A created job.
   *
   * @param providerJobId the provider's id for it
   * @param state its state as the create answer gave it
   */
  record Submitted(String providerJobId, JobState state) {}

  /**
   * A health answer.
   *
   * @param ok whether the provider answered and accepted the credentials
   * @param detail a short line (no secrets)
   */
  record Health(boolean ok, String detail) {}

  /**
   * A job's state in the shared vocabulary.
   *
   * @param status the unified status (ComfyVN's task words; a provider's timeout is {@code error})
   * @param providerStatus the provider's own word
   * @param progress 0..1 when known
   * @param outputs files the job produced (URLs or inline data)
   * @param logs log lines, when the provider exposes them
   * @param error the provider's error text, when it failed
   * @param metrics provider timings such as {@code delay_ms}, {@code execution_ms}
   */
  record JobState(
      TaskStatus status,
      String providerStatus,
      Double progress,
      List<Output> outputs,
      List<String> logs,
      String error,
      Map<String, Number> metrics) {
    public JobState {
      outputs = outputs == null ? List.of() : List.copyOf(outputs);
      logs = logs == null ? List.of() : List.copyOf(logs);
      metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }
  }

  /**
   * One output file.
   *
   * @param name a file name suggestion, or null
   * @param url where to download it, or null
   * @param base64 inline bytes (base64, optionally a data: URI), or null
   * @param mime media type when known
   */
  record Output(String name, String url, String base64, String mime) {}
}
