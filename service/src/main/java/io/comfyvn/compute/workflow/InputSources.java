package io.comfyvn.compute.workflow;

import java.net.URI;

/**
 * Where {@link InputFiles} reads files that are not inline: the service's {@code data/} folder and
 * the web. A port, so the workflow package itself does no I/O and tests give their own.
 */
public interface InputSources {
  /**
   * A file under the data folder.
   *
   * @param path relative, free of {@code ..} ({@link InputSource.Local})
   * @param maxBytes refuse a file larger than this
   * @throws WorkflowException {@link Problem#FILE_NOT_FOUND}, {@link Problem#PATH_ESCAPE} (a link
   *     out of the folder) or {@link Problem#INPUT_TOO_LARGE}
   */
  byte[] local(String name, String path, long maxBytes);

  /**
   * A file on the web.
   *
   * @throws WorkflowException {@link Problem#URL_NOT_ALLOWED}, {@link Problem#FETCH_FAILED} or
   *     {@link Problem#INPUT_TOO_LARGE}
   */
  byte[] remote(String name, URI url, long maxBytes);

  /**
   * Sources that read no file and fetch no URL: only inline (base64, data URL) inputs can be had.
   * For tests and embeddings without a data folder.
   */
  static InputSources inlineOnly() {
    return new InputSources() {
      @Override
      public byte[] local(String name, String path, long maxBytes) {
        throw WorkflowException.at(
            Problem.FILE_NOT_FOUND, null, name, "input '" + name + "': no data folder to read");
      }

      @Override
      public byte[] remote(String name, URI url, long maxBytes) {
        throw WorkflowException.at(
            Problem.URL_NOT_ALLOWED, null, name, "input '" + name + "': URLs are not fetched here");
      }
    };
  }
}
