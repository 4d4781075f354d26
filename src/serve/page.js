// flowsim serve: the live page. Vanilla JavaScript, no library, nothing from the internet.
// Moving a slider re-runs with few replications; releasing it re-runs with the full count.
// A newer request supersedes older ones (the server stops them; late answers are ignored).
"use strict";

const S = {
  base: null,          // GET /api/scenario
  values: {},          // control id -> value the page asks for
  policies: [],        // policies shown
  client: Math.random().toString(36).slice(2, 12),
  gen: 0,              // last request sent
  shown: 0,            // request whose answer is on the page
  last: null,          // that answer
  pin: null,           // {values, policies, label}
  changedAt: null,     // performance.now() of the last change
  redrawMs: null,      // change -> redrawn full result
  timer: null,
  sent: [],            // replications of the recent requests (newest last)
};
window.flowsim = S;

const KEY = [
  ["throughput_per_week", "Throughput", "cards/week", +1],
  ["lead_time_mean_h", "Lead time, mean", "h", -1],
  ["lead_time_p85_h", "Lead time, 85th percentile", "h", -1],
  ["cycle_time_p85_h", "Cycle time, 85th percentile", "h", -1],
  ["wip_mean", "Work in progress", "cards", -1],
  ["utilisation", "Utilisation", "share", 0],
  ["overtime_h_per_person_week", "Overtime", "h/person/week", -1],
  ["starved_h_per_person_week", "Idle: nothing to do", "h/person/week", -1],
  ["blocked_h_per_person_week", "Idle: no room downstream", "h/person/week", -1],
  ["skill_mismatch_h_per_person_week", "Idle: skill mismatch", "h/person/week", -1],
  ["waiting_h_per_person_week", "Idle: waiting on input", "h/person/week", -1],
];
const IDLE = KEY.slice(7);
const $ = (id) => document.getElementById(id);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
};
const NS = "http://www.w3.org/2000/svg";
const sv = (tag, attrs, text) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

