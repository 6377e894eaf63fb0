// Studio "Compute" view: provider readiness, the sample secrets file, a job form, the live task
// list and one task's detail (timeline, log, estimate vs. actual, outputs, provenance, cancel).
// Plain DOM, no build step, nothing fetched from elsewhere; every value from the server is
// inserted as text (or as a same-origin media URL the service built).
"use strict";

const $ = (sel) => document.querySelector(sel);
const jobs = new Map();
// What the page saw happen to a task while it was open: (task id) -> (step -> time of the change).
const seenAt = new Map();
// The result of the last cancel asked for a task, in words: (task id) -> text.
const cancelNotes = new Map();
let selected = null;
let secretsFile = "config/comfyvn.secrets.json";
const providerNames = new Map();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function badge(text, cls, title) {
  return el("span", { class: "badge " + (cls || text), title }, text);
}

// One word for each mode, the same everywhere on the page (and in the docs).
const MODE_WORDS = { dry_run: "dry-run", sim: "sim", live: "live" };

function modeWord(mode) {
  return MODE_WORDS[mode] || mode || "";
}

// The status words the page knows. `lost` (the service lost track of a live job) is terminal;
// any other word is shown as it is, neutral, with no progress bar and no cancel button.
const STATUSES = {
  queued: { active: true },
  running: { active: true },
  done: { terminal: true },
  error: { terminal: true, failed: true },
  canceled: { terminal: true },
  lost: {
    terminal: true,
    failed: true,
    hint:
      "The service lost track of this job: a job may exist upstream. Check the provider's " +
      "dashboard before running it again.",
  },
};

function statusOf(word) {
  const known = Object.prototype.hasOwnProperty.call(STATUSES, word) ? STATUSES[word] : null;
  if (known) return { word, cls: word, ...known };
  const shown = word || "unknown";
  return { word: shown, cls: "unknown", unknown: true, hint: "A status this page does not know: " + shown };
}

function plural(list, one, many) {
  return (list.length === 1 ? one : many) + " " + list.join(", ");
}

function providerName(slug) {
  return providerNames.get(slug) || slug || "the provider";
}

// A refusal or failure in words: the service's code picks the lead, its message (already words)
// follows, and the facts it gave (names, retry time) are spelled out. Never the raw JSON.
function explain(code, facts, message) {
  const f = facts || {};
  const missing = Array.isArray(f.missing) ? f.missing : [];
  const node = f.node_id ? " (node " + f.node_id + (f.class_type ? ", " + f.class_type : "") + ")" : "";
  const msg = message ? String(message) : "";
  // the lead, then the service's message as a sentence of its own
  const then = (lead) => (msg && !lead.includes(msg) ? lead + " " + msg.charAt(0).toUpperCase() + msg.slice(1) : lead);
  let text;
  switch (code) {
    case "missing_model":
      text = missing.length
        ? "The provider lacks " + plural(missing, "the model file", "the model files") + node +
          ": install it there or pick a model it has."
        : then("The provider lacks a model the workflow needs" + node + ".");
      break;
    case "missing_node":
      text = missing.length
        ? "The provider lacks " + plural(missing, "the node class", "the node classes") + node +
          ": install the custom node there or change the workflow."
        : then("The provider lacks a node class the workflow needs" + node + ".");
      break;
    case "missing_secrets":
    case "missing token": {
      const names = Array.isArray(f.missing_secrets) ? f.missing_secrets : [];
      text =
        "Not sent: " + providerName(f.provider) + " is missing " +
        (names.length ? plural(names, "the secret", "the secrets") : "its secrets") +
        ". Add " + (names.length === 1 ? "it" : "them") + " to " + secretsFile + ".";
      break;
    }
    case "spend_limit":
      text = then("Refused by the daily spend limit.");
      break;
    case "submit_rate_limit":
    case "rate_limited":
    case "provider_rate_limited":
    case "queue_full":
      text = then(code === "queue_full" ? "The provider's queue is full." : "Too many submits for now (rate limit).");
      break;
    case "insufficient_credits":
      text = then("The provider's account has no credits left.");
      break;
    case "network_off":
      text = then("Not sent: this service may not reach the network for this provider.");
      break;
    case "egress_denied":
      text = then("Blocked before sending: that address is not allowed (egress.allowed_base_urls).");
      break;
    case "provider_unauthorized":
      text = then("The provider refused the credentials; check the key in " + secretsFile + ".");
      break;
    case "provider_circuit_open":
      text = then("Paused after repeated provider failures; it tries again shortly.");
      break;
    case "provider_timeout":
    case "provider_unreachable":
    case "provider_unavailable":
      text = then("The provider did not answer.");
      break;
    case "provider_rejected":
    case "provider_conflict":
    case "provider_not_found":
    case "provider_error":
    case "provider_bad_answer":
      text = then("The provider did not take the job.");
      break;
    case "provider_not_configured":
      text = then("The provider is not set up for live use.");
      break;
    default:
      text = msg || "It failed (" + (code || "no reason given") + ").";
  }
  const retry = Number(f.retry_after_seconds);
  if (retry > 0) text += " Try again in " + retry + " s.";
  return text;
}

