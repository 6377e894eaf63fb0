// Studio "Compute" view: provider readiness, the sample secrets file, a job form and the live
// task list. Plain DOM, no build step; every value from the server is inserted as text.
"use strict";

const $ = (sel) => document.querySelector(sel);
const jobs = new Map();

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}

function badge(text, cls) {
  return el("span", { class: "badge " + (cls || text) }, text);
}

// With an API token set (serving beyond loopback), any call answers 401 until the page has logged
// in: ask for the token once, post it to /api/session (which sets an HttpOnly cookie this script
// never sees), then retry. The token itself is kept nowhere.
let loginWaiters = [];

async function json(url, options) {
  const r = await fetch(url, options);
  if (r.status === 401) {
    await loggedIn();
    return json(url, options);
  }
  return r.json();
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

async function loadProviders() {
  const data = await json("/api/providers/gpu/providers");
  const flag = $("#flag");
  flag.textContent = "public GPU adapters: " + (data.feature.enabled ? "on" : "off");
  flag.className = "badge " + (data.feature.enabled ? "ok" : "off");
  $("#secrets-file").textContent = data.secrets_file;
  const problem = $("#secrets-problem");
  problem.hidden = !data.secrets_problem;
  problem.textContent = data.secrets_problem || "";
  const body = $("#providers tbody");
  body.replaceChildren();
  const select = $("#provider");
  select.replaceChildren();
  for (const p of data.providers) {
    const secrets = el("td");
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
        el("td", {}, el("strong", {}, p.name), el("div", { class: "hint" }, p.slug)),
        el("td", {}, badge(readiness, p.readiness)),
        secrets,
        el("td", { class: "hint" }, (p.mode_reasons || []).join("; ")),
        el("td", {}, el("a", { href: p.pricing_url, rel: "noopener", target: "_blank" }, p.pricing_as_of))));
    select.append(el("option", { value: p.slug }, p.name));
  }
  $("#sample").textContent = JSON.stringify(data.sample_secrets, null, 2);
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
    const spent = el("td", {}, usd(s.spent_usd));
    if (s.max_usd_per_day !== null) {
      const over = s.max_usd_per_day > 0 && s.spent_usd >= s.max_usd_per_day;
      spent.append(" ", el("progress", { max: String(s.max_usd_per_day || 1), value: String(s.spent_usd) }));
      if (over) spent.append(" ", badge("limit reached", "error"));
    }
    body.append(
      el("tr", { "data-scope": s.scope },
        el("td", {}, s.scope === "total" ? el("strong", {}, "all providers") : s.scope),
        spent,
        el("td", {}, s.max_usd_per_day === null ? "no limit" : usd(s.max_usd_per_day) + " / day"),
        el("td", {}, String(s.submits_today)),
        el("td", {}, String(s.submits_last_minute)),
        el("td", {}, s.max_submits_per_minute === null ? "no limit" : s.max_submits_per_minute + " / min")));
  }
}

async function copySample() {
  const text = $("#sample").textContent;
  const state = $("#copy-state");
  try {
    await navigator.clipboard.writeText(text);
    state.textContent = "Copied. Paste into config/comfyvn.secrets.json and fill in your keys.";
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

async function submitJob(event) {
  event.preventDefault();
  const mode = $("#mode").value;
  const body = {
    provider: $("#provider").value,
    seed: Number($("#seed").value),
    job: { input: { prompt: $("#prompt").value } },
  };
  if (mode === "dry_run") body.dry_run = true;
  if (mode === "sim") body.mode = "sim";
  const answer = await json("/api/providers/gpu/submit", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  $("#answer").textContent = JSON.stringify(answer, null, 2);
  refreshJobs();
  loadSpend();
}

// Sim narration: the seeded handshake as Studio shows it, one line per step, then the outcome.
async function simulate() {
  const answer = await json("/api/providers/gpu/simulate", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      provider: $("#provider").value,
      seed: Number($("#seed").value),
      job: { input: { prompt: $("#prompt").value } },
    }),
  });
  const list = $("#transcript");
  list.replaceChildren();
  list.hidden = false;
  if (!answer.ok) {
    list.append(el("li", { class: "problem" }, answer.message || answer.code));
    return;
  }
  for (const line of answer.transcript) list.append(el("li", {}, line));
  const cost = answer.cost && answer.cost.usd !== undefined ? " · $" + answer.cost.usd : "";
  list.append(el("li", { class: "outcome" },
    "outcome: " + answer.outcome + (answer.cold_start ? " · cold start" : "") +
    " · retries " + answer.retries + cost));
  $("#answer").textContent = JSON.stringify(answer.decision, null, 2);
}

function renderJobs() {
  const body = $("#jobs tbody");
  body.replaceChildren();
  const sorted = [...jobs.values()].sort((a, b) => (b.created_at || "").localeCompare(a.created_at || ""));
  for (const j of sorted.slice(0, 100)) {
    const meta = j.meta || {};
    const mode = meta.mode || "";
    const modeBadge = mode === "dry_run" ? badge("mock", "mock") : badge(mode, mode);
    const progress = el("progress", { max: "1", value: String(j.progress ?? 0) });
    body.append(
      el("tr", { "data-task": j.id },
        el("td", { class: "hint" }, j.id.slice(0, 8)),
        el("td", {}, meta.provider_slug || ""),
        el("td", {}, modeBadge),
        el("td", {}, badge(j.status, j.status)),
        el("td", {}, progress),
        el("td", {}, j.message || ""),
        el("td", { class: "hint" }, (j.updated_at || "").replace("T", " ").slice(0, 19))));
  }
}

async function refreshJobs() {
  const data = await json("/jobs/all?limit=100");
  for (const j of data.jobs) jobs.set(j.id, j);
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
    if (msg.type === "snapshot") msg.jobs.forEach((j) => jobs.set(j.id, j));
    else if (msg.type === "job.update") jobs.set(msg.job.id, msg.job);
    else return;
    renderJobs();
  };
}

$("#login-form").addEventListener("submit", login);
$("#copy-sample").addEventListener("click", copySample);
$("#submit-form").addEventListener("submit", submitJob);
$("#simulate").addEventListener("click", simulate);
loadProviders().then(refreshJobs);
loadSpend();
connect();
setInterval(loadProviders, 15000);
setInterval(loadSpend, 15000);
