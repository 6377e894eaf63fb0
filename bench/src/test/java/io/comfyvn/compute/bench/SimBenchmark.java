package io.comfyvn.compute.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.VramRules;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.advisor.Workflows;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.gpu.GpuProviders;
import io.comfyvn.compute.sim.SimProfiles;
import io.comfyvn.compute.sim.SimRun;
import io.comfyvn.compute.sim.SimService;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Sim mode for one job: the engine alone, and plan + simulate + JSON as /simulate does it. */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SimBenchmark {
  private SimService sim;
  private SimService.Plan plan;
  private ObjectNode job;
  private ObjectMapper mapper;
  private long seed;

  @Setup
  public void setUp() throws Exception {
    mapper = Json.mapper();
    sim =
        new SimService(
            GpuProviders.discover(),
            new ConfigLoader(mapper).load(Files.createTempDirectory("bench")),
            PricingCatalog.load(AdvisorSettings.DEFAULTS),
            SimProfiles.load(),
            new WorkflowAnalyzer(VramRules.load()));
    job = mapper.createObjectNode();
    job.set("workflow", Workflows.txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 1));
    plan = sim.plan("runpod", job);
  }

  /** The engine for one job (a new seed each call, so every branch mix is exercised). */
  @Benchmark
  public SimRun simulateOneJob() {
    return sim.simulate(plan, seed++);
  }

  /** Resolve provider, hardware and workflow, simulate, and write the JSON. */
  @Benchmark
  public byte[] planSimulateSerialize() throws Exception {
    return mapper.writeValueAsBytes(sim.simulate(sim.plan("runpod", job), seed++));
  }
}
