package io.comfyvn.compute.fakes;

/** How a fake job ends when nobody cancels it; tests force FAIL or TIMEOUT per job. */
public enum Outcome {
  SUCCEED,
  FAIL,
  TIMEOUT
}