// Why a task failed (or was lost), in words, from what the task carries.
function failureReason(j) {
  const m = j.meta || {};
  const provider = j.provider || m.provider_slug;
  if (j.status === "lost") return STATUSES.lost.hint + (j.message ? " (" + j.message + ")" : "");
  if (m.failure && m.failure.code) return explain(m.failure.code, m.failure, m.error || j.message);
  if (Array.isArray(m.missing_secrets) && m.missing_secrets.length) {
    return explain("missing_secrets", { missing_secrets: m.missing_secrets, provider }, null);
  }
  if (m.error_code) return explain(m.error_code, { provider }, m.error || j.message);
  return m.error || j.message || "It failed without a reason given.";
}

// With an API token set (serving beyond loopback), any call answers 401 until the page has logged
// in: ask for the token once, post it to /api/session (which sets an HttpOnly cookie this script
// never sees), then retry. The token itself is kept nowhere.
let loginWaiters = [];

async function call(url, options) {
  let r;
  try {
    r = await fetch(url, options);
  } catch (e) {
    return { response: null, failure: { ok: false, code: "unreachable", message: "The service cannot be reached." } };
  }
  if (r.status === 401) {
    await loggedIn();
    return call(url, options);
  }
  return { response: r };
}

async function json(url, options) {
  const { response: r, failure } = await call(url, options);
  if (failure) return failure;
  let body;
  try {
    body = await r.json();
  } catch (e) {
    return { ok: false, code: "bad_answer", message: "The service answered HTTP " + r.status + " without JSON." };
  }
  const retry = r.headers.get("Retry-After");
  if (body && body.ok === false && retry && body.retry_after_seconds === undefined && /^\d+$/.test(retry)) {
    body.retry_after_seconds = Number(retry);
  }
  return body;
}

async function text(url) {
  const { response: r, failure } = await call(url);
  if (failure) return { ok: false, message: failure.message };
  if (!r.ok) {
    let body = {};
    try {
      body = await r.json();
    } catch (e) {
      // not JSON: keep the status alone
    }
    return { ok: false, status: r.status, code: body.code, message: body.message };
  }
  return { ok: true, text: await r.text() };
}

function loggedIn() {
  $("#login").hidden = false;
  $("#token").focus();
  return new Promise((resolve) => loginWaiters.push(resolve));
}

async function login(event) {
  event.preventDefault();
  const token = $("#token");
  const r = await fetch("/api/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: token.value }),
  });
  token.value = "";
  if (!r.ok) {
    $("#login-state").textContent = "That is not this service's token.";
    return;
  }
  $("#login-state").textContent = "";
  $("#login").hidden = true;
  const waiting = loginWaiters;
  loginWaiters = [];
  waiting.forEach((resolve) => resolve());
}

function td(label, ...children) {
  return el("td", { "data-label": label }, ...children);
}

async function loadProviders() {
  const data = await json("/api/providers/gpu/providers");
  if (!data.ok) return;
  const flag = $("#flag");
  flag.textContent = "public GPU adapters: " + (data.feature.enabled ? "on" : "off");
  flag.className = "badge " + (data.feature.enabled ? "ok" : "off");
  secretsFile = data.secrets_file || secretsFile;
  $("#secrets-file").textContent = secretsFile;
  const problem = $("#secrets-problem");
  problem.hidden = !data.secrets_problem;
  problem.textContent = data.secrets_problem || "";
  showConfigProblems(data.config_problems);
  const body = $("#providers tbody");
  body.replaceChildren();
  const select = $("#provider");
  const chosen = select.value;
  select.replaceChildren();
  for (const p of data.providers) {
    providerNames.set(p.slug, p.name);
    const secrets = td("Secrets");
    for (const key of p.required_secrets) {
      const missing = p.missing_secrets.includes(key);
      secrets.append(el("div", { class: missing ? "missing" : "" }, (missing ? "missing " : "✓ ") + key));
    }
    if (p.required_secrets.length === 0) {
      // a self-hosted ComfyUI needs no secret: say so rather than leave the cell blank
      secrets.append(el("div", { class: "hint" }, "none needed"));
    }
    const readiness = p.readiness === "dry_run" ? "dry-run ready" : p.readiness.replace("_", " ");
    body.append(
      el("tr", { "data-slug": p.slug },
        td("Provider", el("strong", {}, p.name), el("div", { class: "hint" }, p.slug)),
        td("Readiness", badge(readiness, p.readiness)),
        secrets,
        td("Why not live", el("span", { class: "hint" }, (p.mode_reasons || []).join("; ") || "—")),
        td("Pricing as of", el("a", { href: p.pricing_url, rel: "noopener", target: "_blank" }, p.pricing_as_of))));
    select.append(el("option", { value: p.slug }, p.name));
  }
  if (chosen && providerNames.has(chosen)) select.value = chosen;
  const empty = $("#providers-empty");
  const live = data.providers.filter((p) => p.readiness === "live");
  if (data.providers.length === 0) {
    empty.textContent = "No providers are installed in this service.";
  } else if (live.length === 0) {
    empty.textContent =
      "No provider is ready to run live, so every submit is a dry-run (or a sim when asked). " +
      "Going live needs the feature flag, the provider's secrets in " + secretsFile +
      ' and "mode": "live" for it; "Why not live" says what each one lacks.';
  }
  empty.hidden = live.length > 0 && data.providers.length > 0;
  $("#sample").textContent = JSON.stringify(data.sample_secrets, null, 2);
}