function fmt(x) {
  if (x === null || x === undefined) return "–";
  const a = Math.abs(x);
  if (x === 0) return "0";
  if (Number.isInteger(x)) return String(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

async function init() {
  try {
    const r = await fetch("/api/scenario");
    S.base = await r.json();
  } catch (e) {
    return showError("The server cannot be reached: " + e);
  }
  const b = S.base;
  $("title").textContent = "— " + b.name;
  $("desc").textContent = b.description + " Seed " + b.seed + ", " + fmt(b.horizon_weeks) + " weeks.";
  S.policies = b.policies.slice();
  buildControls();
  $("pin").onclick = togglePin;
  $("reset").onclick = () => { S.values = {}; buildControls(); changed(true); };
  changed(true);
}

function buildControls() {
  const box = $("controls");
  box.replaceChildren();
  const groups = {};
  for (const c of S.base.controls) {
    if (!groups[c.group]) {
      groups[c.group] = el("fieldset", {}, el("legend", {}, c.group));
      box.append(groups[c.group]);
    }
    const v = c.id in S.values ? S.values[c.id] : c.value;
    const input = el("input", { type: "range", id: "c-" + c.id, min: c.min, max: c.max, step: c.step, value: v, "data-control": c.id });
    const out = el("output", { id: "v-" + c.id, for: "c-" + c.id });
    const div = el("div", { class: "control" }, el("label", { for: "c-" + c.id }, c.label, out), input);
    const show = () => {
      const x = Number(input.value);
      out.textContent = x === 0 && c.zero_means ? c.zero_means : String(x);
      div.classList.toggle("changed", x !== c.value);
    };
    show();
    input.addEventListener("input", () => { S.values[c.id] = Number(input.value); show(); changed(false); });
    input.addEventListener("change", () => { S.values[c.id] = Number(input.value); show(); changed(true); });
    groups[c.group].append(div);
  }
  const pol = $("policies");
  pol.querySelectorAll("label").forEach((l) => l.remove());
  S.base.available_policies.forEach((p, i) => {
    const box = el("input", { type: "checkbox", id: "p-" + p, value: p });
    box.checked = S.policies.includes(p);
    box.addEventListener("change", () => {
      const on = S.base.available_policies.filter((q) => $("p-" + q).checked);
      if (on.length === 0) { box.checked = true; return; }
      S.policies = on;
      changed(true);
    });
    const sw = el("span", { style: "color:" + S.base.colours[i] }, "■ ");
    pol.append(el("label", {}, box, sw, p));
  });
}

// A control moved (full: released, or a one-off change).
function changed(full) {
  S.changedAt = performance.now();
  if (full) clearTimeout(S.timer);
  if (full) {
    S.timer = null;
    return send(S.base.full_reps);
  }
  // While dragging: a quick run at most every 80 ms, with the values of that moment.
  if (S.timer === null) S.timer = setTimeout(() => { S.timer = null; send(S.base.drag_reps); }, 80);
}

function send(reps) {
  const gen = ++S.gen;
  S.sent.push(reps);
  if (S.sent.length > 100) S.sent.shift();
  const body = { client: S.client, gen, reps, values: S.values, policies: S.policies };
  if (S.pin) body.pin = { values: S.pin.values, policies: S.pin.policies };
  document.body.dataset.state = "running";
  const t0 = performance.now();
  fetch("/api/run", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
    .then(async (r) => {
      const j = await r.json().catch(() => ({ error: "unreadable answer (HTTP " + r.status + ")" }));
      if (r.status === 409 || gen < S.shown) return;
      // Busy (other pages are running): try again shortly, unless a newer request went out.
      if (r.status === 503 && gen === S.gen) return setTimeout(() => { if (gen === S.gen) send(reps); }, 300);
      if (!r.ok) {
        showError(j.error || "HTTP " + r.status);
        if (gen === S.gen) document.body.dataset.state = "idle";
        return;
      }
      S.shown = gen;
      j.roundtrip_ms = performance.now() - t0;
      render(j);
    })
    .catch((e) => { showError("The server cannot be reached: " + e); document.body.dataset.state = "idle"; });
}

function showError(m) {
  const e = $("error");
  e.textContent = m;
  e.hidden = false;
}

function metric(j, name) { return j.metrics.find((m) => m.name === name); }

function togglePin() {
  if (S.pin) {
    S.pin = null;
    $("pin").textContent = "Pin this result";
    $("pinned").hidden = true;
  } else {
    S.pin = { values: Object.assign({}, S.values), policies: S.policies.slice() };
    const what = S.last && S.last.set.length ? S.last.set.join(", ") : "the scenario as written";
    $("pin").textContent = "Unpin";
    $("pinned").textContent = "Pinned: " + what + ". Differences below are paired on the same random numbers (95% intervals).";
    $("pinned").hidden = false;
  }
  send(S.base.full_reps);
}

function render(j) {
  S.last = j;
  $("error").hidden = true;
  const final = j.gen === S.gen;
  if (final) document.body.dataset.state = "idle";
  renderTable(j);
  const hl = $("headlines");
  hl.replaceChildren(...j.headlines.map((h) => el("li", {}, h)));
  renderCharts(j);
  $("command").textContent = j.command;
  const now = performance.now();
  if (final && S.changedAt !== null) S.redrawMs = now - S.changedAt;
  document.body.dataset.gen = j.gen;
  document.body.dataset.reps = j.reps;
  $("status").textContent = j.reps + " replications per policy, seed " + j.seed +
    " · simulated in " + Math.round(j.elapsed_ms) + " ms" +
    (S.redrawMs !== null ? " · redrawn " + Math.round(S.redrawMs) + " ms after the change" : "") +
    (j.reps < S.base.full_reps ? " · a quick look: release the slider for all " + S.base.full_reps : "");
}

function renderTable(j) {
  const t = $("numbers");
  const head = el("tr", {}, el("th", {}, "per policy: mean ±95% interval"));
  j.policies.forEach((p, i) => head.append(el("th", { style: "color:" + j.colours[i] }, p)));
  const rows = [head];
  const cmp = j.compare ? Object.fromEntries(j.compare.per_policy.map((x) => [x.policy, x.metrics])) : null;
  for (const [name, label, unit, better] of KEY) {
    const m = metric(j, name);
    if (!m) continue;
    const tr = el("tr", {}, el("td", {}, label + " ", el("small", {}, unit)));
    m.values.forEach((v, i) => {
      const td = el("td", { "data-metric": name, "data-policy": j.policies[i], "data-mean": v.mean === null ? "" : String(v.mean) });
      td.append(fmt(v.mean));
      if (v.lo !== null && v.hi !== null) td.append(" ", el("small", {}, "±" + fmt((v.hi - v.lo) / 2)));
      const d = cmp && cmp[j.policies[i]] && cmp[j.policies[i]][name];
      if (d && d.diff === 0 && d.lo === 0 && d.hi === 0) {
        td.append(el("div", { class: "delta same" }, "same as pinned"));
      } else if (d && d.diff !== null) {
        let cls = "same";
        if (d.lo !== null && (d.lo > 0 || d.hi < 0) && better !== 0) cls = d.diff * better > 0 ? "up" : "down";
        const ci = d.lo === null ? "" : " (" + fmt(d.lo) + ".." + fmt(d.hi) + ")";
        td.append(el("div", { class: "delta " + cls }, (d.diff > 0 ? "+" : "") + fmt(d.diff) + ci + " vs pin"));
      }
      tr.append(td);
    });
    rows.push(tr);
  }
  t.replaceChildren(...rows);
}

// ---- charts: inline SVG drawn from the answer ----

function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function figure(title, svg, note) {
  const f = el("figure", {}, el("figcaption", {}, title), svg);
  if (note) f.append(el("small", {}, note));
  return f;
}

// One small panel per policy with the same y axis: the 5–95% band over replications and the
// mean, week by week. Panels side by side keep policies apart on a projector.
function bandChart(j, name, title) {
  const s = j.weekly.find((w) => w.name === name);
  if (!s) return null;
  const W = 600, H = 230, top = 12, bottom = 28, left = 40, gap = 10;
  const n = j.policies.length;
  const pw = (W - left - gap * (n - 1)) / n;
  let ymax = 0;
  for (const p of s.per_policy) for (const v of p.p95.concat(p.mean)) if (v !== null && v > ymax) ymax = v;
  ymax = niceMax(ymax);
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img", "data-chart": name });
  const y = (v) => top + (H - top - bottom) * (1 - v / ymax);
  for (const t of [0, 0.5, 1]) {
    svg.append(sv("line", { x1: left, x2: W, y1: y(t * ymax), y2: y(t * ymax), stroke: "#ddd" }));
    svg.append(sv("text", { x: left - 4, y: y(t * ymax) + 4, "text-anchor": "end", "font-size": 11 }, fmt(t * ymax)));
  }
  s.per_policy.forEach((p, k) => {
    const x0 = left + k * (pw + gap);
    const weeks = p.mean.length;
    const x = (w) => x0 + (pw * (w + 0.5)) / weeks;
    let band = "", back = "", line = "";
    for (let w = 0; w < weeks; w++) {
      if (p.p95[w] !== null) band += (band ? "L" : "M") + x(w).toFixed(1) + "," + y(p.p95[w]).toFixed(1);
    }
    for (let w = weeks - 1; w >= 0; w--) {
      if (p.p05[w] !== null) back += "L" + x(w).toFixed(1) + "," + y(p.p05[w]).toFixed(1);
    }
    for (let w = 0; w < weeks; w++) {
      if (p.mean[w] !== null) line += (line ? "L" : "M") + x(w).toFixed(1) + "," + y(p.mean[w]).toFixed(1);
    }
    let one = "";
    for (let w = 0; w < weeks; w++) {
      if (p.one && p.one[w] !== null) one += (one ? "L" : "M") + x(w).toFixed(1) + "," + y(p.one[w]).toFixed(1);
    }
    const c = j.colours[k];
    if (band) svg.append(sv("path", { d: band + back + "Z", fill: c, "fill-opacity": 0.22, stroke: "none" }));
    if (one) svg.append(sv("path", { d: one, fill: "none", stroke: "#444", "stroke-width": 1, "stroke-opacity": 0.75 }));
    if (line) svg.append(sv("path", { d: line, fill: "none", stroke: c, "stroke-width": 2 }));
    svg.append(sv("text", { x: x0 + pw / 2, y: H - 8, "text-anchor": "middle", "font-size": 13, fill: c, "font-weight": "bold" }, j.policies[k]));
  });
  return figure(title, svg, "coloured line: mean per week; band: 5th–95th percentile over replications; grey: replication 1 alone, as one board would show it; x: weeks 1–" + j.weeks);
}

// Horizontal bars: one group per policy.
function barChart(j, title, parts, stacked, note) {
  const W = 600, rowH = stacked ? 34 : 18 * parts.length + 8, left = 70, right = 70, top = 8;
  const H = top + rowH * j.policies.length + (stacked ? 30 : 6);
  const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, width: "100%", role: "img" });
  const vals = j.policies.map((_, k) => parts.map(([name]) => {
    const m = metric(j, name);
    return m ? m.values[k] : { mean: null, lo: null, hi: null };
  }));
  let xmax = 0;
  for (const row of vals) {
    if (stacked) xmax = Math.max(xmax, row.reduce((a, v) => a + (v.mean || 0), 0));
    else for (const v of row) xmax = Math.max(xmax, v.hi || v.mean || 0);
  }
  xmax = niceMax(xmax);
  const x = (v) => left + ((W - left - right) * v) / xmax;
  const shades = [1, 0.7, 0.45, 0.25];
  j.policies.forEach((p, k) => {
    const y0 = top + k * rowH;
    svg.append(sv("text", { x: left - 6, y: y0 + rowH / 2 + 4, "text-anchor": "end", "font-size": 13, fill: j.colours[k], "font-weight": "bold" }, p));
    let acc = 0;
    const h = stacked ? rowH - 10 : (rowH - 8) / parts.length;
    vals[k].forEach((v, i) => {
      const m = v.mean || 0;
      const yy = stacked ? y0 + 5 : y0 + 4 + i * h;
      const x1 = stacked ? x(acc) : x(0);
      svg.append(sv("rect", { x: x1, y: yy, width: Math.max(0, x(m) - x(0)), height: h - 1, fill: j.colours[k], "fill-opacity": shades[i % 4] }));
      if (!stacked && v.lo !== null) {
        svg.append(sv("line", { x1: x(v.lo), x2: x(v.hi), y1: yy + h / 2, y2: yy + h / 2, stroke: "#222" }));
      }
      if (!stacked) svg.append(sv("text", { x: x(v.hi || m) + 4, y: yy + h / 2 + 4, "font-size": 12 }, parts[i][1] + " " + fmt(v.mean)));
      acc += m;
    });
    if (stacked) svg.append(sv("text", { x: x(acc) + 4, y: y0 + rowH / 2 + 4, "font-size": 12 }, fmt(acc) + " h"));
  });
  if (stacked) {
    let lx = left;
    parts.forEach(([, label], i) => {
      svg.append(sv("rect", { x: lx, y: H - 18, width: 12, height: 12, fill: "#555", "fill-opacity": shades[i % 4] }));
      svg.append(sv("text", { x: lx + 16, y: H - 8, "font-size": 11 }, label));
      lx += 16 + label.length * 6.5 + 14;
    });
  }
  return figure(title, svg, note);
}

function renderCharts(j) {
  const figs = [
    bandChart(j, "throughput", "Throughput (cards finished per week)"),
    bandChart(j, "wip_mean", "Work in progress (cards)"),
    barChart(j, "Lead time (hours): median, 85th and 95th percentile",
      [["lead_time_p50_h", "p50"], ["lead_time_p85_h", "p85"], ["lead_time_p95_h", "p95"]], false,
      "mean over replications of each replication's percentile; whisker: 95% interval"),
    barChart(j, "Idle time by cause (h per person per week)",
      IDLE.map(([n, l]) => [n, l.replace("Idle: ", "")]), true, "mean over replications"),
    bandChart(j, "overtime_h_per_person", "Overtime (hours per person per week)"),
  ].filter(Boolean);
  $("charts").replaceChildren(...figs);
}

init();
