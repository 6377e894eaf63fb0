package io.comfyvn.compute.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuProvider;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.gpu.LiveClient;
import io.comfyvn.compute.gpu.LiveClients;
import io.comfyvn.compute.logging.ProviderCallLog;
import io.comfyvn.compute.status.Mode;
import io.comfyvn.compute.tasks.Task;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.util.Map;
import java.util.Optional;

/**
 * Receives providers' webhooks ({@code POST /api/providers/gpu/webhooks/{provider}?task=&token=}):
 * checks that a call is authentic, then hands the state to the {@link LiveTracker}, the same way a
 * poll would. A webhook also finds a job whose create answer was lost (its URL carries our task
 * id), which is how an ambiguous submit is reconciled without resending it.
 */
public final class ProviderWebhooks {
  private static final ObjectMapper JSON = Json.mapper();

  private final GpuProviders providers;
  private final TaskRegistry tasks;
  private final LiveClients clients;
  private final LiveTracker tracker;
  private final ProviderCallLog callLog;

  public ProviderWebhooks(
      GpuProviders providers,
      TaskRegistry tasks,
      LiveClients clients,
      LiveTracker tracker,
      ProviderCallLog callLog) {
    this.providers = providers;
    this.tasks = tasks;
    this.clients = clients;
    this.tracker = tracker;
    this.callLog = callLog;
  }

  /**
   * A provider's webhook. In this order, so that a stranger learns nothing and nothing is built or
   * fetched for a task that cannot take a webhook:
   *
   * <ol>
   *   <li>the task must be a live submit to this provider (else 404, the same answer as an unknown
   *       id: no live client is built for a dry-run or sim task);
   *   <li>the {@link io.comfyvn.compute.gpu.NetworkGate} must be open for the provider (else 503
   *       {@code network_off}: taking it could fetch a signing key or outputs);
   *   <li>the call must be authentic: the per-task token in the URL matches the stored SHA-256
   *       (providers that do not sign, such as RunPod), or the provider's signature verifies
   *       (Replicate); both compared in constant time (else 401);
   *   <li>the task must not be finished (else 409: a terminal task never changes);
   *   <li>the body must be a job state this provider sends, for this task's job (else 400/409).
   * </ol>
   */
  public Result receive(
      String providerName, String taskId, String token, Map<String, String> headers, byte[] body) {
    GpuProvider p = providers.require(providerName);
    if (taskId == null || taskId.isBlank()) {
      throw ComputeException.badRequest("missing_field", "the webhook URL must carry ?task=");
    }
    Task task =
        tasks
            .get(taskId)
            .filter(
                t ->
                    GpuService.TASK_KIND.equals(t.kind())
                        && t.live()
                        && p.descriptor().slug().equals(t.providerSlug()))
            .orElseThrow(
                () ->
                    ComputeException.notFound(
                        "unknown_job", "no live task with that id for this provider"));
    Optional<String> closed = clients.gate().closedFor(p);
    if (closed.isPresent()) {
      // Taking it could mean fetching a signing key or the job's outputs: refuse, so the provider
      // delivers it again later (they retry), and nothing leaves the machine now.
      throw new ComputeException(
          ComputeException.Kind.UNAVAILABLE, "network_off", closed.get(), true, null);
    }
    LiveClient client = null;
    if (!WebhookTokens.matches(token, task.submission().webhookTokenSha256())) {
      client = clients.require(p);
      if (!client.verifyWebhook(headers, body)) {
        throw new ComputeException(
            ComputeException.Kind.UNAUTHORIZED, "bad_webhook_signature", "webhook not authentic");
      }
    }
    if (task.status().terminal()) {
      throw new ComputeException(
          ComputeException.Kind.CONFLICT,
          "task_finished",
          "the task is already " + task.status().wire() + "; a finished task does not change");
    }
    JsonNode json;
    try {
      json = JSON.readTree(body);
    } catch (java.io.IOException e) {
      throw ComputeException.badRequest("invalid_json", "the webhook body is not JSON");
    }
    if (json == null || !json.isObject()) {
      throw ComputeException.badRequest("invalid_body", "the webhook body must be a JSON object");
    }
    if (client == null) {
      client = clients.require(p);
    }
    Optional<LiveClient.Submitted> parsed = client.parseWebhook(json);
    if (parsed.isEmpty()) {
      throw ComputeException.badRequest("invalid_body", "not a job status this provider sends");
    }
    String known = task.providerJobId();
    if (!known.isEmpty() && !known.equals(parsed.get().providerJobId())) {
      throw new ComputeException(
          ComputeException.Kind.CONFLICT, "job_mismatch", "the webhook is for another job");
    }
    Task after =
        tracker.apply(task.id(), parsed.get().providerJobId(), parsed.get().state()).orElse(task);
    if (!after.status().terminal()) {
      tracker.follow(after.id());
    }
    callLog.call(
        "webhook",
        p.descriptor().slug(),
        Mode.LIVE,
        after.id(),
        parsed.get().providerJobId(),
        after.status().wire(),
        0,
        null);
    return new Result(true, after.id(), after.status().wire());
  }

  /**
   * A webhook's answer.
   *
   * @param ok always true (failures are exceptions)
   * @param taskId the task it updated
   * @param status the task's status afterwards
   */
  public record Result(boolean ok, String taskId, String status) {}
}
