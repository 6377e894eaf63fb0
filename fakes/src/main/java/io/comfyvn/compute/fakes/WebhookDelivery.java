package io.comfyvn.compute.fakes;

import java.time.Instant;

/**
 * One webhook attempt the fakes made.
 *
 * @param event {@code completed} for RunPod; Replicate's event name otherwise
 * @param attempt 1 for the first try
 * @param status the receiver's HTTP status, or 0 when the connection failed
 */
public record WebhookDelivery(
    String provider, String jobId, String event, String url, int attempt, int status, Instant at) {

  public boolean delivered() {
    return status >= 200 && status < 300;
  }
}
