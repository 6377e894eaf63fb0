package io.comfyvn.compute.workflow;

import java.net.URI;
import java.util.Locale;

/**
 * Where an input file comes from, as the job gives it: inline bytes (base64 or a data URL), an
 * {@code https} URL this service fetches, or a path under the service's {@code data/} folder.
 *
 * <p>{@link InputForms} reads them from a job. A string is read as a data URL when it starts with
 * {@code data:}, as a URL when it starts with {@code https://} or {@code http://}, as a path when
 * it holds a dot (base64 never does), and as base64 otherwise; {@code
 * {"base64"|"data_url"|"url"|"path": ...}} says it explicitly.
 */
public sealed interface InputSource {
  /** How the job gave the file: recorded in provenance. */
  Origin origin();

  /** The forms a file can take. */
  enum Origin {
    BASE64,
    DATA_URL,
    URL,
    PATH;

    /** The word in answers and sidecars. */
    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Bytes given in the request. */
  record Inline(byte[] data, Origin origin) implements InputSource {
    public Inline {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }
  }

  /** A URL to fetch; it carries no credentials (they are refused). */
  record Remote(URI url) implements InputSource {
    @Override
    public Origin origin() {
      return Origin.URL;
    }

    /** The URL without its query or fragment, for messages (a query may hold a signed token). */
    public String describe() {
      return url.getScheme()
          + "://"
          + url.getHost()
          + (url.getPort() < 0 ? "" : ":" + url.getPort())
          + (url.getRawPath() == null ? "" : WorkflowException.clip(url.getRawPath()));
    }
  }

  /** A path relative to the service's {@code data/} folder, already free of {@code ..}. */
  record Local(String path) implements InputSource {
    @Override
    public Origin origin() {
      return Origin.PATH;
    }
  }
}
