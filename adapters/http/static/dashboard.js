// The dashboard: team overview, leaderboard, alerts and an agent drill-down, over the read API.
(() => {
"use strict";

const {lineChart, attainmentBar, formatValue} = window.perfCharts;
// The KPI catalogue (GET /v1/kpis), loaded once signed in: the page names no KPI list of its own.
const kpis = {entries: [], byName: {}};
const TOKEN_KEY = "perfledger.token"; // a pasted token, kept in this browser
// A single sign-on session's token: this tab only, gone when it closes (adapters/http/sso.py).
const SESSION_KEY = "perfledger.session";
const REFRESH_MS = 4000;
const $ = (id) => document.getElementById(id);
const state = {team: null, agent: null, lbKpi: "aht_seconds", seen: {}, refreshes: 0, teamsListed: false,
               zones: {}};

class HttpError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

function currentToken() {
  return sessionStorage.getItem(SESSION_KEY) || localStorage.getItem(TOKEN_KEY);
}

async function api(path, options = {}) {
  const headers = {Authorization: "Bearer " + currentToken(), ...(options.headers || {})};
  const response = await fetch(path, {...options, headers});
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new HttpError(response.status, detail);
  }
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

async function loadCatalogue() {
  kpis.entries = (await api("/v1/kpis")).items;
  kpis.byName = Object.fromEntries(kpis.entries.map((k) => [k.name, k]));
  fill("lb-kpi", ...shown("chart").map((k) => el("option", {value: k.name}, k.label)));
  $("lb-kpi").value = state.lbKpi;
}

// The catalogue entries the dashboard shows in a view ("chart": charts and the leaderboard; "tile").
function shown(view) { return kpis.entries.filter((k) => k.dashboard.includes(view)); }

function label(kpi) { return kpis.byName[kpi] ? kpis.byName[kpi].label : kpi; }

// A value in its KPI's number format; a manual measure's as a decimal.
function format(kpi, v) { return formatValue(kpis.byName[kpi] ? kpis.byName[kpi].number_format : "", v); }

function lowerIsBetter(kpi) { return Boolean(kpis.byName[kpi]) && kpis.byName[kpi].better === "lower"; }

// The last N days of a time zone, as dates: the team's (or agent's) local today is the last.
function days(zone) {
  const n = Number($("range").value);
  const local = new Intl.DateTimeFormat("en-CA", {timeZone: zone || "UTC"}).format(new Date());
  const today = new Date(local + "T00:00:00Z");  // date arithmetic only, so UTC is safe here
  const list = [];
  for (let i = n - 1; i >= 0; i--) list.push(new Date(today - i * 86400000).toISOString().slice(0, 10));
  const to = new Date(+today + 86400000).toISOString().slice(0, 10);
  return {list, from: list[0], to};
}

// The zone a team's or agent's days are cut in, as the API names it (asked once, then kept).
async function zoneOf(path) {
  if (!(path in state.zones)) state.zones[path] = (await api(`${path}?bucket=total&limit=1`)).time_zone;
  return state.zones[path];
}

function series(rows, kpi, dayList) {
  const byDay = new Map(rows.map((r) => [r.start.slice(0, 10), r[kpi]]));
  return dayList.map((d) => ({x: d, y: byDay.has(d) ? byDay.get(d) : null}));
}

// The team's target for a KPI: the most common target among its active goals on that KPI.
function targets(goals) {
  const counts = {};
  for (const g of goals) {
    if (g.status !== "active" || !shown("chart").some((k) => k.name === g.kpi)) continue;
    counts[g.kpi] = counts[g.kpi] || new Map();
    counts[g.kpi].set(g.target, (counts[g.kpi].get(g.target) || 0) + 1);
  }
  const found = {};
  for (const [kpi, m] of Object.entries(counts)) found[kpi] = [...m.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return found;
}

function meets(kpi, value, target) {
  if (value === null || value === undefined || target === undefined) return null;
  return lowerIsBetter(kpi) ? value <= target : value >= target;
}

// Replaces a section only when its data changed, so refreshes do not flicker.
function update(key, data, render) {
  const text = JSON.stringify(data);
  if (state.seen[key] === text) return;
  state.seen[key] = text;
  render(data);
}

function fill(id, ...nodes) { $(id).replaceChildren(...nodes); }

// Answers carry `<field>_name` beside the ids the roster knows: the name, else the id.
function nameOr(name, id) { return name || id; }

// A name with its id beside it, muted; the id alone when the roster does not know it.
function named(name, id) {
  return name ? [el("span", {class: "name"}, name), " ", el("span", {class: "muted id"}, id)] : [id];
}

async function renderTeam() {
  const t = encodeURIComponent(state.team), r = days(await zoneOf(`/v1/teams/${t}/kpis`));
  const [daily, total, goals, rollup, board, alerts] = await Promise.all([
    api(`/v1/teams/${t}/kpis?bucket=day&from=${r.from}&to=${r.to}`),
    api(`/v1/teams/${t}/kpis?bucket=total&from=${r.from}&to=${r.to}`),
    api(`/v1/goals?team_id=${t}&status=active&limit=1000`),
    api(`/v1/goals/rollup?team_id=${t}`),
    api(`/v1/teams/${t}/leaderboard?kpi=${state.lbKpi}&from=${r.from}&to=${r.to}`),
    api(`/v1/alerts?team_id=${t}&status=open&limit=1000`),
  ]);
  const goalTargets = targets(goals.items);
  update("tiles", [total.rows, goalTargets, rollup.attainment], () => renderTiles(total.rows, goalTargets, rollup));
  update("team-charts", [daily.rows, goalTargets, r.list], () =>
    fill("team-charts", ...shown("chart").map((k) => lineChart(k, series(daily.rows, k.name, r.list),
                                                               goalTargets[k.name]))));
  update("leaderboard", board, renderLeaderboard);
  update("alerts", alerts.items, renderAlerts);
}

function renderTiles(rows, goalTargets, rollup) {
  const last = rows[0] || {};  // the whole range, summed from its days
  const tiles = shown("tile").map(({name: k}) => {
    const ok = meets(k, last[k], goalTargets[k]);
    return el("div", {class: "tile " + (ok === null ? "" : ok ? "good" : "bad"), "data-kpi": k},
      el("span", {class: "label"}, label(k)),
      el("span", {class: "value"}, format(k, last[k])),
      el("span", {class: "target"}, goalTargets[k] === undefined ? "no goal" :
        `goal ${lowerIsBetter(k) ? "≤" : "≥"} ${format(k, goalTargets[k])}`));
  });
  const att = rollup.attainment;
  tiles.unshift(el("div", {class: "tile headline " + (att === null ? "" : att >= 1 ? "good" : "bad")},
    el("span", {class: "label"}, "Goal attainment"),
    el("span", {class: "value"}, att === null ? "–" : Math.round(att * 100) + "%"),
    el("span", {class: "target"}, `${rollup.measured} of ${rollup.goals} goals measured`)));
  fill("tiles", ...tiles);
  $("tiles").setAttribute("data-day", last.start ? last.start.slice(0, 10) : "");
}

function renderLeaderboard(board) {
  const head = el("tr", {}, el("th", {}, "#"), el("th", {}, "Agent"), el("th", {class: "num"}, label(board.kpi)));
  const rows = board.rows.map((row) => el("tr", {class: "clickable", "data-agent": row.agent_id,
                                                 onclick: () => openAgent(row.agent_id)},
    el("td", {}, row.rank), el("td", {}, el("a", {href: agentHash(row.agent_id)}, ...named(row.agent_name, row.agent_id))),
    el("td", {class: "num"}, format(board.kpi, row.value))));
  fill("leaderboard", el("thead", {}, head), el("tbody", {}, rows));
}

function renderAlerts(items) {
  $("alert-count").textContent = items.length ? String(items.length) : "";
  const sorted = [...items].sort((a, b) => (b.day + b.id).localeCompare(a.day + a.id)).slice(0, 30);
  fill("alerts", ...(sorted.length ? sorted.map((a) => el("li", {class: "alert " + a.rule},
    el("div", {}, el("a", {href: agentHash(a.agent_id)}, nameOr(a.agent_name, a.agent_id)), " · ",
       el("span", {class: "muted"}, a.day)),
    el("div", {class: "summary"}, a.summary),
    el("button", {type: "button", onclick: (e) => coach(a, e.target)}, "Turn into check-in"))) :
    [el("li", {class: "muted"}, "No open alerts.")]));
}

async function coach(alert, button) {
  button.disabled = true;
  try {
    await api(`/v1/alerts/${alert.id}/check-in`, {method: "POST", headers: {"Content-Type": "application/json"},
                                                  body: "{}"});
    button.textContent = "Check-in recorded";
  } catch (error) {
    button.textContent = error.status === 403 ? "Not your team" : "Failed: " + error.message;
  }
}

async function renderAgent() {
  const a = encodeURIComponent(state.agent), r = days(await zoneOf(`/v1/agents/${a}/kpis`));
  const [daily, goals, checkIns, reviews] = await Promise.all([
    api(`/v1/agents/${a}/kpis?bucket=day&from=${r.from}&to=${r.to}`),
    api(`/v1/goals?agent_id=${a}&limit=1000`),
    api(`/v1/check-ins?agent_id=${a}&limit=1000`),
    api(`/v1/reviews?agent_id=${a}&limit=1000`),
  ]);
  $("agent-title").textContent = daily.agent_name ? `${daily.agent_name} (${state.agent})` : `Agent ${state.agent}`;
  const own = targets(goals.items);
  update("agent-charts", [daily.rows, own, r.list], () =>
    fill("agent-charts", ...shown("chart").map((k) => lineChart(k, series(daily.rows, k.name, r.list), own[k.name]))));
  update("goals", goals.items, renderGoals);
  update("check-ins", checkIns.items, renderCheckIns);
  update("reviews", reviews.items, renderReviews);
}

function renderGoals(items) {
  const head = el("tr", {}, el("th", {}, "Goal"), el("th", {}, "Target"), el("th", {}, "Latest"),
                  el("th", {}, "Attainment"), el("th", {}, "Status"));
  const rows = items.map((g) => el("tr", {"data-goal": g.id},
    el("td", {}, g.title, el("div", {class: "muted"}, `${g.kpi} · ${g.period_start} – ${g.period_end}`)),
    el("td", {}, `${g.direction === "at_most" ? "≤" : "≥"} ${format(g.kpi, g.target)}`),
    el("td", {}, g.latest_progress ? format(g.kpi, g.latest_progress.value) : "–"),
    el("td", {}, attainmentBar(g.attainment), " ", g.attainment === null ? "–" : Math.round(g.attainment * 100) + "%"),
    el("td", {}, el("span", {class: "pill " + g.status}, g.status))));
  fill("goals", el("thead", {}, head), el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", {}, "No goals."))]));
}

function renderCheckIns(items) {
  const sorted = [...items].sort((a, b) => b.held_at.localeCompare(a.held_at));
  fill("check-ins", ...(sorted.length ? sorted.map((c) => el("div", {class: "check-in"},
    el("div", {}, el("strong", {}, c.held_at.slice(0, 10)), ` with ${nameOr(c.manager_name, c.manager)} · `,
       el("span", {class: "pill " + c.status}, `${c.open_action_items} open`)),
    el("div", {class: "muted"}, c.notes),
    el("ul", {class: "items"}, c.action_items.map((i) => el("li", {class: i.completed_by ? "done" : "open"},
      `${i.description} — ${nameOr(i.owner_name, i.owner_id)}, due ${i.due}${i.completed_by ? " (done)" : ""}`))))) :
    [el("p", {class: "muted"}, "No check-ins yet.")]));
}

function scoreHistory(changes) {
  const head = el("tr", {}, ["When", "Criterion", "Change", "By", "Reason"].map((h) => el("th", {}, h)));
  const rows = changes.map((s) => el("tr", {},
    el("td", {}, s.at.slice(0, 16).replace("T", " ")), el("td", {}, s.criterion || s.kind),
    el("td", {}, `${s.before ?? "–"} → ${s.after}`), el("td", {}, nameOr(s.actor_name, s.actor)),
    el("td", {}, s.reason || "")));
  return el("table", {class: "list"}, el("thead", {}, head), el("tbody", {}, rows));
}

// 360-degree inputs; peer inputs reach the agent reviewed without author, from the threshold on.
function inputs(review) {
  const rows = (review.inputs || []).map((i) => el("li", {class: "input " + i.source},
    el("strong", {}, i.source), i.author_id ? ` · ${nameOr(i.author_name, i.author_id)}` : "",
    ` · ${i.rating}/5 — ${i.text}`));
  const rule = review.anonymity;
  if (rule && !rule.shown) {
    rows.push(el("li", {class: "muted withheld"},
      `${rule.sources.join(", ")} inputs appear, without authors, once ${rule.threshold} have answered`));
  }
  return el("ul", {class: "items inputs"}, rows);
}

function renderReviews(items) {
  const reviews = items.map((rv) => el("div", {class: "review", "data-review": rv.id},
    el("div", {}, el("strong", {}, `${rv.period_start} – ${rv.period_end}`), " ",
       el("span", {class: "pill " + rv.status}, rv.status), " overall ",
       el("strong", {}, rv.overall_score === null ? "–" : rv.overall_score.toFixed(2)), " / 5"),
    inputs(rv), scoreHistory(rv.score_changes)));
  fill("reviews", ...(reviews.length ? reviews : [el("p", {class: "muted"}, "No reviews yet.")]));
}

function agentHash(agent) {
  return `#team=${encodeURIComponent(state.team || "")}&agent=${encodeURIComponent(agent)}`;
}

function openAgent(agent) { location.hash = agentHash(agent); }

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.agent = params.get("agent");
  if (params.get("team")) state.team = params.get("team");
}

function show(view) {
  for (const id of ["login", "team-view", "agent-view"]) $(id).hidden = id !== view;
  document.body.dataset.view = view;
}

async function refresh() {
  try {
    if (!kpis.entries.length) await loadCatalogue();
    if (!state.teamsListed) await loadTeams();
    if (!state.team && !state.agent) {
      show("team-view");
      document.body.dataset.state = "waiting";
      $("status").textContent = "waiting for data…";
      return;
    }
    if (state.agent) { show("agent-view"); await renderAgent(); } else { show("team-view"); await renderTeam(); }
    state.refreshes += 1;
    document.body.dataset.state = "ready";
    document.body.dataset.refreshes = String(state.refreshes);
    const ready = await fetch("/readyz").then((r) => r.json()).catch(() => ({}));
    const lag = ready.ready === false ? " · catching up" : "";
    $("status").textContent = `live · ${new Date().toLocaleTimeString()}${lag}`;
  } catch (error) {
    if (error.status === 401) {
      const expired = sessionStorage.getItem(SESSION_KEY);
      sessionStorage.removeItem(SESSION_KEY);
      return askToken(expired ? "Your session has ended: sign in again." : "Token not accepted: " + error.message);
    }
    document.body.dataset.state = "error";
    $("status").textContent = "error: " + error.message;
  }
}

// Teams appear as data arrives: until the caller can read one, the list is fetched again on refresh.
async function loadTeams() {
  try {
    const items = (await api("/v1/teams")).items;
    const teams = items.map((t) => t.team_id);
    readHash();
    if (!state.team || !teams.includes(state.team)) state.team = teams[0] || null;
    fill("team", ...items.map((t) => el("option", {value: t.team_id}, t.team_name ? `${t.team_name} (${t.team_id})` : t.team_id)));
    $("team").value = state.team || "";
    state.teamsListed = teams.length > 0;
  } catch (error) {
    if (error.status !== 403) throw error;
    readHash(); // an agent token cannot list teams: it goes straight to its own page
    state.teamsListed = true;
  }
}

async function start() {
  // Back from the issuer: the new session wins over a token pasted earlier in this browser.
  if (!sessionStorage.getItem(SESSION_KEY) && (await signOnConfig()).sso) await takeSession();
  if (!currentToken()) return askToken("");
  state.teamsListed = false;
  await showWho();
  await refresh();
}

// Whether this perfledger signs in through an OpenID issuer (asked once).
let signOn = null;
async function signOnConfig() {
  if (!signOn) signOn = await fetch("/v1/auth/config").then((r) => r.json()).catch(() => ({sso: false}));
  return signOn;
}

// After the issuer's redirect back, the server holds the new session for this page to take once.
async function takeSession() {
  const response = await fetch("/v1/auth/session", {method: "POST", credentials: "same-origin"});
  if (!response.ok) return;
  sessionStorage.setItem(SESSION_KEY, (await response.json()).token);
}

// The signed-in person's name in the bar (their id and role in its tooltip).
async function showWho() {
  try {
    const me = await api("/v1/me");
    $("who").textContent = me.display_name;
    $("who").title = `${me.person_id} · ${me.role}`;
    $("who").hidden = false;
  } catch (_) {
    $("who").hidden = true; // the refresh that follows says what is wrong
  }
}

async function signOut() {
  sessionStorage.removeItem(SESSION_KEY);
  localStorage.removeItem(TOKEN_KEY);
  $("who").hidden = true;
  $("who").textContent = "";
  state.teamsListed = false;
  await fetch("/v1/auth/logout", {method: "POST", credentials: "same-origin"}).catch(() => null);
  askToken("Signed out.");
}

function askToken(message) {
  show("login");
  document.body.dataset.state = "login";
  $("login-error").textContent = message;
  signOnConfig().then((config) => { $("sso").hidden = !config.sso; });
}

function setup() {
  $("lb-kpi").addEventListener("change", () => { state.lbKpi = $("lb-kpi").value; refresh(); });
  $("team").addEventListener("change", () => { state.team = $("team").value; location.hash = `#team=${state.team}`; });
  $("range").addEventListener("change", refresh);
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.removeItem(SESSION_KEY); // the pasted token replaces a signed-in session
    localStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("logout").addEventListener("click", signOut);
  $("back").addEventListener("click", (e) => { e.preventDefault(); location.hash = `#team=${state.team}`; });
  $("home").addEventListener("click", (e) => { e.preventDefault(); location.hash = `#team=${state.team}`; });
  window.addEventListener("hashchange", () => { readHash(); state.seen = {}; refresh(); });
  setInterval(() => { if (!document.hidden && document.body.dataset.view !== "login") refresh(); }, REFRESH_MS);
  start();
}

setup();
})();