// Problems in the config files, when the service reports them (text, or {file, path, message}).
function showConfigProblems(problems) {
  const list = $("#config-problems");
  list.replaceChildren();
  const all = Array.isArray(problems) ? problems : [];
  for (const p of all) {
    if (typeof p === "string") list.append(el("li", {}, p));
    else if (p && typeof p === "object") {
      const where = [p.file, p.path].filter(Boolean).join(" ");
      list.append(el("li", {}, (where ? where + ": " : "") + (p.message || JSON.stringify(p))));
    }
  }
  list.hidden = list.children.length === 0;
}

// Dollars as the page shows them: cents above a dollar, four decimals below (jobs cost fractions).
function usd(v) {
  return "$" + (v >= 1 ? v.toFixed(2) : v.toFixed(4));
}

// Today's estimated spend against the spend guard's limits (read-only; set in config/comfyvn.json).
async function loadSpend() {
  const data = await json("/api/providers/gpu/spend");
  if (!data.ok) return;
  $("#spend-resets").textContent = "at " + data.resets_at.replace("T", " ").replace(":00Z", " UTC");
  const body = $("#spend tbody");
  body.replaceChildren();
  for (const s of [data.total, ...data.providers]) {
    const spent = td("Spent today", usd(s.spent_usd));
    if (s.max_usd_per_day !== null) {
      const over = s.max_usd_per_day > 0 && s.spent_usd >= s.max_usd_per_day;
      spent.append(" ", el("progress", {
        max: String(s.max_usd_per_day || 1),
        value: String(s.spent_usd),
        "aria-label": "spent of the daily limit",
      }));
      if (over) spent.append(" ", badge("limit reached", "error"));
    }
    body.append(
      el("tr", { "data-scope": s.scope },
        td("Scope", s.scope === "total" ? el("strong", {}, "all providers") : s.scope),
        spent,
        td("Daily limit", s.max_usd_per_day === null ? "no limit" : usd(s.max_usd_per_day) + " / day"),
        td("Live submits today", String(s.submits_today)),
        td("Last minute", String(s.submits_last_minute)),
        td("Per-minute limit", s.max_submits_per_minute === null ? "no limit" : s.max_submits_per_minute + " / min")));
  }
}

async function copySample() {
  const sample = $("#sample").textContent;
  const state = $("#copy-state");
  try {
    await navigator.clipboard.writeText(sample);
    state.textContent = "Copied. Paste into " + secretsFile + " and fill in your keys.";
  } catch (e) {
    // Clipboard needs a secure context; select the text so Ctrl+C works instead.
    const range = document.createRange();
    range.selectNodeContents($("#sample"));
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    state.textContent = "Selected: press Ctrl+C to copy.";
  }
}

// The answer to the last submit, said in words; the raw answer is folded away below it.
function showAnswer(answer) {
  const box = $("#answer");
  box.replaceChildren();
  let said;
  if (answer.ok === false && answer.code) {
    said = el("p", { class: "said bad", "data-code": answer.code }, explain(answer.code, answer, answer.message));
  } else if (answer.ok === false && Array.isArray(answer.missing_secrets)) {
    said = el("p", { class: "said bad", "data-code": "missing_secrets" },
      modeWord(answer.mode) + " answer: " + explain("missing_secrets", answer, null));
  } else {
    const parts = [modeWord(answer.mode) + " task " + String(answer.task_id || "").slice(0, 8) + " is " + answer.status];
    if (answer.id) parts.push("job id " + answer.id);
    if (answer.estimate) parts.push("estimate " + usd(answer.estimate.usd) + ", about " + Math.round(answer.estimate.seconds) + " s");
    if (answer.replayed) parts.push("an earlier task answered (same idempotency key)");
    const cls = answer.mode === "live" ? "said" : "said warn";
    said = el("p", { class: cls }, parts.join(" · ") + ".");
    if (answer.mode !== "live" && Array.isArray(answer.mode_reasons) && answer.mode_reasons.length) {
      said.append(el("br"), "Not live because: " + answer.mode_reasons.join("; ") + ".");
    }
  }
  box.append(said, el("details", {}, el("summary", {}, "Full answer (JSON)"), el("pre", {}, JSON.stringify(answer, null, 2))));
}

