package io.comfyvn.compute.cli;

/** A failure the CLI reports as one line on stderr and an exit code, never a stack trace. */
final class CliException extends RuntimeException {
  private final Exit exit;

  CliException(Exit exit, String message) {
    super(message, null, false, false);
    this.exit = exit;
  }

  Exit exit() {
    return exit;
  }
}
