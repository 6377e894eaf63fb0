// The providers' official JS clients (pinned in package.json), unchanged, against the fakes: the
// calls a ComfyUI workflow job makes (submit with an input image, poll, outputs, cancel, health,
// list, file upload, webhook signature) must work as they do against the real APIs.
// OfficialSdksIT starts the fakes on loopback, runs this with node and reads the one JSON report it
// prints last. Any failed expectation exits 1 with what was expected and what came back.
//
// Env: FAKES_URL, RUNPOD_KEY, REPLICATE_TOKEN, REPLICATE_WEBHOOK_SECRET, COG_VERSION, HF_TOKEN,
//      WORKFLOW_RUNPOD, WORKFLOW_REPLICATE (API-format graphs), INPUT_PNG (a file).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { InferenceClient } from "@huggingface/inference";
import runpodSdk from "runpod-sdk";

const require = createRequire(import.meta.url);
const Replicate = require("replicate");
const { validateWebhook } = Replicate;

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`missing env ${name}`);
  return v;
};
const fakes = env("FAKES_URL");
if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(fakes)) {
  throw new Error(`FAKES_URL must be loopback, not ${fakes}`);
}
const png = readFileSync(env("INPUT_PNG"));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function expect(cond, what, got) {
  if (!cond) {
    throw new Error(`expected ${what}; got ${JSON.stringify(got)?.slice(0, 600)}`);
  }
}

const isPng = (b) => b.length > 8 && b.subarray(0, 8).equals(PNG_SIGNATURE);

async function until(what, fn, done, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

// ---- RunPod serverless, worker-comfyui's contract, through runpod-sdk ----
async function runpod() {
  const report = {};
  const sdk = runpodSdk(env("RUNPOD_KEY"), { baseUrl: `${fakes}/runpod/v2` });
  const ep = sdk.endpoint("fake-endpoint");
  const workflow = JSON.parse(readFileSync(env("WORKFLOW_RUNPOD"), "utf8"));
  const input = {
    workflow,
    images: [{ name: "castle_sketch.png", image: `data:image/png;base64,${png.toString("base64")}` }],
  };

  const health = await ep.health();
  expect(health && health.jobs && health.workers, "health with jobs and workers", health);

  const run = await ep.run({ input });
  expect(typeof run.id === "string" && run.status === "IN_QUEUE", "run -> {id, IN_QUEUE}", run);
  const first = await ep.status(run.id);
  expect(first.started && !first.completed, "status of a fresh job: started, not completed", first);
  const done = await until("the job to complete", () => ep.status(run.id), (s) => s.completed);
  expect(done.succeeded && done.status === "COMPLETED", "COMPLETED", done);
  const images = done.output?.images ?? [];
  expect(images.length === 1 && images[0].type === "base64", "one base64 image", done.output);
  const out = Buffer.from(images[0].data, "base64");
  expect(isPng(out), "a PNG", images[0].data.slice(0, 40));
  report.run = { id: run.id, status: done.status, image: images[0].filename, sha256: sha256(out) };

  // runsync: the same job again, answered (or finished by status-sync polling) in one call
  const sync = await ep.runSync({ input }, 30000);
  expect(sync.completed && sync.status === "COMPLETED", "runSync -> COMPLETED", sync);
  const syncOut = Buffer.from(sync.output.images[0].data, "base64");
  expect(sha256(syncOut) === report.run.sha256, "runSync: the same bytes as run", sync.output);
  report.runSync = { id: sync.id, status: sync.status };

  const doomed = await ep.run({ input });
  const canceled = await ep.cancel(doomed.id);
  expect(canceled.status === "CANCELLED", "cancel -> CANCELLED", canceled);
  const after = await ep.status(doomed.id);
  expect(after.status === "CANCELLED" && after.completed, "status after cancel", after);
  report.cancel = { id: doomed.id, status: after.status };

  const purged = await ep.purgeQueue();
  expect(typeof purged.removed === "number", "purge-queue -> {removed}", purged);

  // a wrong key: the SDK returns (or throws) the 401 the real API gives
  const wrong = runpodSdk("rpa_WRONG", { baseUrl: `${fakes}/runpod/v2` }).endpoint("fake-endpoint");
  let status;
  try {
    status = (await wrong.health()).status;
  } catch (e) {
    status = e.response?.status;
  }
  expect(status === 401, "401 for a wrong key", status);
  report.wrongKey = status;
  return report;
}

// ---- Replicate, a cog-comfyui model (fofr/any-comfyui-workflow), through replicate ----
async function webhookReceiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, received, server };
}