// The chosen workflow file, read and checked: {name, graph} or {name, problem}; null when none.
let chosenWorkflow = null;
// What the hint under the form says while no workflow is chosen (the page's own words).
let noWorkflowHint = null;

// A ComfyUI graph in API format: node id -> {class_type, inputs}. A UI export has nodes and links.
function readWorkflow(name, text) {
  let graph;
  try {
    graph = JSON.parse(text);
  } catch (e) {
    return { name, problem: name + " is not JSON." };
  }
  if (graph && Array.isArray(graph.nodes) && Array.isArray(graph.links)) {
    return { name, problem: name + " is a workflow in UI format: in ComfyUI, export it with \"Save (API Format)\" and choose that file." };
  }
  const nodes = graph && typeof graph === "object" && !Array.isArray(graph) ? Object.values(graph) : [];
  if (!nodes.length || nodes.some((n) => !n || typeof n !== "object" || typeof n.class_type !== "string")) {
    return { name, problem: name + " is not a ComfyUI graph in API format (node id -> {class_type, inputs})." };
  }
  // the file's own text is what is sent: JSON.stringify would write 7.0 as 7, another graph
  return { name, graph, text: text.trim() };
}

function workflowState() {
  const state = $("#workflow-state");
  const files = Array.from($("#inputs").files || []);
  $("#clear-workflow").hidden = !chosenWorkflow && !files.length;
  $("#prompt").disabled = !!(chosenWorkflow && chosenWorkflow.graph);
  if (noWorkflowHint === null) noWorkflowHint = state.innerHTML;
  if (!chosenWorkflow) {
    state.className = "hint";
    if (files.length) state.textContent = "Input files need a workflow: choose its API-format file.";
    else state.innerHTML = noWorkflowHint;
    return;
  }
  if (chosenWorkflow.problem) {
    state.className = "hint bad";
    state.textContent = chosenWorkflow.problem;
    return;
  }
  state.className = "hint";
  const count = Object.keys(chosenWorkflow.graph).length;
  state.textContent = "Workflow " + chosenWorkflow.name + ": " + count + " node" + (count === 1 ? "" : "s") +
    (files.length ? "; inputs " + files.map((f) => f.name).join(", ") : "; no input files") +
    ". The prompt field is not used; the seed is written into the graph's seed inputs.";
}

async function chooseWorkflow() {
  const file = $("#workflow").files[0];
  // a byte-order mark (some editors on Windows write one) is not JSON
  chosenWorkflow = file ? readWorkflow(file.name, (await file.text()).replace(/^\uFEFF/, "")) : null;
  workflowState();
}

function clearWorkflow() {
  $("#workflow").value = "";
  $("#inputs").value = "";
  chosenWorkflow = null;
  workflowState();
}

// A file's bytes as base64, in chunks (String.fromCharCode takes only so many arguments).
async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

// The submit (or simulate) body as JSON text, from the form: the chosen workflow, as the file
// wrote it, with its input files (each named by its file name, which is what the graph's loaders
// read), else the prompt job. Null when the hint under the form says why nothing can be sent.
async function jobBody(simulating) {
  const mode = $("#mode").value;
  const body = { provider: $("#provider").value, seed: Number($("#seed").value) };
  if (!simulating && mode === "dry_run") body.dry_run = true;
  if (!simulating && mode === "sim") body.mode = "sim";
  const files = Array.from($("#inputs").files || []);
  if (chosenWorkflow && chosenWorkflow.graph) {
    const inputs = {};
    for (const f of files) inputs[f.name] = { base64: await base64Of(f) };
    return JSON.stringify(body).slice(0, -1) + ',"job":{"workflow":' + chosenWorkflow.text +
      (files.length ? ',"inputs":' + JSON.stringify(inputs) : "") + "}}";
  }
  if (chosenWorkflow || files.length) return null;
  body.job = { input: { prompt: $("#prompt").value } };
  return JSON.stringify(body);
}

async function submitJob(event) {
  event.preventDefault();
  const job = await jobBody();
  if (!job) {
    workflowState();
    $("#workflow-state").classList.add("bad");
    return;
  }
  const answer = await json("/api/providers/gpu/submit", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: job,
  });
  showAnswer(answer);
  refreshJobs();
  loadSpend();
}

