package io.comfyvn.compute.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.comfyvn.compute.Json;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every client command shares: the API, its output streams and JSON printing. */
abstract class ClientCommand implements Callable<Integer> {
  static final ObjectMapper MAPPER = Json.mapper();

  @Mixin ApiOptions connection;
  @Spec CommandSpec spec;

  private Api api;

  Api api() {
    if (api == null) {
      api = connection.api();
    }
    return api;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  void printJson(JsonNode node) {
    try {
      out().println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    out().flush();
  }

  /** One path segment, escaped. */
  static String seg(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String percent(double progress) {
    return String.format(Locale.ROOT, "%d%%", (int) Math.floor(progress * 100));
  }

  static String money(double usd) {
    return String.format(Locale.ROOT, "$%.4f", usd);
  }
}
