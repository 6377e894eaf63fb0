package io.comfyvn.compute.cli;

import io.comfyvn.compute.Json;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --url} and the token from the environment: how every client command reaches the API. */
final class ApiOptions {
  /** The environment variable that sets the default {@code --url}. */
  static final String URL_ENV = "COMFYVN_URL";

  @Option(
      names = "--url",
      paramLabel = "URL",
      defaultValue = "${env:COMFYVN_URL:-http://127.0.0.1:8001}",
      description =
          "The service's address (default: $COMFYVN_URL, else http://127.0.0.1:8001). The token,"
              + " when the service needs one, is read from $COMFYVN_API_TOKEN.")
  String url;

  Api api() {
    return new Api(url, System.getenv(Api.TOKEN_ENV), Json.mapper(), Duration.ofSeconds(30));
  }
}
