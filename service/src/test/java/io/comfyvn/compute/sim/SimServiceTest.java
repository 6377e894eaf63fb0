package io.comfyvn.compute.sim;

import static io.comfyvn.compute.advisor.Workflows.json;
import static io.comfyvn.compute.advisor.Workflows.txt2img;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.comfyvn.compute.Json;
import io.comfyvn.compute.advisor.AdvisorSettings;
import io.comfyvn.compute.advisor.Estimate;
import io.comfyvn.compute.advisor.PricingCatalog;
import io.comfyvn.compute.advisor.VramRules;
import io.comfyvn.compute.advisor.WorkflowAnalyzer;
import io.comfyvn.compute.config.AppConfig;
import io.comfyvn.compute.config.ConfigLoader;
import io.comfyvn.compute.errors.ComputeException;
import io.comfyvn.compute.gpu.GpuProviders;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimServiceTest {
  @TempDir Path home;

  private SimService service(AppConfig config) {
    return new SimService(
        GpuProviders.discover(),
        config,
        PricingCatalog.load(AdvisorSettings.DEFAULTS),
        SimProfiles.load(),
        new WorkflowAnalyzer(VramRules.load()));
  }

  private SimService shipped() {
    return service(new ConfigLoader(Json.mapper()).load(home));
  }

  private static ObjectNode job(String text) {
    return (ObjectNode) json(text);
  }

  @Test
  void hardwareComesFromTheJobThenTheConfigThenTheCatalog() throws Exception {
    SimService s = shipped();
    assertThat(s.plan("runpod", job("{}")).offer().sku()).isEqualTo("ADA_24");
    assertThat(s.plan("runpod", job("{}")).hardwareSource()).isEqualTo("config");
    assertThat(s.plan("runpod.io", job("{'hardware': 'ampere_80'}")).offer().sku())
        .isEqualTo("AMPERE_80");
    assertThat(s.plan("runpod", job("{'hardware': 'AMPERE_80'}")).hardwareSource())
        .isEqualTo("job");
    Files.createDirectories(home.resolve("config"));
    Files.writeString(
        home.resolve("config/comfyvn.json"),
        "{\"providers_gpu\": {\"modal\": {\"hardware\": \"no-such-gpu\"}}}");
    SimService custom = service(new ConfigLoader(Json.mapper()).load(home));
    assertThat(custom.plan("modal", job("{}")).hardwareSource()).isEqualTo("default");
    assertThat(custom.plan("modal", job("{}")).offer().sku()).isEqualTo("T4");
  }

  @Test
  void unknownHardwareAndBadEstimatesAreBadRequests() {
    SimService s = shipped();
    assertThatThrownBy(() -> s.plan("replicate", job("{'hardware': 'gpu-9000'}")))
        .isInstanceOfSatisfying(
            ComputeException.class, e -> assertThat(e.code()).isEqualTo("unknown_hardware"))
        .hasMessageContaining("gpu-l40s");
    assertThatThrownBy(() -> s.plan("replicate", job("{'hardware': 5}")))
        .isInstanceOfSatisfying(
            ComputeException.class, e -> assertThat(e.code()).isEqualTo("invalid_type"));
    assertThatThrownBy(() -> s.plan("replicate", job("{'estimated_seconds': -5}")))
        .isInstanceOfSatisfying(
            ComputeException.class, e -> assertThat(e.code()).isEqualTo("invalid_value"));
    assertThatThrownBy(() -> s.plan("nope", job("{}")))
        .isInstanceOfSatisfying(
            ComputeException.class,
            e -> assertThat(e.kind()).isEqualTo(ComputeException.Kind.NOT_FOUND));
  }

  @Test
  void theWorkflowIsFoundWhereComfyUiAndRunpodPutIt() {
    SimService s = shipped();
    ObjectNode viaPrompt = Json.mapper().createObjectNode();
    viaPrompt.set("prompt", txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 3));
    ObjectNode viaInput = Json.mapper().createObjectNode();
    viaInput
        .putObject("input")
        .set("workflow", txt2img("sd_xl_base_1.0.safetensors", 1024, 1024, 3));
    assertThat(s.plan("runpod", viaPrompt).workflow().family()).isEqualTo("sdxl");
    assertThat(s.plan("runpod", viaInput).job().outputs()).isEqualTo(3);
    assertThat(s.plan("runpod", job("{'prompt': 'a cat'}")).workflow()).isNull();
  }

  @Test
  void aStatedRunTimeDrivesTheEstimate() {
    SimService s = shipped();
    Estimate e = s.estimate(s.plan("replicate", job("{'estimated_seconds': 100}")));
    // Replicate does not bill the cold start of public models: exactly the 100 s run.
    assertThat(e.billedSeconds()).isEqualTo(100);
    assertThat(e.usd()).isEqualTo(0.0975);
  }

  @Test
  void submitEstimatesNeverRejectAJob() {
    SimService s = shipped();
    Estimate e = s.estimate("modal", job("{'workflow': {'1': 'broken'}}"));
    assertThat(e.basis()).contains("job not sized");
    assertThat(e.sku()).isEqualTo("L40S");
    assertThat(e.usd()).isPositive();
  }
}
