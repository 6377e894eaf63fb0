package io.comfyvn.compute.advisor;

import io.comfyvn.compute.status.Mode;
import java.util.List;

/**
 * How a public adapter would run a job right now, as the service's mode decision says (feature
 * flag, secrets, configured mode). The advisor only reads it: it never decides modes itself.
 *
 * @param mode how a job sent there would run
 * @param reasons why it is not live (empty when live)
 */
public record AdapterState(Mode mode, List<String> reasons) {
  public AdapterState {
    reasons = List.copyOf(reasons);
  }

  /** Whether a job sent there would really run. */
  public boolean live() {
    return mode == Mode.LIVE;
  }
}
