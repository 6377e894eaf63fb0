package io.comfyvn.compute.tasks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.HexFormat;
import java.util.List;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * Version 2 of the task table: the facts that decide what happens to a submit become columns (mode,
 * submit state, seed, fingerprint, estimate, artifacts, missing secrets, the webhook token's
 * SHA-256, a version for compare-and-set), {@code meta} becomes {@code details} (display data
 * only), and the idempotency key is unique per mode among creates whose job may exist upstream,
 * instead of unique outright (a refused create may be tried again under its key).
 *
 * <p>Java rather than SQL because existing rows are carried over from their meta JSON, and SQLite
 * and PostgreSQL read JSON with different functions; the DDL is the subset both share.
 */
final class V2__TypedTasks extends BaseJavaMigration {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Meta keys that are columns from now on (or, like {@code reconcile}, follow from one). */
  private static final List<String> MOVED =
      List.of(
          "dry_run",
          "provider_slug",
          "public_adapter",
          "mode",
          "seed",
          "job_sha256",
          "provider_job_id",
          "submit_state",
          "reconcile",
          "estimate",
          "artifacts",
          "missing_secrets",
          "webhook_token");

  private static final List<String> DDL =
      List.of(
          "ALTER TABLE tasks RENAME COLUMN meta TO details",
          "ALTER TABLE tasks ADD COLUMN mode VARCHAR(16)",
          "ALTER TABLE tasks ADD COLUMN submit_state VARCHAR(16)",
          "ALTER TABLE tasks ADD COLUMN seed BIGINT",
          "ALTER TABLE tasks ADD COLUMN fingerprint VARCHAR(64)",
          "ALTER TABLE tasks ADD COLUMN estimate TEXT",
          "ALTER TABLE tasks ADD COLUMN artifacts TEXT NOT NULL DEFAULT '[]'",
          "ALTER TABLE tasks ADD COLUMN missing_secrets TEXT NOT NULL DEFAULT '[]'",
          "ALTER TABLE tasks ADD COLUMN webhook_token_sha256 VARCHAR(64)",
          "ALTER TABLE tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 0",
          "DROP INDEX tasks_idempotency_key",
          "CREATE INDEX tasks_idempotency_key ON tasks (idempotency_key)",
          // At most one create per key and mode whose job may exist upstream: the store's insert
          // (ON CONFLICT DO NOTHING) makes two racing submits under one key one upstream job.
          "CREATE UNIQUE INDEX tasks_idempotency_upstream ON tasks (idempotency_key, mode)"
              + " WHERE submit_state IN "
              + JdbiTaskStore.MAY_EXIST_UPSTREAM,
          // retention prunes dry-run and sim tasks by mode and age
          "CREATE INDEX tasks_mode_created ON tasks (mode, created_at)");

  @Override
  public void migrate(Context context) throws Exception {
    Connection c = context.getConnection();
    try (Statement st = c.createStatement()) {
      for (String sql : DDL) {
        st.execute(sql);
      }
    }
    try (PreparedStatement select = c.prepareStatement("SELECT id, kind, details FROM tasks");
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE tasks SET details = ?, mode = ?, submit_state = ?, seed = ?, fingerprint"
                    + " = ?, estimate = ?, artifacts = ?, missing_secrets = ?,"
                    + " webhook_token_sha256 = ? WHERE id = ?");
        ResultSet rs = select.executeQuery()) {
      int batched = 0;
      while (rs.next()) {
        carryOver(rs.getString("id"), rs.getString("kind"), rs.getString("details"), update);
        update.addBatch();
        if (++batched % 500 == 0) {
          update.executeBatch();
        }
      }
      update.executeBatch();
    }
  }

  /** Binds one row's new columns, read from its version 1 meta. */
  static void carryOver(String id, String kind, String metaText, PreparedStatement update)
      throws Exception {
    JsonNode parsed = JSON.readTree(metaText);
    ObjectNode meta =
        parsed != null && parsed.isObject() ? (ObjectNode) parsed : JSON.createObjectNode();
    boolean submit = "public.gpu.submit".equals(kind) || meta.path("public_adapter").asBoolean();
    String mode = null;
    String state = null;
    Long seed = null;
    String fingerprint = null;
    String estimate = null;
    String webhookHash = null;
    JsonNode artifacts =
        meta.path("artifacts").isArray() ? meta.get("artifacts") : JSON.createArrayNode();
    ArrayNode missing = JSON.createArrayNode();
    if (submit) {
      mode = modeOf(meta);
      meta.path("missing_secrets").forEach(n -> missing.add(n.asText()));
      state = submitStateOf(meta, mode, !missing.isEmpty());
      seed = meta.path("seed").asLong(0);
      fingerprint = meta.path("job_sha256").asText(null);
      estimate = meta.path("estimate").isObject() ? meta.get("estimate").toString() : null;
      String token = meta.path("webhook_token").asText("");
      webhookHash = token.isEmpty() ? null : sha256(token);
      MOVED.forEach(meta::remove);
    }
    update.setString(1, meta.toString());
    setOrNull(update, 2, mode);
    setOrNull(update, 3, state);
    if (seed == null) {
      update.setNull(4, Types.BIGINT);
    } else {
      update.setLong(4, seed);
    }
    setOrNull(update, 5, fingerprint);
    setOrNull(update, 6, estimate);
    update.setString(7, artifacts.toString());
    update.setString(8, missing.toString());
    setOrNull(update, 9, webhookHash);
    update.setString(10, id);
  }

  private static String modeOf(JsonNode meta) {
    String m = meta.path("mode").asText("");
    if (m.equals("dry_run") || m.equals("sim") || m.equals("live")) {
      return m;
    }
    return meta.path("dry_run").asBoolean(true) ? "dry_run" : "live";
  }

  /** Version 1's words ({@code sending}, {@code unknown}...) as submit states. */
  static String submitStateOf(JsonNode meta, String mode, boolean missingSecrets) {
    switch (meta.path("submit_state").asText("")) {
      case "sending":
        return "sent";
      case "unknown":
        return "ambiguous";
      case "refused":
        return "refused";
      case "accepted":
        return "accepted";
      default:
        break;
    }
    if (mode.equals("live")) {
      return meta.hasNonNull("provider_job_id") ? "accepted" : "sent";
    }
    return missingSecrets ? "not_sent" : "accepted";
  }

  private static void setOrNull(PreparedStatement st, int i, String v) throws SQLException {
    if (v == null) {
      st.setNull(i, Types.VARCHAR);
    } else {
      st.setString(i, v);
    }
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
