package io.comfyvn.compute.cluster;

import io.comfyvn.compute.tasks.TaskEvent;
import io.comfyvn.compute.tasks.TaskRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Task changes across instances on PostgreSQL: every change this instance writes is announced with
 * {@code pg_notify} (who wrote it, the event type, the task id; queued and sent in write order, up
 * to 500 per statement, off the writer's thread), and a dedicated connection LISTENs for the
 * others' notices ({@code PGConnection.getNotifications} with a timeout) and hands them to {@link
 * TaskRegistry#relay}, which reads the task as stored and announces it to this instance's listeners
 * ({@code /jobs/ws}, modder hooks) marked relayed. A notice is only a pointer: the row is the
 * truth, and a notice lost while the listening connection was down costs a socket message, never a
 * task.
 *
 * <p>The channel is named after the schema, so deployments sharing a database (or tests on one
 * schema each) do not hear each other.
 */
public final class ChangeFeed implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChangeFeed.class);
  private static final char SEP = '\u001f';

  private final Jdbi jdbi;
  private final DataSource dataSource;
  private final TaskRegistry tasks;
  private final String instanceId;
  private final String channel;
  private final Thread listener;
  private final Thread publisher;

  /** Notices waiting to be sent, in the order the changes were written. */
  private final BlockingQueue<String> outbox = new LinkedBlockingQueue<>(OUTBOX);

  private volatile boolean running = true;

  /** Notices kept while the database is slow; past this, notices are dropped (and counted). */
  static final int OUTBOX = 100_000;

  /** Notices sent in one statement at most. */
  static final int BATCH = 500;

  private ChangeFeed(Jdbi jdbi, DataSource ds, TaskRegistry tasks, String instanceId, String ch) {
    this.jdbi = jdbi;
    this.dataSource = ds;
    this.tasks = tasks;
    this.instanceId = instanceId;
    this.channel = ch;
    this.listener = new Thread(this::listen, "task-change-feed");
    this.listener.setDaemon(true);
    this.publisher = new Thread(this::send, "task-change-notify");
    this.publisher.setDaemon(true);
  }

  /** Starts publishing this instance's changes and listening for the others'. */
  public static ChangeFeed start(Jdbi jdbi, DataSource ds, TaskRegistry tasks, String instanceId) {
    String schema =
        jdbi.withHandle(h -> h.createQuery("SELECT current_schema()").mapTo(String.class).one());
    ChangeFeed feed = new ChangeFeed(jdbi, ds, tasks, instanceId, channel(schema));
    tasks.subscribe(feed::publish);
    feed.listener.start();
    feed.publisher.start();
    return feed;
  }

  /** {@code comfyvn_tasks_<schema>}, lower case letters, digits and underscores, at most 63. */
  static String channel(String schema) {
    String safe =
        schema == null ? "public" : schema.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    String name = "comfyvn_tasks_" + safe;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /** The notice for one change: writer, type, task id (ids are at most 64 characters). */
  static String payload(String instanceId, TaskEvent e) {
    return instanceId + SEP + e.type() + SEP + e.task().id();
  }

  /**
   * Queues the notice of a change this instance wrote. Sent by the publisher thread, many per
   * statement, in write order: the writer (a submit answering a caller) never waits for it.
   */
  private void publish(TaskEvent e) {
    if (e.relayed()) {
      return; // another instance's change: it told everyone already
    }
    if (!outbox.offer(payload(instanceId, e))) {
      log.atWarn().addKeyValue("task_id", e.task().id()).log("change notice dropped (outbox full)");
    }
  }

  private void send() {
    List<String> batch = new ArrayList<>(BATCH);
    while (running || !outbox.isEmpty()) {
      try {
        String first = outbox.poll(500, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        outbox.drainTo(batch, BATCH - 1);
        sendNotices(batch);
      } catch (InterruptedException e) {
        if (!running) {
          outbox.drainTo(batch, BATCH);
          sendNotices(batch); // what was written before the stop
          return;
        }
      } finally {
        batch.clear();
      }
    }
  }

  private void sendNotices(List<String> payloads) {
    if (payloads.isEmpty()) {
      return;
    }
    try {
      jdbi.useHandle(
          h ->
              h.createQuery(
                      "SELECT pg_notify(:channel, p)::text FROM unnest(CAST(:payloads AS text[])) AS p")
                  .bind("channel", channel)
                  .bindArray("payloads", String.class, payloads)
                  .mapTo(String.class)
                  .list());
    } catch (JdbiException ex) {
      // the changes are stored; other instances' sockets miss these messages
      log.warn("{} change notices not sent: {}", payloads.size(), ex.getClass().getSimpleName());
    }
  }

  /** Handles one notice; false when it is this instance's own (or not ours at all). */
  boolean handle(String payload) {
    Optional<TaskRegistry.Notice> n = notice(payload);
    n.ifPresent(x -> tasks.relayAll(List.of(x)));
    return n.isPresent();
  }

  /** Another instance's notice, or empty when it is this instance's own (or not ours at all). */
  private Optional<TaskRegistry.Notice> notice(String payload) {
    String[] parts = payload.split(String.valueOf(SEP), -1);
    if (parts.length != 3 || parts[0].equals(instanceId)) {
      return Optional.empty();
    }
    return Optional.of(new TaskRegistry.Notice(parts[1], parts[2]));
  }

  /**
   * Relays the notices that arrived together with one read of their tasks (a busy peer sends
   * hundreds a second; a read per notice cost each instance about as much as its own submits).
   */
  private void relay(PGNotification[] notes) {
    List<TaskRegistry.Notice> batch = new ArrayList<>(notes.length);
    for (PGNotification n : notes) {
      notice(n.getParameter()).ifPresent(batch::add);
    }
    tasks.relayAll(batch);
  }

  private void listen() {
    long backoff = 200;
    while (running) {
      try (Connection c = dataSource.getConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN \"" + channel + "\"");
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        backoff = 200;
        while (running) {
          PGNotification[] notes = pg.getNotifications(500);
          if (notes == null) {
            continue;
          }
          try {
            relay(notes);
          } catch (RuntimeException ex) {
            log.warn(
                "relaying {} task changes failed: {}", notes.length, ex.getClass().getSimpleName());
          }
        }
      } catch (SQLException | RuntimeException ex) {
        if (!running) {
          return;
        }
        log.warn(
            "task change feed lost its connection ({}); reconnecting",
            ex.getClass().getSimpleName());
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(5000, backoff * 2);
      }
    }
  }

  @Override
  public void close() {
    running = false;
    publisher.interrupt();
    try {
      publisher.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    listener.interrupt();
    try {
      listener.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
