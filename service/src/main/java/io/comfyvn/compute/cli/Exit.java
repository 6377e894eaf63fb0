package io.comfyvn.compute.cli;

import io.comfyvn.compute.status.TaskStatus;
import java.util.Locale;

/** The client commands' exit codes: what a script may branch on (documented in docs/cli.md). */
public enum Exit {
  /** Success; for a job: it is done. */
  OK(0),
  /** The job failed ({@code status: error}), or the service answered {@code ok:false}. */
  FAILED(1),
  /** Bad command line: unknown command or option, a bad value, an unreadable input file. */
  USAGE(2),
  /** The service could not be reached (refused, timed out, no such host). */
  UNREACHABLE(3),
  /** The service refused the request (a 4xx answer: bad job, unknown id, no token...). */
  REFUSED(4),
  /** The service or the provider behind it failed (a 5xx answer, or an answer that is not JSON). */
  SERVICE_ERROR(5),
  /** The job was canceled. */
  CANCELED(6),
  /** {@code --timeout} elapsed before the job finished (it goes on running). */
  TIMEOUT(7),
  /** The job is still queued or running ({@code status} only). */
  PENDING(8),
  /**
   * The job is lost: its create reached the provider (or may have) and the service can no longer
   * find or follow it; a job may exist (and be billed) upstream. Not done, not failed.
   */
  LOST(9);

  private final int code;

  Exit(int code) {
    this.code = code;
  }

  /** The process exit code. */
  public int code() {
    return code;
  }

  /**
   * The exit for a job's status word: done 0, error 1, canceled 6, lost 9, queued, running or a
   * word this client does not know: pending.
   */
  static Exit forStatus(String status) {
    return TaskStatus.fromWire(status == null ? "" : status.toLowerCase(Locale.ROOT))
        .map(
            s ->
                switch (s) {
                  case DONE -> OK;
                  case ERROR -> FAILED;
                  case CANCELED -> CANCELED;
                  case LOST -> LOST;
                  case QUEUED, RUNNING -> PENDING;
                })
        .orElse(PENDING);
  }

  /** Whether a status word is final. */
  static boolean terminal(String status) {
    return forStatus(status) != PENDING;
  }
}