async function replicate() {
  const report = {};
  const client = new Replicate({ auth: env("REPLICATE_TOKEN"), baseUrl: `${fakes}/replicate/v1` });
  const version = env("COG_VERSION");
  const workflowJson = readFileSync(env("WORKFLOW_REPLICATE"), "utf8");
  // a Buffer input: the SDK uploads it with POST /files and sends the file's URL instead
  const input = {
    workflow_json: workflowJson,
    input_file: png,
    output_format: "png",
    randomise_seeds: false,
  };

  const account = await client.accounts.current();
  expect(account.username === "comfyvn", "the account", account);
  const secret = await client.webhooks.default.secret.get();
  expect(secret.key === env("REPLICATE_WEBHOOK_SECRET"), "the webhook signing secret", secret);

  const hooks = await webhookReceiver();
  try {
    const created = await client.predictions.create({
      version,
      input,
      webhook: hooks.url,
      webhook_events_filter: ["completed"],
    });
    expect(created.status === "starting" && created.urls?.get, "a starting prediction", created);
    const uploaded = await client.files.list();
    expect(uploaded.results?.length >= 1, "the uploaded input in GET /files", uploaded);
    const file = uploaded.results[0];
    expect(file.checksums?.sha256 === sha256(png), "the upload's sha256", file);

    const done = await client.wait(created, { interval: 200 });
    expect(done.status === "succeeded", "succeeded", { status: done.status, error: done.error });
    expect(Array.isArray(done.output) && done.output.length === 1, "one output URL", done.output);
    const res = await fetch(done.output[0]);
    const out = Buffer.from(await res.arrayBuffer());
    expect(res.ok && isPng(out), "a PNG at the output URL", res.status);
    const progress = Replicate.parseProgressFromLogs(done.logs ?? "");
    report.predictions = {
      id: done.id,
      status: done.status,
      sha256: sha256(out),
      progress: progress ? { current: progress.current, total: progress.total } : null,
    };

    const hook = await until("the completed webhook", async () => hooks.received, (r) => r.length > 0);
    const valid = await validateWebhook(
      {
        id: hook[0].headers["webhook-id"],
        timestamp: hook[0].headers["webhook-timestamp"],
        signature: hook[0].headers["webhook-signature"],
        body: hook[0].body,
        secret: secret.key,
      },
    );
    expect(valid === true, "the webhook's signature valid by the SDK", hook[0].headers);
    const tampered = await validateWebhook({
      id: hook[0].headers["webhook-id"],
      timestamp: hook[0].headers["webhook-timestamp"],
      signature: hook[0].headers["webhook-signature"],
      body: hook[0].body.replace("succeeded", "failed"),
      secret: secret.key,
    });
    expect(tampered === false, "a changed body not valid", tampered);
    expect(JSON.parse(hook[0].body).id === done.id, "the webhook is the prediction's", hook[0].body);
    report.webhook = { valid, tamperedValid: tampered };
  } finally {
    hooks.server.close();
  }

  // run(): create with Prefer: wait, then poll until done, as users call it
  const output = await client.run(`fofr/any-comfyui-workflow:${version}`, { input });
  expect(Array.isArray(output) && output.length === 1, "run -> one output", output);
  const again = Buffer.from(await (await fetch(String(output[0]))).arrayBuffer());
  expect(sha256(again) === report.predictions.sha256, "run: the same bytes (same seed)", sha256(again));
  report.run = { sha256: sha256(again) };

  // a user's own deployment of the cog-comfyui model: the same input, Prefer: wait=5
  const deployed = await client.deployments.predictions.create("comfyvn", "fake-sdxl", {
    input,
    wait: 5,
  });
  const deployedDone =
    deployed.status === "succeeded" ? deployed : await client.wait(deployed, { interval: 200 });
  expect(deployedDone.status === "succeeded" && deployedDone.output?.length === 1,
    "the deployment's prediction succeeded with one output", deployedDone.status);
  const viaDeployment = Buffer.from(await (await fetch(deployedDone.output[0])).arrayBuffer());
  expect(sha256(viaDeployment) === report.predictions.sha256, "a deployment: the same bytes",
    sha256(viaDeployment));
  report.deployment = { status: deployedDone.status, sha256: sha256(viaDeployment) };

  const doomed = await client.predictions.create({ version, input });
  const canceled = await client.predictions.cancel(doomed.id);
  expect(canceled.status === "canceled", "cancel -> canceled", canceled.status);
  report.cancel = { id: doomed.id, status: canceled.status };

  const ids = [];
  for await (const page of client.paginate(client.predictions.list)) {
    ids.push(...page.map((p) => p.id));
  }
  expect(ids.includes(report.predictions.id) && ids.includes(doomed.id), "both in the list", ids);
  report.listed = ids.length;

  try {
    await client.predictions.create({ version: "no-such-version", input });
    throw new Error("expected a 422 for an unknown version");
  } catch (e) {
    expect(e.response?.status === 422, "ApiError 422 for an unknown version", e.message);
    report.unknownVersion = e.response.status;
  }
  return report;
}