// Sim narration: the seeded handshake as Studio shows it, one line per step, then the outcome.
async function simulate() {
  const body = await jobBody(true);
  if (!body) {
    workflowState();
    $("#workflow-state").classList.add("bad");
    return;
  }
  const answer = await json("/api/providers/gpu/simulate", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  const list = $("#transcript");
  list.replaceChildren();
  list.hidden = false;
  if (!answer.ok) {
    list.append(el("li", { class: "problem" }, explain(answer.code, answer, answer.message)));
    return;
  }
  for (const line of answer.transcript) list.append(el("li", {}, line));
  const cost = answer.cost && answer.cost.usd !== undefined ? " · $" + answer.cost.usd : "";
  list.append(el("li", { class: "outcome" },
    "outcome: " + answer.outcome + (answer.cold_start ? " · cold start" : "") +
    " · retries " + answer.retries + cost));
  const d = answer.decision || {};
  const box = $("#answer");
  box.replaceChildren(
    el("p", { class: "said warn" },
      "sim on " + providerName(d.provider) + ": " + (d.gpu || "?") + " (" + (d.sku || "?") + ", " +
      d.vram_gb + " GB VRAM). A submit now would run " + modeWord(d.live_mode) +
      (Array.isArray(d.live_reasons) && d.live_reasons.length ? " (" + d.live_reasons.join("; ") + ")" : "") + "."),
    el("details", {}, el("summary", {}, "Full decision (JSON)"), el("pre", {}, JSON.stringify(d, null, 2))));
}

function stepsText(j) {
  const pd = j.progress_detail || (j.meta || {}).progress_detail;
  if (!pd) return "";
  const parts = [];
  if (pd.nodes_total) parts.push("node " + pd.nodes_done + " of " + pd.nodes_total);
  if (pd.steps) parts.push("step " + pd.step + " of " + pd.steps);
  if (pd.class_type) parts.push(pd.class_type);
  return parts.join(" · ");
}

// The progress cell: a bar only while a task runs or once it is done; words otherwise.
function progressView(j) {
  const st = statusOf(j.status);
  const fraction = Math.max(0, Math.min(1, Number(j.progress) || 0));
  const pct = Math.round(fraction * 100);
  const wrap = el("div", { class: "progress" });
  if (st.active || j.status === "done") {
    const value = j.status === "done" ? 1 : fraction;
    wrap.append(el("progress", { max: "1", value: String(value), "aria-label": "progress " + Math.round(value * 100) + "%" }));
    const steps = st.active ? stepsText(j) : "";
    wrap.append(el("span", { class: "progress-text" }, Math.round(value * 100) + "%" + (steps ? " · " + steps : "")));
  } else if (st.failed) {
    wrap.append(el("span", { class: "progress-text" }, j.status === "lost" ? "unknown (lost)" : "failed"));
  } else if (j.status === "canceled") {
    wrap.append(el("span", { class: "progress-text" }, pct > 0 && pct < 100 ? "canceled at " + pct + "%" : "canceled"));
  } else {
    wrap.append(el("span", { class: "progress-text" }, "—"));
  }
  return wrap;
}

function isGpuTask(j) {
  return Boolean(j.mode || (j.meta || {}).public_adapter);
}

function cancelButton(j) {
  if (!statusOf(j.status).active || !isGpuTask(j)) return null;
  const b = el("button", { type: "button", class: "cancel", "data-cancel": j.id, "aria-label": "Cancel task " + j.id }, "Cancel");
  b.addEventListener("click", () => cancelTask(j.id));
  return b;
}

function when(iso) {
  return (iso || "").replace("T", " ").slice(0, 19);
}

function renderJobs() {
  const body = $("#jobs tbody");
  const sorted = [...jobs.values()].sort((a, b) => (b.created_at || "").localeCompare(a.created_at || ""));
  $("#jobs-empty").hidden = sorted.length > 0;
  $("#jobs").parentElement.hidden = sorted.length === 0;
  body.replaceChildren();
  for (const j of sorted.slice(0, 100)) {
    const meta = j.meta || {};
    const mode = j.mode || meta.mode || "";
    const st = statusOf(j.status);
    const open = el("button", { type: "button", class: "link", "aria-label": "Open task " + j.id }, j.id.slice(0, 8));
    open.addEventListener("click", () => openDetail(j.id));
    const message = td("Message", st.failed ? el("p", { class: "reason" }, failureReason(j)) : j.message || "");
    if (cancelNotes.has(j.id)) message.append(el("div", { class: "hint cancel-note" }, cancelNotes.get(j.id)));
    const classes = [st.cls, j.id === selected ? "selected" : ""].filter(Boolean).join(" ");
    body.append(
      el("tr", { "data-task": j.id, "data-status": j.status, class: classes },
        td("Task", open),
        td("Provider", j.provider || meta.provider_slug || j.kind || ""),
        td("Mode", mode ? badge(modeWord(mode), mode) : ""),
        td("Status", badge(st.word, st.cls, st.hint)),
        td("Progress", progressView(j)),
        message,
        td("Updated", el("span", { class: "hint" }, when(j.updated_at))),
        td("", cancelButton(j))));
  }
  if (selected && jobs.has(selected)) renderDetailState(jobs.get(selected));
}

// Remembers when the page saw a task change status or submit state (the server's updated_at of
// the change), for the timeline; a state already held when the page first saw the task has no time,
// unless the page saw the task being created.
function note(job, created) {
  const before = jobs.get(job.id);
  // an answer older than what the page has (a slow snapshot or list) does not roll the row back
  if (before && Number(before.version) > Number(job.version)) return false;
  if (!seenAt.has(job.id)) seenAt.set(job.id, new Map());
  const seen = seenAt.get(job.id);
  if (before) {
    if (before.status !== job.status && !seen.has(job.status)) seen.set(job.status, job.updated_at);
    const was = before.submit_state || (before.meta || {}).submit_state;
    const now = job.submit_state || (job.meta || {}).submit_state;
    if (was !== now && now && !seen.has("submit:" + now)) seen.set("submit:" + now, job.updated_at);
  } else if (created) {
    // the socket's job.created: this view is the task as it was first written
    seen.set(job.status, job.updated_at);
    const now = job.submit_state || (job.meta || {}).submit_state;
    if (now) seen.set("submit:" + now, job.updated_at);
  }
  jobs.set(job.id, job);
  return true;
}

async function refreshJobs() {
  const data = await json("/jobs/all?limit=100");
  if (!data.ok) return;
  for (const j of data.jobs) note(j);
  renderJobs();
}

// --- the task detail -------------------------------------------------------------------------

function timeline(j) {
  const meta = j.meta || {};
  const seen = seenAt.get(j.id) || new Map();
  const mode = j.mode || meta.mode;
  const state = j.submit_state || meta.submit_state;
  const st = statusOf(j.status);
  const sentStates = ["sent", "accepted", "ambiguous", "refused"];
  const steps = [];
  steps.push({ key: "created", label: "created", reached: true, at: j.created_at });
  if (isGpuTask(j)) {
    if (mode === "live") {
      steps.push({ key: "sent", label: state === "not_sent" ? "not sent" : "sent", reached: sentStates.includes(state), at: seen.get("submit:sent") });
      if (state === "ambiguous") steps.push({ key: "ambiguous", label: "no clear answer (a job may exist; reconciled, not resent)", reached: true, at: seen.get("submit:ambiguous") });
      if (state === "refused") steps.push({ key: "refused", label: "refused by the provider", reached: true, at: seen.get("submit:refused"), cls: "error" });
    } else {
      steps.push({ key: "sent", label: "sent (" + modeWord(mode) + ": nothing left this machine)", reached: state !== "not_sent", at: null });
    }
    steps.push({
      key: "accepted",
      label: "accepted" + (j.provider_job_id ? " as " + j.provider_job_id : ""),
      reached: state === "accepted" || Boolean(j.provider_job_id),
      at: seen.get("submit:accepted"),
    });
  }
  const ran = j.status === "running" || j.status === "done" || seen.has("running") ||
    (st.terminal && Number(j.progress) > 0 && Number(j.progress) < 1);
  steps.push({ key: "running", label: "running", reached: ran, at: seen.get("running") });
  if (st.terminal || st.unknown) {
    steps.push({ key: j.status, label: st.word, reached: true, at: meta.completed_at || j.updated_at, cls: st.cls });
  } else {
    steps.push({ key: "finished", label: "done, error or canceled", reached: false, at: null });
  }
  const list = $("#detail-timeline");
  list.replaceChildren();
  for (const s of steps) {
    list.append(el("li", { class: [s.reached ? "reached" : "", s.cls || ""].join(" ").trim(), "data-step": s.key },
      s.label,
      el("span", { class: "when" }, s.at ? when(s.at) : s.reached ? "(time not recorded)" : "")));
  }
}

function seconds(from, to) {
  const a = Date.parse(from);
  const b = Date.parse(to);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, (b - a) / 1000) : null;
}

