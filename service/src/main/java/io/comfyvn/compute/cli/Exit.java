package io.comfyvn.compute.cli;

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
  PENDING(8);

  private final int code;

  Exit(int code) {
    this.code = code;
  }

  /** The process exit code. */
  public int code() {
    return code;
  }

  /** The exit for a job's status word: done 0, error 1, canceled 6, anything else pending. */
  static Exit forStatus(String status) {
    return switch (status == null ? "" : status.toLowerCase(Locale.ROOT)) {
      case "done" -> OK;
      case "error" -> FAILED;
      case "canceled" -> CANCELED;
      default -> PENDING;
    };
  }

  /** Whether a status word is final. */
  static boolean terminal(String status) {
    return forStatus(status) != PENDING;
  }
}