// ---- Hugging Face, a custom-container endpoint running ComfyUI (docs/hf_comfyui_container.md),
// through @huggingface/inference: its primitive for a custom handler is request() with an
// endpointUrl (deprecated in favour of task calls, none of which sends a ComfyUI graph) ----
async function huggingface() {
  const report = {};
  const endpointUrl = `${fakes}/huggingface/inference/fake-sdxl`;
  // The client's own fetch option adds the header HF documents for a scaled-to-zero endpoint;
  // without it the client retries each 503 at once, with no pause, until the endpoint is up.
  const holdWhileWaking = (url, init) =>
    fetch(url, { ...init, headers: { ...init.headers, "X-Scale-Up-Timeout": "600" } });
  const client = new InferenceClient(env("HF_TOKEN"), { fetch: holdWhileWaking });
  const workflow = JSON.parse(readFileSync(env("WORKFLOW_RUNPOD"), "utf8"));
  const args = {
    endpointUrl,
    inputs: { workflow, files: { "castle_sketch.png": png.toString("base64") } },
    parameters: { seed: 42, request_id: "comfyvn-sdk-check-1" },
  };
  const answer = await client.request(args, { fetch: holdWhileWaking });
  expect(Array.isArray(answer.outputs) && answer.outputs.length === 1, "one output", answer);
  const out = Buffer.from(answer.outputs[0].base64, "base64");
  expect(answer.outputs[0].kind === "image" && isPng(out), "a PNG image output", answer.outputs[0]);
  report.request = { prompt_id: answer.prompt_id, sha256: sha256(out), replayed: !!answer.replayed };

  const again = await client.request(args, { fetch: holdWhileWaking });
  expect(again.replayed === true && again.outputs[0].base64 === answer.outputs[0].base64,
    "a resend under the same request_id replayed, the same bytes", again.replayed);
  report.resend = { replayed: again.replayed };

  try {
    await new InferenceClient("hf_wrong", { fetch: holdWhileWaking }).request(args);
    throw new Error("expected a 401 for a wrong token");
  } catch (e) {
    expect(e.httpResponse?.status === 401, "a 401 for a wrong token", e.message);
    report.wrongToken = e.httpResponse.status;
  }
  return report;
}

const report = {
  runpod: await runpod(),
  replicate: await replicate(),
  huggingface: await huggingface(),
};
console.log(JSON.stringify(report));
