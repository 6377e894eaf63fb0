package io.comfyvn.compute.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;

/**
 * How instances share work, from the {@code cluster} section of {@code config/comfyvn.json}.
 *
 * @param instanceId {@code instance_id}, or null for the one kept in the home
 * @param lease {@code lease_ms} (15000): how long a task stays with an instance that stopped
 *     renewing; an instance that dies has its tasks taken over within this
 * @param heartbeat {@code heartbeat_ms} (5000, at most a third of the lease): how often an instance
 *     renews its leases and its row in {@code instances}, counts the live instances and looks for
 *     tasks nobody holds
 */
public record ClusterSettings(String instanceId, Duration lease, Duration heartbeat) {
  public ClusterSettings {
    if (lease.toMillis() < 300) {
      lease = Duration.ofMillis(300);
    }
    long most = lease.toMillis() / 3;
    if (heartbeat.toMillis() > most || heartbeat.toMillis() < 1) {
      heartbeat = Duration.ofMillis(most);
    }
  }

  /** From the {@code cluster} section (missing: the defaults). */
  public static ClusterSettings of(JsonNode c) {
    String id = c.path("instance_id").isTextual() ? c.path("instance_id").asText() : null;
    return new ClusterSettings(
        id,
        Duration.ofMillis(c.path("lease_ms").asLong(15_000)),
        Duration.ofMillis(c.path("heartbeat_ms").asLong(5_000)));
  }
}
