// The teaching page: draws the delegation, streams the query journal, and offers the seed's
// steps as buttons. Every button calls the same HTTP API a script would (Cloudflare's v4 paths
// under /client/v4, the registrar and tickets under /sim), with the token from the address
// (#token=...) that `acns-dns serve` prints.
"use strict";

const state = { token: "", picture: null, version: -1, seen: new Set(), busy: false };
const $ = (id) => document.getElementById(id);

function readToken() {
  const match = /token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem("acns-token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);  // the token leaves the address bar
  }
  state.token = sessionStorage.getItem("acns-token") || "";
  $("token-row").hidden = Boolean(state.token);
}

async function api(method, path, body) {
  const options = { method, headers: { Authorization: `Bearer ${state.token}` } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const errors = (data && data.errors) || [];
    const text = errors.map((e) => `${e.message} (code ${e.code})`).join("; ");
    throw new Error(text || `${method} ${path}: HTTP ${response.status}`);
  }
  return data;
}

// --- drawing -------------------------------------------------------------------------------

async function refresh() {
  if (!state.token) return;
  const data = (await api("GET", "/sim/delegation")).result;
  if (data.version === state.version && state.picture) return;
  state.picture = data;
  state.version = data.version;
  $("diagram").innerHTML = await api("GET", "/sim/delegation.svg");
  const shown = data.tlds.reduce((count, t) => count + t.domains.length, 0);
  $("description").textContent = (data.description ? `The world as it was loaded: ${data.description}` : "")
    + (data.hidden ? ` (a large world: the first ${shown} of its ${shown + data.hidden} domains are shown)` : "");
  const domains = data.tlds.flatMap((t) => t.domains);
  const worst = domains.some((d) => d.status === "fail") ? "fail"
    : domains.some((d) => d.status === "warn") ? "warn" : data.checked ? "ok" : "";
  const badge = $("overall");
  badge.className = `badge ${worst}`;
  badge.textContent = { fail: "BROKEN", warn: "WARNINGS", ok: "HEALTHY", "": "not checked" }[worst];
  drawGlue(domains);
  drawResolver(domains);
  drawCloudflare(data.accounts);
  fillSelects(data, domains);
  drawTickets(data.tickets);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function assigned(name) {
  for (const account of state.picture.accounts)
    for (const set of account.sets)
      for (const ns of set.names) if (ns.name === name) return ns;
  return null;
}

function drawGlue(domains) {
  const list = $("glue-list");
  list.replaceChildren(el("div", { class: "step" }, el("b", {}, "2"),
    "Glue at the registry (the addresses Cloudflare assigned):"));
  for (const domain of domains) {
    for (const ns of domain.nameservers) {
      if (ns.kind === "unrelated") continue;  // never glue (RFC 1034 §4.2.1)
      const has = ns.glue.length ? ns.glue.join(", ") : "none";
      const byTicket = domain.registrar_kind === "cloudflare";
      const row = el("div", { class: `glue-row ${ns.status}`, "data-host": ns.name },
        el("span", { class: "name" }, ns.name), ` glue: ${has} `);
      const source = assigned(ns.name);
      if (source && !ns.glue.length) {
        row.append(el("button", { "data-action": "add-glue", onclick: () => addGlue(domain, ns.name, source) },
          byTicket ? "Ask Support for glue" : "Add glue"));
      }
      if (ns.glue.length) {
        row.append(" ", el("button", { "data-action": "remove-glue", onclick: () => removeGlue(domain, ns.name) },
          byTicket ? "Ask to remove" : "Remove glue"));
      }
      list.append(row);
    }
  }
}

function drawResolver(domains) {
  const box = $("resolver");
  box.replaceChildren();
  if (!state.picture.checked) {
    box.append("Start the page with acns-dns serve to see the checks and the resolver's walk.");
    return;
  }
  for (const domain of domains) {
    const r = domain.resolver || {};
    const ok = r.outcome === "resolves";
    const real = (r.real || []).filter((line) => !line.startsWith("("));
    const source = (r.real || []).find((line) => line.startsWith("(")) || "";
    box.append(el("div", { class: "resolver" },
      el("b", {}, `${domain.name}: `), el("span", { class: ok ? "resolves" : "servfail" }, ok ? "resolves" : "SERVFAIL"),
      el("div", { class: "verdict" }, r.verdict || ""),
      real.length ? el("ul", { class: "real" }, ...real.map((line) => el("li", {}, line))) : "",
      source ? el("div", { class: "verdict" }, source) : ""));
  }
  box.append(el("div", { class: "verdict" }, "The walk is acns-dns trace's; each real resolver's line was printed by that resolver in a recorded run of acns-dns lab."));
}

function drawCloudflare(accounts) {
  const box = $("cloudflare");
  box.replaceChildren();
  for (const account of accounts) {
    const sets = account.sets.map((s) => el("li", {}, `set ${s.ns_set}: `,
      s.names.map((n) => `${n.name} (${n.ipv4})`).join(", ")));
    const zones = account.zones.map((z) => el("li", {}, el("b", {}, z.name), " uses ",
      z.type === "custom.account" ? `ACNS set ${z.ns_set}` : z.branded.join(", ")));
    box.append(el("div", {}, el("b", {}, account.name),
      ` · new zones: ${account.default_nameservers}`, account.entitled ? "" : " · not entitled to ACNS",
      el("ul", {}, ...sets, ...zones)));
  }
}

function options(select, values, keep) {
  const before = keep ? select.value : "";
  select.replaceChildren(...values.map(([value, label]) => el("option", { value }, label)));
  if (values.some(([value]) => value === before)) select.value = before;
}

function fillSelects(data, domains) {
  const account = data.accounts.find((a) => a.entitled) || data.accounts[0];
  state.account = account;
  const sets = account ? account.sets.map((s) => [String(s.ns_set), `set ${s.ns_set}`]) : [];
  options($("zone"), data.accounts.flatMap((a) => a.zones.map((z) => [z.id, z.name])), true);
  options($("zone-set"), sets, true);
  options($("ns-set"), sets, true);
  options($("ns-domain"), domains.map((d) => [d.name, d.name]), true);
  options($("delete-name"), (account ? account.sets : []).flatMap((s) => s.names.map((n) => [n.name, n.name])), true);
}

function drawTickets(tickets) {
  const open = tickets.filter((t) => t.status === "open");
  const box = $("tickets");
  box.replaceChildren();
  if (!open.length) return;
  box.append(el("div", {}, el("b", {}, "Open support tickets (Cloudflare Registrar):")));
  for (const t of open) {
    const what = t.action === "set_ns" ? `NS ${t.nameservers.join(", ")}` : `${t.action} ${t.host} ${[...t.ipv4, ...t.ipv6].join(", ")}`;
    box.append(el("div", { class: "glue-row" }, `${t.id} ${t.domain}: ${what} `,
      el("button", { "data-action": "resolve-ticket", onclick: () => act(`Support resolved ${t.id}`,
        () => api("POST", `/sim/tickets/${t.id}/resolve`)) }, "Support resolves it")));
  }
}

// --- the steps -----------------------------------------------------------------------------

async function act(what, call) {
  const outcome = $("outcome");
  try {
    await call();
    outcome.className = "done";
    outcome.textContent = `${what}: done`;
  } catch (error) {
    outcome.className = "error";
    outcome.textContent = `${what}: ${error.message}`;
  }
  await refresh().catch(() => {});
}

function addGlue(domain, host, source) {
  const body = { ipv4: [source.ipv4], ipv6: [source.ipv6] };
  if (domain.registrar_kind === "cloudflare")
    return act(`Ticket for glue on ${host}`, () => api("POST", "/sim/tickets",
      { domain: domain.name, action: "set_glue", host, ...body }));
  return act(`Glue for ${host}`, () => api("PUT", `/sim/registrars/${domain.registrar}/glue/${host}`, body));
}

function removeGlue(domain, host) {
  if (domain.registrar_kind === "cloudflare")
    return act(`Ticket to remove glue on ${host}`, () => api("POST", "/sim/tickets",
      { domain: domain.name, action: "delete_glue", host }));
  return act(`Glue for ${host} removed`, () => api("DELETE", `/sim/registrars/${domain.registrar}/glue/${host}`));
}

function setNames(number) {
  const set = state.account.sets.find((s) => String(s.ns_set) === number);
  return set ? set.names.map((n) => n.name) : [];
}

function wire() {
  $("use-token").onclick = () => { sessionStorage.setItem("acns-token", $("token").value.trim()); readToken(); start(); };
  $("create-name").onclick = () => act(`Created ${$("new-name").value}`, () =>
    api("POST", `/client/v4/accounts/${state.account.id}/custom_ns`,
      { ns_name: $("new-name").value.trim(), ns_set: Number($("new-set").value) }));
  $("enable-set").onclick = () => act(`Set ${$("zone-set").value} on the zone`, () =>
    api("PUT", `/client/v4/zones/${$("zone").value}/custom_ns`, { enabled: true, ns_set: Number($("zone-set").value) }));
  $("use-standard").onclick = () => act("Zone back on Cloudflare's names", () =>
    api("PUT", `/client/v4/zones/${$("zone").value}/custom_ns`, { enabled: false }));
  $("set-ns").onclick = () => {
    const domain = state.picture.tlds.flatMap((t) => t.domains).find((d) => d.name === $("ns-domain").value);
    const nameservers = setNames($("ns-set").value);
    if (domain.registrar_kind === "cloudflare")
      return act(`Ticket for NS of ${domain.name}`, () => api("POST", "/sim/tickets", { domain: domain.name, action: "set_ns", nameservers }));
    return act(`NS of ${domain.name}`, () => api("PUT", `/sim/registrars/${domain.registrar}/domains/${domain.name}/nameservers`, { nameservers }));
  };
  $("make-default").onclick = () => act("ACNS by default", () =>
    api("PUT", `/client/v4/accounts/${state.account.id}`, { settings: { default_nameservers: "custom.account" } }));
  $("standard-default").onclick = () => act("Cloudflare's names by default", () =>
    api("PUT", `/client/v4/accounts/${state.account.id}`, { settings: { default_nameservers: "cloudflare.standard" } }));
  $("delete").onclick = () => act(`Deleted ${$("delete-name").value}`, () =>
    api("DELETE", `/client/v4/accounts/${state.account.id}/custom_ns/${$("delete-name").value}`));
  $("scenario").onchange = () => act(`Scenario ${$("scenario").value}`, () => {
    state.version = -1;
    return api("POST", "/sim/scenario", { source: $("scenario").value });
  });
  $("reset").onclick = () => act("Reset", () => { state.version = -1; return api("POST", "/sim/reset"); });
}

// --- the journal ---------------------------------------------------------------------------

async function pollJournal() {
  if (!state.token) return;
  const rows = (await api("GET", "/sim/journal?limit=400")).result;
  const own = state.picture && state.picture.inspector_source;
  const body = $("journal").tBodies[0];
  const fresh = [];
  for (const row of rows) {
    const key = `${row.time}|${row.client}|${row.qname}|${row.qtype}|${row.server}`;
    if (state.seen.has(key) || (own && row.client.startsWith(`${own}:`))) continue;
    state.seen.add(key);
    fresh.push(row);
  }
  for (const old of body.querySelectorAll("tr.fresh")) old.classList.remove("fresh");
  for (const row of fresh) {
    const time = new Date(row.time * 1000).toLocaleTimeString();
    const kind = row.flags.includes("aa") ? "answer (aa)" : row.rcode === "NOERROR" ? "referral" : "";
    body.prepend(el("tr", { class: "fresh" }, el("td", {}, time), el("td", {}, row.server),
      el("td", {}, `${row.qname} ${row.qtype}`), el("td", { class: `rc-${row.rcode}` }, `${row.rcode} ${kind}`),
      el("td", {}, `${row.client} ${row.transport}`)));
  }
  while (body.rows.length > 25) body.deleteRow(body.rows.length - 1);
}

async function loadScenarios() {
  const rows = (await api("GET", "/sim/scenarios")).result;
  options($("scenario"), [["", "choose…"], ...rows.map((r) => [r.name, r.name])], false);
}

function loop(task, every) {
  const run = async () => { try { await task(); } catch (error) { $("outcome").textContent = error.message; } setTimeout(run, every); };
  run();
}

let started = false;
function start() {
  if (!state.token || started) return;
  started = true;
  loadScenarios().catch(() => {});
  loop(refresh, 1500);
  loop(pollJournal, 1000);
}

readToken();
wire();
start();
