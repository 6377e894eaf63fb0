package io.comfyvn.compute.workflow;

import java.util.Locale;

/** What a file holds, for inputs and outputs alike. */
public enum MediaKind {
  IMAGE,
  VIDEO,
  AUDIO,
  TEXT,
  /** A latent tensor ({@code SaveLatent}): useful only to another ComfyUI. */
  LATENT,
  /** Anything else a node saves (a 3D model, a mesh, ...). */
  FILE;

  /** The word in answers: {@code image}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
