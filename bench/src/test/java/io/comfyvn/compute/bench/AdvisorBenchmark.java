package io.comfyvn.compute.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdapterState;
import io.comfyvn.compute.advisor.AdviceRequest;
import io.comfyvn.compute.advisor.Advisor;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.CatalogProvider;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.VramRules;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.advisor.Workflows;
import io.comfyvn.compute.sim.SimProfiles;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Advice over the whole catalog: every provider (public, legacy, self-hosted) and every GPU offer,
 * for an SDXL workflow with a budget. Run with {@code bin/bench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class AdvisorBenchmark {
  private Advisor advisor;
  private ObjectNode body;
  private AdviceRequest request;
  private Map<String, AdapterState> adapters;
  private ObjectMapper mapper;

  @Setup
  public void setUp() {
    PricingCatalog catalog = PricingCatalog.load(AdvisorSettings.DEFAULTS);
    advisor =
        new Advisor(catalog, new WorkflowAnalyzer(VramRules.load()), SimProfiles.load(), null);
    mapper = Json.mapper();
    body = mapper.createObjectNode();
    body.put("max_candidates", 200);
    ArrayNode all = body.putArray("providers");
    catalog.providers().stream()
        .filter(p -> !p.offers().isEmpty())
        .map(CatalogProvider::id)
        .forEach(all::add);
    ObjectNode workload = body.putObject("workload");
    workload.put("type", "cg_batch");
    workload.putObject("budget").put("limit_usd", 5).put("mode", "balanced");
    workload.set("workflow", Workflows.txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 2));
    request = AdviceRequest.parse(body);
    adapters = new TreeMap<>();
    for (String s : List.of("huggingface", "modal", "replicate", "runpod")) {
      adapters.put(
          s,
          new AdapterState(io.comfyvn.compute.status.Mode.DRY_RUN, List.of("feature flag is off")));
    }
  }

  /** The advisor alone: workflow analysis, every offer weighed and ranked. */
  @Benchmark
  public Advisor.Result adviseWholeCatalog() {
    return advisor.advise(request, adapters);
  }

  /** What the route does besides HTTP: parse the body, advise, write the JSON answer. */
  @Benchmark
  public byte[] parseAdviseSerialize() throws Exception {
    return mapper.writeValueAsBytes(advisor.advise(AdviceRequest.parse(body), adapters));
  }
}