function costTable(j) {
  const e = j.estimate;
  const meta = j.meta || {};
  const mode = j.mode || meta.mode;
  const st = statusOf(j.status);
  const end = st.terminal ? meta.completed_at || j.updated_at : new Date().toISOString();
  const wall = seconds(j.created_at, end);
  const execMs = Number((meta.metrics || {}).execution_ms);
  let actualUsd;
  if (mode && mode !== "live") actualUsd = "$0 (" + modeWord(mode) + ": nothing billed)";
  else if (e && e.usd_per_second === 0) actualUsd = usd(0) + " (priced at $0/s)";
  else if (e && execMs > 0 && e.usd_per_second) actualUsd = "≈ " + usd((execMs / 1000) * e.usd_per_second) + " (price × run time)";
  else actualUsd = "not reported by the provider";
  const body = $("#detail-cost tbody");
  body.replaceChildren(
    el("tr", { "data-row": "cost" }, el("th", {}, "Cost"), el("td", {}, e ? usd(e.usd) : "—"), el("td", {}, actualUsd)),
    el("tr", { "data-row": "seconds" }, el("th", {}, "Seconds"),
      el("td", {}, e ? Math.round(e.seconds) + " s" : "—"),
      el("td", {}, wall === null ? "—" : wall.toFixed(1) + " s" + (st.terminal ? "" : " so far") +
        (execMs > 0 ? " (" + (execMs / 1000).toFixed(1) + " s running)" : ""))));
  const reported = Object.entries(meta.metrics || {}).map(([k, v]) => k + " " + v);
  $("#detail-cost-note").textContent =
    (e
      ? (e.gpu ? e.gpu + " · " : "") + (e.basis || "") + (e.price_as_of ? " · prices as of " + e.price_as_of : "")
      : "No estimate: this task is not a GPU submit.") +
    (reported.length ? " · the provider reported: " + reported.join(", ") : "");
}

