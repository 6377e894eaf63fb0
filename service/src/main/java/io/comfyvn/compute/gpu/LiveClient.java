package io.comfyvn.compute.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.config.ProviderSettings;
import io.comfyvn.compute.gpu.http.ProviderException;
import io.comfyvn.compute.status.TaskStatus;
import io.comfyvn.compute.workflow.WorkflowRun;
import java.util.ArrayList;
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
   * Looks for the job a create of this task may have made, when that create's answer was never read
   * (a crash between "sent" and "accepted", or an ambiguous failure). Never creates a second job:
   * the one resend allowed is the create itself under its idempotency key, to an API that answers
   * it with the job the first one made ({@link Reconciliation.Query#workflow}, Comfy API v2). A
   * client answers {@link Reconciliation.Found} (follow that job), {@link Reconciliation.NotThere}
   * (the provider was asked in a way that would show it, and has none) or {@link
   * Reconciliation.CannotTell} (no way to ask; whether a webhook may still tell). The default is a
   * provider with no lookup whose webhook, when one was registered, is the only way the job can be
   * found again. A failure to ask is thrown as {@link ProviderException}.
   */
  default Reconciliation reconcile(Reconciliation.Query query) {
    return new Reconciliation.CannotTell(
        true, "the provider has no way to look a job up; only a webhook can bring its id");
  }

  /**
   * What runs a workflow job on this provider, as provenance records it (e.g. {@code Comfy API v2}
   * or {@code ComfyUI native API}).
   */
  default String runner() {
    return getClass().getSimpleName();
  }

  /**
   * What to create.
   *
   * @param taskId our task id (for logs and webhook URLs)
   * @param job the job payload as the caller gave it
   * @param seed the job's seed
   * @param settings the provider's settings (config file plus allowed request overrides)
   * @param webhookUrl where the provider should call back, or null
   * @param workflow the validated workflow job with its input files, when the job is one (null for
   *     a raw {@code job.input}); clients that map workflow jobs send its graph and files
   */
  record LiveJob(
      String taskId,
      ObjectNode job,
      long seed,
      ProviderSettings settings,
      String webhookUrl,
      WorkflowRun workflow) {
    /** A job that is not a workflow job (or whose client reads {@code job} itself). */
    public LiveJob(
        String taskId, ObjectNode job, long seed, ProviderSettings settings, String webhookUrl) {
      this(taskId, job, seed, settings, webhookUrl, null);
    }

    /** The workflow job, when this is one. */
    public Optional<WorkflowRun> workflowRun() {
      return Optional.ofNullable(workflow);
    }
  }

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
   * @param steps where a ComfyUI run is (node n of m, sampler step k of K), when the provider says
   * @param failure a typed failure the service can name (a missing model or node), or null
   */
  record JobState(
      TaskStatus status,
      String providerStatus,
      Double progress,
      List<Output> outputs,
      List<String> logs,
      String error,
      Map<String, Number> metrics,
      Progress steps,
      Failure failure) {
    public JobState {
      outputs = outputs == null ? List.of() : List.copyOf(outputs);
      logs = logs == null ? List.of() : List.copyOf(logs);
      metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
    }

    /** A state without run progress or a typed failure. */
    public JobState(
        TaskStatus status,
        String providerStatus,
        Double progress,
        List<Output> outputs,
        List<String> logs,
        String error,
        Map<String, Number> metrics) {
      this(status, providerStatus, progress, outputs, logs, error, metrics, null, null);
    }

    /** The same state with {@code more} log lines after its own (a client's notes on the call). */
    public JobState plusLogs(List<String> more) {
      if (more.isEmpty()) {
        return this;
      }
      List<String> all = new ArrayList<>(logs);
      all.addAll(more);
      return new JobState(
          status, providerStatus, progress, outputs, all, error, metrics, steps, failure);
    }
  }

  /**
   * Where a ComfyUI run is, as ComfyUI's socket and Comfy API v2 report it.
   *
   * @param nodesDone nodes finished
   * @param nodesTotal nodes in the run
   * @param step the current sampler step, or null outside a sampler
   * @param steps the sampler's steps, or null
   * @param nodeId the node running now, or null
   * @param classType its class, or null
   */
  record Progress(
      int nodesDone, int nodesTotal, Integer step, Integer steps, String nodeId, String classType) {
    /** The overall fraction: nodes done plus the current node's step share, 0..1. */
    public double fraction() {
      if (nodesTotal <= 0) {
        return 0;
      }
      double within = step != null && steps != null && steps > 0 ? step / (double) steps : 0;
      return Math.max(0, Math.min(1, (nodesDone + within) / nodesTotal));
    }
  }

  /**
   * A failure the service names precisely, whether the provider refused the job before running it
   * (a preflight) or the run stopped on it.
   *
   * @param code {@code missing_model} or {@code missing_node}
   * @param nodeId the node it is about, when known
   * @param classType that node's class, when known
   * @param names the missing model files ({@code folder/name}) or node classes
   */
  record Failure(String code, String nodeId, String classType, List<String> names) {
    public Failure {
      names = List.copyOf(names);
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
