// otadiag dashboard: renders the JSON API (docs/api.md) into three views chosen by the URL
// fragment — #/ (fleet), #/campaign/ID, #/vehicle/VIN. No framework, no build step; every value
// from the server is escaped before it reaches innerHTML.
"use strict";

const API = "/api/v1";
const PALETTE = ["#c4320a", "#2457c5", "#027a48", "#b54708", "#6941c6", "#0e7090", "#c11574",
  "#4e5ba6", "#93370d", "#067647", "#475467"];
const LANES = ["TBOX", "GW", "ECU"];

function esc(v) {
  return String(v === null || v === undefined ? "" : v)
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

async function getJSON(path) {
  const r = await fetch(API + path);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.message || (r.status + " " + r.statusText));
  return body;
}

function colorOf(cause, causes) {
  const i = causes.indexOf(cause);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

function showError(e) {
  const el = document.getElementById("error");
  el.textContent = e ? String(e.message || e) : "";
  el.hidden = !e;
}

// ---- fleet overview ----------------------------------------------------------------------

function filterQuery(form) {
  const q = new URLSearchParams();
  for (const name of ["from", "to", "campaign", "ecu", "version"]) {
    const v = form ? form.elements[name].value.trim() : "";
    if (v) q.set(name, v);
  }
  return q.toString();
}

async function viewFleet(view) {
  view.innerHTML = `
    <h1>Fleet: why updates fail</h1>
    <form id="fleet-filters">
      <label>from <input id="filter-from" name="from" placeholder="YYYY-MM-DD"></label>
      <label>to <input id="filter-to" name="to" placeholder="YYYY-MM-DD"></label>
      <label>campaign <input id="filter-campaign" name="campaign"></label>
      <label>ECU <input id="filter-ecu" name="ecu"></label>
      <label>version <input id="filter-version" name="version"></label>
      <button id="filter-apply" type="submit">Apply</button>
    </form>
    <section class="card"><h2>Trend (root causes per day)</h2><div id="fleet-trend"></div></section>
    <section class="card"><h2>Causes by ECU, version and campaign</h2>
      <p id="fleet-total" class="meta"></p><div id="fleet-table"></div></section>`;
  const form = document.getElementById("fleet-filters");
  form.addEventListener("submit", (ev) => { ev.preventDefault(); loadFleet(form); });
  await loadFleet(form);
}

async function loadFleet(form) {
  const q = filterQuery(form);
  const [causes, trend] = await Promise.all([
    getJSON("/fleet/causes?" + q), getJSON("/fleet/trend?bucket=day&" + q)]);
  const names = [...new Set(causes.rows.map((r) => r.cause).concat(trend.rows.map((r) => r.cause)))].sort();
  document.getElementById("fleet-total").textContent = `${causes.total} root findings`;
  document.getElementById("fleet-table").innerHTML = causesTable(causes.rows, names, "fleet-causes");
  document.getElementById("fleet-trend").innerHTML = trendSvg(trend, names);
}

function causesTable(rows, names, id) {
  if (!rows.length) return `<p class="empty" id="${id}-empty">No failures in this range.</p>`;
  const max = Math.max(...rows.map((r) => r.count));
  const body = rows.map((r) => `
    <tr class="cause-row" data-cause="${esc(r.cause)}" data-ecu="${esc(r.ecu)}"
        data-version="${esc(r.version)}" data-campaign="${esc(r.campaign)}">
      <td class="cause">${esc(r.cause)}</td><td class="ecu">${esc(r.ecu)}</td>
      <td class="version">${esc(r.version)}</td>
      <td class="campaign"><a class="campaign-link" href="#/campaign/${encodeURIComponent(r.campaign)}">${esc(r.campaign)}</a></td>
      <td class="count">${r.count}</td>
      <td class="bar-cell"><div class="bar" style="width:${(100 * r.count / max).toFixed(1)}%;background:${colorOf(r.cause, names)}"></div></td>
    </tr>`).join("");
  return `<table id="${id}"><thead><tr><th>cause</th><th>ECU / package</th><th>version</th>
    <th>campaign</th><th>count</th><th></th></tr></thead><tbody>${body}</tbody></table>`;
}

function trendSvg(trend, names) {
  if (!trend.rows.length) return `<p class="empty" id="trend-empty">No data.</p>`;
  const buckets = [...new Set(trend.rows.map((r) => r.bucket))].sort((a, b) => a - b);
  const W = 760, H = 180, pad = 30;
  const totals = buckets.map((b) => trend.rows.filter((r) => r.bucket === b).reduce((s, r) => s + r.count, 0));
  const max = Math.max(...totals, 1);
  const bw = Math.max(4, Math.min(60, (W - 2 * pad) / buckets.length - 4));
  let bars = "";
  buckets.forEach((b, i) => {
    let y = H - pad;
    const x = pad + i * ((W - 2 * pad) / buckets.length);
    for (const r of trend.rows.filter((r) => r.bucket === b)) {
      const h = (H - 2 * pad) * r.count / max;
      y -= h;
      bars += `<rect class="trend-bar" data-bucket="${b}" data-cause="${esc(r.cause)}" x="${x.toFixed(1)}"
        y="${y.toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${colorOf(r.cause, names)}">
        <title>${esc(new Date(b).toISOString().slice(0, 10))} ${esc(r.cause)}: ${r.count}</title></rect>`;
    }
    bars += `<text class="tick" x="${x.toFixed(1)}" y="${H - pad + 14}">${esc(new Date(b).toISOString().slice(5, 10))}</text>`;
  });
  const legend = names.map((n) => `<span><span class="swatch" style="background:${colorOf(n, names)}"></span>${esc(n)}</span>`).join("");
  return `<svg id="trend-svg" class="trend" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="trend">
    <line class="axis" x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}"/>
    <text class="tick" x="2" y="${pad}">${max}</text>${bars}</svg><div class="legend">${legend}</div>`;
}

// ---- campaign drill-down -----------------------------------------------------------------

async function viewCampaign(view, id) {
  const [causes, list] = await Promise.all([
    getJSON("/fleet/causes?campaign=" + encodeURIComponent(id)),
    getJSON(`/campaigns/${encodeURIComponent(id)}/verdicts?limit=500`)]);
  const names = [...new Set(causes.rows.map((r) => r.cause))].sort();
  const failed = list.verdicts.filter((v) => v.verdict !== "success").length;
  const rows = list.verdicts.map((v) => `
    <tr class="verdict-row" data-verdict-id="${v.verdict_id}">
      <td><a class="vehicle-link" href="#/vehicle/${encodeURIComponent(v.vin)}">${esc(v.vin)}</a></td>
      <td>${esc(v.task)}</td><td>${esc(v.received_at)}</td>
      <td class="verdict-${esc(v.verdict)}">${esc(v.verdict)}</td>
      <td>${v.findings.filter((f) => f.root).map((f) => `${esc(f.unit)}: <b>${esc(f.cause)}</b>`).join("<br>")}</td>
    </tr>`).join("");
  view.innerHTML = `
    <section id="campaign" data-campaign="${esc(id)}">
      <h1>Campaign <span id="campaign-id">${esc(id)}</span></h1>
      <p id="campaign-summary">${list.count} uploads, ${failed} failed</p>
      <section class="card"><h2>Causes by ECU and version</h2>${causesTable(causes.rows, names, "campaign-causes")}</section>
      <section class="card"><h2>Uploads</h2>
      <table id="campaign-verdicts"><thead><tr><th>vehicle</th><th>task</th><th>received</th>
        <th>verdict</th><th>root causes</th></tr></thead><tbody>${rows}</tbody></table></section>
    </section>`;
}

// ---- vehicle page with sequence diagrams --------------------------------------------------

async function viewVehicle(view, vin) {
  const list = await getJSON(`/vehicles/${encodeURIComponent(vin)}/verdicts`);
  view.innerHTML = `<section id="vehicle" data-vin="${esc(vin)}"><h1>Vehicle <span id="vehicle-vin">${esc(vin)}</span></h1>
    <p id="vehicle-summary">${list.count} uploads</p><div id="vehicle-verdicts"></div></section>`;
  const box = document.getElementById("vehicle-verdicts");
  if (!list.count) box.innerHTML = `<p class="empty" id="vehicle-empty">No uploads from this vehicle.</p>`;
  for (const v of list.verdicts) {
    const div = document.createElement("div");
    div.className = "verdict";
    div.id = "verdict-" + v.verdict_id;
    div.dataset.verdictId = v.verdict_id;
    div.innerHTML = `<h2>Task ${esc(v.task)} · campaign
        <a class="campaign-link" href="#/campaign/${encodeURIComponent(v.campaign)}">${esc(v.campaign)}</a>
        · <span class="verdict-${esc(v.verdict)}">${esc(v.verdict)}</span></h2>
      <p class="meta">received ${esc(v.received_at)} · rules <code class="revision">${esc(v.revision.slice(0, 19))}</code>
        ${v.report.notes.map((n) => `<br><span class="note">${esc(n)}</span>`).join("")}</p>`;
    box.appendChild(div);
    for (const f of v.findings) {
      const fd = document.createElement("div");
      fd.className = "finding" + (f.root ? " root" : "");
      fd.id = "finding-" + f.id;
      fd.dataset.findingId = f.id;
      fd.dataset.cause = f.cause;
      div.appendChild(fd);
      const ev = await getJSON(`/findings/${f.id}/evidence`);
      fd.innerHTML = findingHtml(f, ev);
    }
  }
}

function findingHtml(f, ev) {
  const x = ev.finding;
  const where = [x.location.unit, x.location.address, x.location.block !== null ? "block " + x.location.block : "",
    x.location.packet !== null ? "packet " + x.location.packet : ""].filter(Boolean).join(" · ");
  return `<div><span class="cause">${esc(x.cause)}</span> <span class="meta">(${esc(x.parameter)}) — blame
      <span class="blame">${esc(x.role)}</span> (${esc(x.side)}) · rule <code class="rule">${esc(x.rule)}</code>
      ${esc(x.rule_source.file)}:${x.rule_source.line}</span></div>
    <div class="message">${esc(x.message)}</div>
    <div class="measure"><span>measured <span class="measured">${esc(x.measured ?? "—")}</span></span>
      <span>limit <span class="limit">${esc(x.limit ?? "—")}</span></span>
      ${x.nrc ? `<span class="nrc">NRC ${esc(x.nrc)} ${esc(x.nrc_name ?? "")}</span>` : ""}</div>
    <div class="meta location">${esc(where)}</div>
    ${x.help ? `<div class="help">${esc(x.help)}</div>` : ""}
    ${sequenceSvg(ev)}`;
}

// A sequence diagram of the evidence window: TBOX, GW and ECU lifelines; each record an arrow
// from its sender's lane to its receiver's lane; the failing exchange (focus) in red.
function sequenceSvg(ev) {
  const recs = ev.finding.evidence;
  if (!recs.length) return `<p class="empty">No evidence records.</p>`;
  const W = 700, top = 34, step = 30, H = top + step * recs.length + 16;
  const laneX = { TBOX: 90, GW: 350, ECU: 610 };
  const t0 = recs[0].ts;
  let out = LANES.map((l) => `<text class="lane-label" x="${laneX[l]}" y="18" text-anchor="middle">${l}</text>
    <line class="lifeline" x1="${laneX[l]}" y1="24" x2="${laneX[l]}" y2="${H - 4}"/>`).join("");
  recs.forEach((r, i) => {
    const from = r.dir === "req" ? ev.client_role : ev.server_role;
    const to = r.dir === "req" ? ev.server_role : ev.client_role;
    const x1 = laneX[from] ?? laneX.GW, x2 = laneX[to] ?? laneX.ECU;
    const y = top + step * i + 10;
    const head = x2 > x1 ? -7 : 7;
    const ms = ((r.ts - t0) / 1e6).toFixed(1);
    const hdr = r.hdr.length > 16 ? r.hdr.slice(0, 16) + "…" : r.hdr;
    out += `<g class="msg ${r.focus ? "focus" : ""}" data-index="${r.index}" data-dir="${esc(r.dir)}">
      <line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}"/>
      <polyline points="${x2 + head},${y - 4} ${x2},${y} ${x2 + head},${y + 4}" fill="none"/>
      <text x="${(x1 + x2) / 2}" y="${y - 4}" text-anchor="middle">${esc(hdr)} (${r.len} B)</text>
      <text x="4" y="${y + 4}">+${ms} ms</text></g>`;
  });
  return `<svg class="sequence" id="sequence-${ev.finding_id}" viewBox="0 0 ${W} ${H}" width="100%"
    role="img" aria-label="sequence diagram">${out}</svg>`;
}

// ---- routing -----------------------------------------------------------------------------

async function route() {
  const view = document.getElementById("view");
  showError(null);
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  try {
    if (parts[0] === "campaign" && parts[1]) await viewCampaign(view, parts[1]);
    else if (parts[0] === "vehicle" && parts[1]) await viewVehicle(view, parts[1]);
    else await viewFleet(view);
    document.body.dataset.view = parts[0] || "fleet";
  } catch (e) {
    showError(e);
  }
}

async function showRevision() {
  try {
    const r = await getJSON("/rules");
    document.getElementById("rules-revision").textContent = "rules " + r.revision.slice(0, 19);
  } catch (e) { /* the page works without it */ }
}

document.getElementById("vehicle-search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const v = document.getElementById("vehicle-input").value.trim();
  if (v) location.hash = "#/vehicle/" + encodeURIComponent(v);
});
document.getElementById("campaign-search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const v = document.getElementById("campaign-input").value.trim();
  if (v) location.hash = "#/campaign/" + encodeURIComponent(v);
});
window.addEventListener("hashchange", route);
showRevision();
route();