function renderDetailState(j) {
  const meta = j.meta || {};
  const mode = j.mode || meta.mode;
  const st = statusOf(j.status);
  $("#detail-title").textContent = "Task " + j.id.slice(0, 8) + (j.provider ? " · " + providerName(j.provider) : "");
  $("#detail-id").textContent = j.id + " · " + j.kind + (j.provider_job_id ? " · job " + j.provider_job_id : "");
  const state = $("#detail-state");
  state.replaceChildren(
    badge(st.word, st.cls, st.hint),
    mode ? badge(modeWord(mode), mode) : "",
    progressView(j),
    el("span", {}, st.failed ? "" : j.message || ""));
  const cancel = cancelButton(j);
  if (cancel) state.append(cancel);
  const reason = $("#detail-reason");
  reason.hidden = !st.failed;
  reason.textContent = st.failed ? failureReason(j) : "";
  $("#detail-cancel-state").textContent = cancelNotes.get(j.id) || "";
  timeline(j);
  costTable(j);
}

function humanBytes(n) {
  if (n === undefined || n === null) return "";
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1024 / 1024).toFixed(1) + " MiB";
}

// The player for an output by its type: pictures (animated webp and gif too) as images,
// video as a <video> player, audio as an <audio> player, anything else as a link.
function mediaFor(a) {
  const mime = (a.mime || "").toLowerCase();
  if (!a.href) return null;
  if (mime.startsWith("image/") && mime !== "image/svg+xml") {
    return el("img", { src: a.href, alt: a.name || "output " + a.index, loading: "lazy" });
  }
  if (mime.startsWith("video/")) {
    return el("video", { src: a.href, controls: true, preload: "metadata", "aria-label": a.name || "video output" });
  }
  if (mime.startsWith("audio/")) {
    return el("audio", { src: a.href, controls: true, preload: "metadata", "aria-label": a.name || "audio output" });
  }
  return null;
}

async function provenanceList(a, box) {
  if (!a.provenance_href) {
    box.append(el("p", { class: "hint" }, "No provenance sidecar."));
    return;
  }
  const p = await json(a.provenance_href);
  const prov = p && p.provenance;
  if (!prov) {
    box.append(el("p", { class: "hint" }, "The provenance sidecar could not be read."));
    return;
  }
  const dl = el("dl", { class: "provenance" });
  const row = (k, v) => {
    if (v === undefined || v === null || v === "") return;
    dl.append(el("dt", {}, k), el("dd", {}, String(v)));
  };
  row("runner", prov.runner);
  row("workflow hash", prov.workflow_hash);
  row("seed", prov.seed);
  for (const [name, v] of Object.entries(prov.inputs || {})) row("input " + name, v && v.sha256);
  row("provider", prov.provider);
  row("job id", prov.provider_job_id);
  row("stored", prov.stored_at);
  box.append(el("div", { class: "hint" }, "Provenance"), dl);
}

async function loadArtifacts(id) {
  const listing = await json("/jobs/artifacts/" + encodeURIComponent(id));
  if (selected !== id) return;
  const box = $("#detail-artifacts");
  const empty = $("#detail-artifacts-empty");
  box.replaceChildren();
  const all = listing.ok ? listing.artifacts : [];
  const j = jobs.get(id) || {};
  const mode = j.mode || (j.meta || {}).mode;
  if (!listing.ok) {
    empty.textContent = explain(listing.code, listing, listing.message);
  } else if (all.length === 0) {
    const st = statusOf(j.status);
    empty.textContent = st.active
      ? "No outputs yet: they appear here when the task is done."
      : mode === "dry_run"
        ? "No outputs: a dry-run runs nothing and makes no files."
        : st.failed || j.status === "canceled"
          ? "No outputs: the task did not finish."
          : "This task produced no files.";
  }
  empty.hidden = listing.ok && all.length > 0;
  for (const a of all) {
    const card = el("figure", { class: "artifact", "data-mime": a.mime || "" });
    const media = mediaFor(a);
    if (media) card.append(media);
    const caption = el("figcaption", {},
      el("div", { class: "name" }, a.name || "output " + a.index),
      el("div", { class: "hint" }, [a.mime, humanBytes(a.bytes)].filter(Boolean).join(" · ")));
    if (a.href) caption.append(el("a", { href: a.href, target: "_blank", rel: "noopener" }, "open"));
    else caption.append(el("div", { class: "hint" }, mode === "sim" ? "named only (a sim output is not stored)" : "no stored file"));
    if (a.sha256) caption.append(el("div", { class: "hint mono" }, "sha256 " + a.sha256));
    card.append(caption);
    box.append(card);
    await provenanceList(a, caption);
  }
}

