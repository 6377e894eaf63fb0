package io.comfyvn.compute.fakes;

/** The provider-neutral phase of a fake job; each fake renders it in its own status words. */
enum Phase {
  QUEUED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELED,
  TIMED_OUT;

  boolean terminal() {
    return this != QUEUED && this != RUNNING;
  }
}