async function loadLog(id) {
  const r = await text("/jobs/logs/" + encodeURIComponent(id));
  if (selected !== id) return;
  const log = $("#detail-log");
  if (r.ok) {
    // the log's text as it is, without the trailing newline a pre would show as a blank line
    log.textContent = r.text.replace(/\s+$/, "") || "(the log is empty)";
  } else {
    log.textContent = r.code === "no_logs" ? "This task has no log." : "The log could not be read: " + (r.message || "HTTP " + r.status);
  }
}

async function openDetail(id) {
  selected = id;
  const status = await json("/jobs/status/" + encodeURIComponent(id));
  if (status.ok && status.job) note(status.job);
  if (selected !== id) return;
  $("#detail").hidden = false;
  renderJobs();
  if (jobs.has(id)) renderDetailState(jobs.get(id));
  detailVersion = (jobs.get(id) || {}).version;
  detailArtifacts = ((jobs.get(id) || {}).artifacts || []).length;
  // keyboard and screen-reader users land on the detail they asked for
  $("#detail-title").focus({ preventScroll: true });
  $("#detail").scrollIntoView({ block: "nearest" });
  await Promise.all([loadLog(id), loadArtifacts(id)]);
}

function closeDetail() {
  selected = null;
  $("#detail").hidden = true;
  renderJobs();
}

// While a task is open its log and outputs follow its updates (at most every 500 ms).
let detailVersion = null;
let detailArtifacts = 0;
let detailTimer = null;

function followDetail(job) {
  if (job.id !== selected || job.version === detailVersion) return;
  detailVersion = job.version;
  if (detailTimer) return;
  detailTimer = setTimeout(() => {
    detailTimer = null;
    if (!selected) return;
    const j = jobs.get(selected) || {};
    loadLog(selected);
    const n = (j.artifacts || []).length;
    if (n !== detailArtifacts || statusOf(j.status).terminal) {
      detailArtifacts = n;
      loadArtifacts(selected);
    }
  }, 500);
}

async function cancelTask(id) {
  document.querySelectorAll('button[data-cancel="' + CSS.escape(id) + '"]').forEach((b) => { b.disabled = true; });
  cancelNotes.set(id, "Canceling…");
  renderJobs();
  const a = await json("/api/providers/gpu/cancel/" + encodeURIComponent(id), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  let words;
  if (a.ok === false && a.code) words = "Not canceled: " + explain(a.code, a, a.message);
  else if (a.canceled) words = "Canceled" + (a.message ? ": " + a.message : ".");
  else words = "Not canceled" + (a.message ? ": " + a.message : ".");
  cancelNotes.set(id, words);
  if (a.ok !== false) {
    const fresh = await json("/jobs/status/" + encodeURIComponent(id));
    if (fresh.ok && fresh.job) note(fresh.job);
  }
  renderJobs();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(proto + "//" + location.host + "/jobs/ws");
  const conn = $("#conn");
  ws.onopen = () => { conn.textContent = "live updates"; conn.className = "badge ok"; };
  ws.onclose = () => {
    conn.textContent = "reconnecting…";
    conn.className = "badge muted";
    setTimeout(connect, 2000);
  };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.type === "snapshot") msg.jobs.forEach(note);
    else if (msg.type === "job.update") {
      if (!note(msg.job, msg.event === "job.created")) return;
      followDetail(msg.job);
    } else return;
    renderJobs();
  };
}

$("#login-form").addEventListener("submit", login);
$("#copy-sample").addEventListener("click", copySample);
$("#submit-form").addEventListener("submit", submitJob);
$("#workflow").addEventListener("change", chooseWorkflow);
$("#inputs").addEventListener("change", workflowState);
$("#clear-workflow").addEventListener("click", clearWorkflow);
$("#simulate").addEventListener("click", simulate);
$("#detail-close").addEventListener("click", closeDetail);
loadProviders().then(refreshJobs);
loadSpend();
connect();
setInterval(loadProviders, 15000);
setInterval(loadSpend, 15000);
