// irsim page: form -> /api/assess (validated as you type), /api/simulate (charts), /api/explain (why panel),
// profiles and lab history.
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, text) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};
let FIELDS = null, currentProfile = null, lastPerson = null;

async function api(method, path, body) {
  const r = await fetch(path, {method, headers: body ? {"Content-Type": "application/json"} : {},
                               body: body ? JSON.stringify(body) : undefined});
  const data = r.status === 204 ? null : (r.headers.get("content-type") || "").includes("json") ? await r.json() : await r.text();
  return {ok: r.ok, status: r.status, data};
}

function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }

// ---------------------------------------------------------------- form
// Height in feet and inches ("5 10", "5'10", "5 ft 10 in"): the form sends inches (the server accepts "in").
const FT_IN = "ft in";
const FEET_INCHES = /^(\d+(?:\.\d+)?)\s*(?:ft|feet|foot|')?\s*(?:(\d+(?:\.\d+)?)\s*(?:in|inches|inch|"|'')?)?$/;
function inches(text) { const m = text.trim().match(FEET_INCHES); return m ? 12 * Number(m[1]) + Number(m[2] || 0) : NaN; }
// The quantity a field sends: "value unit"; feet and inches become inches (unreadable text goes as is, to be refused)
function quantityText(v, unit) {
  if (unit !== FT_IN) return `${v} ${unit}`;
  const n = inches(v);
  return Number.isNaN(n) ? `${v} ft` : `${n} in`;
}

function quantityField(f, group) {
  const div = el("div", {class: "field"});
  const id = "f-" + f.name;
  div.append(el("label", {for: id}, f.label));
  const pair = el("span", {class: "pair"});
  const input = el("input", {id, name: f.name, inputmode: "decimal", autocomplete: "off", "data-group": group,
                             "aria-describedby": "err-" + f.name,
                             title: `plausible range ${f.range[0]}-${f.range[1]} ${f.canonical_unit}`});
  const unit = el("select", {id: id + "-unit", "aria-label": f.label + " unit"});
  for (const u of f.units) unit.append(el("option", {value: u}, u));
  unit.addEventListener("change", () => { input.placeholder = unit.value === FT_IN ? "e.g. 5 10" : ""; });
  pair.append(input, unit);
  div.append(pair, el("span", {class: "err", id: "err-" + f.name, "aria-live": "polite"}));
  return div;
}

function buildForm() {
  for (const f of FIELDS.body) $("body-fields").append(quantityField(f, "body"));
  for (const f of FIELDS.labs) $("lab-fields").append(quantityField(f, "labs"));
  for (const name of FIELDS.flags) {
    const div = el("div", {class: "field"});
    const sel = el("select", {id: "f-" + name, name, "aria-describedby": "err-" + name});
    for (const [v, t] of [["", "not given"], ["true", "yes"], ["false", "no"]]) sel.append(el("option", {value: v}, t));
    div.append(el("label", {for: "f-" + name}, (FIELDS.flag_labels || {})[name] || name.replaceAll("_", " ")), sel,
               el("span", {class: "err", id: "err-" + name, "aria-live": "polite"}));
    $("flag-fields").append(div);
  }
  const labField = $("lab-field");
  for (const f of [...FIELDS.body, ...FIELDS.labs]) if (FIELDS.recordable.includes(f.name))
    labField.append(el("option", {value: f.name}, f.label));
  labField.addEventListener("change", labUnits);
  labUnits();
}

function labUnits() {
  const f = [...FIELDS.body, ...FIELDS.labs].find((x) => x.name === $("lab-field").value);
  $("lab-unit").replaceChildren(...f.units.map((u) => el("option", {value: u}, u)));
}

const numbers = (s) => s.split(/[,;\s]+/).filter((x) => x !== "").map(Number);

function personFromForm() {
  const p = {labs: {}};
  if ($("f-sex").value) p.sex = $("f-sex").value;  // no silent default: the server asks for it
  for (const f of [...FIELDS.body, ...FIELDS.labs]) {
    const v = $("f-" + f.name).value.trim();
    if (v === "") continue;
    const q = quantityText(v, $("f-" + f.name + "-unit").value);
    if (FIELDS.labs.includes(f)) p.labs[f.name] = q; else p[f.name] = q;
  }
  for (const name of FIELDS.flags) { const v = $("f-" + name).value; if (v) p[name] = v === "true"; }
  const mins = $("ogtt-minutes").value.trim();
  if (mins) {
    p.labs.ogtt = {minutes: numbers(mins), glucose: {values: numbers($("ogtt-glucose").value), unit: $("ogtt-glucose-unit").value}};
    if ($("ogtt-insulin").value.trim())
      p.labs.ogtt.insulin = {values: numbers($("ogtt-insulin").value), unit: $("ogtt-insulin-unit").value};
  }
  if (currentProfile && currentProfile.person.id) p.id = currentProfile.person.id;
  return p;
}

function setUnit(sel, unit) {
  if (![...sel.options].some((o) => o.value === unit)) sel.append(el("option", {value: unit}, unit));
  sel.value = unit;
}

function fillForm(person) {
  const all = [...FIELDS.body, ...FIELDS.labs];
  for (const f of all) { $("f-" + f.name).value = ""; $("f-" + f.name + "-unit").selectedIndex = 0; }
  const labs = person.labs || {};
  for (const f of all) {
    const q = FIELDS.labs.includes(f) ? labs[f.name] : person[f.name];
    if (q === undefined || q === null) continue;
    let value = q, unit = f.canonical_unit;
    const n = typeof q === "string" && /(ft|feet|foot|')/.test(q) ? inches(q) : NaN;  // "5 ft 7 in", 5'7"
    if (!Number.isNaN(n)) { value = `${Math.floor(n / 12)} ${+(n % 12).toFixed(1)}`; unit = FT_IN; }
    else if (typeof q === "string") { const m = q.trim().match(/^(\S+)\s*(.*)$/); value = m[1]; unit = m[2] || unit; }
    else if (typeof q === "object") { value = q.value; unit = q.unit || unit; }
    $("f-" + f.name).value = value;
    setUnit($("f-" + f.name + "-unit"), unit);
  }
  $("f-sex").value = person.sex || "";
  for (const name of FIELDS.flags) $("f-" + name).value = person[name] === undefined || person[name] === null ? "" : String(person[name]);
  const og = labs.ogtt;
  $("ogtt-minutes").value = og ? og.minutes.join(", ") : "";
  $("ogtt-glucose").value = og ? og.glucose.values.join(", ") : "";
  if (og) setUnit($("ogtt-glucose-unit"), og.glucose.unit);
  $("ogtt-insulin").value = og && og.insulin ? og.insulin.values.join(", ") : "";
  if (og && og.insulin) setUnit($("ogtt-insulin-unit"), og.insulin.unit);
}

// The server words its messages for the command line ("a number followed by a unit", "accepted units: ..."); on
// the page the value and its unit are two controls, so say it the page's way.
function pageWords(message) {
  return message
    .replace(/cannot read '.*' as a number followed by a unit.*/, "enter a number (for example 5.9)")
    .replace(/; accepted units: [^;]*\(or any unit convertible to them\)/, "")
    .replace(/; accepted units: [^;?]*/, "")
    .replace(/did you mean ([-\d.]+) ([^ ?(]+)(?: \(= [^)]*\))?\?/, "did you mean $1 $2? Choose $2 in the unit list.")
    .replace(/^required field is missing \('female' or 'male'\)$/, "choose female or male");
}

function showProblems(problems) {
  document.querySelectorAll("#person-form .err").forEach((e) => { e.textContent = ""; });
  document.querySelectorAll("#person-form [aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  $("other-errors").replaceChildren();
  const marked = [];
  for (const p of problems || []) {
    const parts = p.field.split(".");
    const name = parts[0] === "labs" ? parts[1] : parts[0];
    const slot = $("err-" + name);
    if (slot) {
      slot.textContent = (slot.textContent ? slot.textContent + " " : "") + pageWords(p.message);
      const input = $("f-" + name) || $("ogtt-minutes");
      if (input) input.setAttribute("aria-invalid", "true");
      const label = document.querySelector(`label[for="f-${name}"]`);
      marked.push(label ? label.textContent.trim() : name.replaceAll("_", " "));
    } else $("other-errors").append(el("li", {}, `${p.field.replaceAll("_", " ")}: ${pageWords(p.message)}`));
  }
  // a summary beside the button: which fields to correct (issue #15)
  if (marked.length) $("other-errors").prepend(el("li", {id: "error-summary"},
    `Please correct ${marked.length === 1 ? "this field" : `these ${marked.length} fields`}: ${[...new Set(marked)].join(", ")}.`));
}

// ---------------------------------------------------------------- assessment
async function assess() {
  const person = personFromForm();
  const r = await api("POST", "/api/assess?units=" + encodeURIComponent($("units").value), person);
  if (!r.ok) {
    showProblems(r.data.problems || [{field: "server", message: r.data.detail || "error"}]);
    markStale(true);  // what is shown no longer matches the form
    return null;
  }
  showProblems([]);
  lastPerson = person;
  renderAssessment(r.data);
  markStale();
  return r.data;
}

// The projection, its table and the report stay those of the inputs they were computed for: after an edit the
// page greys them out and says so until the next projection; the report renders exactly what is on screen.
let shownBody = null;
function markStale(invalid = false) {
  const stale = shownBody !== null && (invalid || JSON.stringify(shownBody.person) !== JSON.stringify(lastPerson));
  for (const id of ["where-section", "projection-chart", "summary", "chances", "fan-chart"]) $(id).classList.toggle("stale", stale);
  $("stale-note").hidden = !stale;
}

function renderAssessment(data) {
  const root = $("assessment");
  root.replaceChildren();
  $("assess-summary").textContent = data.summary ? "In short: " + data.summary : "";
  $("assess-summary").hidden = !data.summary;
  $("to-do-list").replaceChildren(...(data.to_do || []).map((t) => el("li", {}, t)));
  $("to-do").hidden = !(data.to_do || []).length;
  for (const g of data.organs) {
    const div = el("div", {class: "organ"});
    div.append(el("h3", {}, g.label));
    const table = el("table", {class: "assess"});
    table.append(Object.assign(el("thead"), {innerHTML: "<tr><th>result</th><th>value</th><th>category</th><th class=ranges>reference range / cut-offs</th></tr>"}));
    const body = el("tbody");
    for (const r of g.results) {
      const tr = el("tr", {"data-key": r.key});
      const name = el("td");
      name.append(el("span", {title: r.key}, r.name));
      if (r.ranges) name.append(el("div", {class: "ranges-inline"}, r.ranges));  // phones: under the name
      if (r.mechanism) name.append(el("div", {class: "mech"}, r.mechanism));
      const cls = r.abnormal ? "abnormal" : r.category ? "ok" : "none";
      const cat = el("td");
      cat.append(el("span", {class: "cat " + cls, "data-category": r.category || ""}, r.category_words || "—"));
      tr.append(name, el("td", {class: "value", "data-value": String(data.results[r.key].value)}, r.text), cat,
                el("td", {class: "ranges"}, r.ranges));
      body.append(tr);
    }
    table.append(body);
    div.append(table);
    root.append(div);
  }
  for (const [heading, items] of data.missing) {  // by name, inputs in words (reporting/assessment.py)
    const d = el("details");
    d.append(el("summary", {}, heading));
    const ul = el("ul");
    for (const r of items) ul.append(el("li", {"data-key": r.key}, `${r.name}: ${r.why}`));
    d.append(ul);
    root.append(d);
  }
  $("assessment-section").hidden = false;
}

// ---------------------------------------------------------------- projection
function planScenario() {
  const w = Number($("c-weight").value), a = Number($("c-activity").value), m = $("c-metformin").checked;
  const iv = [];
  if (w > 0) iv.push({type: "weight_loss", start_year: 0, percent: w, over_months: 6, then: "maintain"});
  if (a > 0) iv.push({type: "physical_activity", start_year: 0, minutes_per_week: a});
  if (m) iv.push({type: "metformin", start_year: 0, mg_per_day: 1700});
  const drug = $("c-medicine").value;
  if (drug) iv.push({...JSON.parse(drug), start_year: 0});
  return iv.length ? [{name: "your plan", interventions: iv}] : [];
}

function simulateBody() {
  const meas = currentProfile ? currentProfile.labs.map((l) => ({year: l.year, field: l.field, value: l.value, unit: l.unit})) : [];
  return {person: lastPerson, years: Number($("c-years").value), scenarios: planScenario(), measurements: meas,
          chances: true, profile_id: currentProfile ? currentProfile.id : null};
}

// Plotly chart with the layout's height pinned on its div: responsive resizing sizes the plot to the div, which
// otherwise collapses to 0 px when the window narrows.
function draw(div, data, layout) {
  if (layout.height) div.style.height = layout.height + "px";
  // phones: no toolbar (it would sit over the chart's title); elsewhere it shows on hover
  return Plotly.react(div, data, layout, {responsive: true, displaylogo: false,
                                          displayModeBar: window.innerWidth <= 640 ? false : "hover"});
}

let simSeq = 0;
async function project() {
  if (!lastPerson) return;
  const seq = ++simSeq;
  $("busy").textContent = "projecting…";
  if ($("explain-result").childElementCount) $("explain-busy").textContent = "Person, plan or years changed: press Explain to update.";
  const body = simulateBody();
  const r = await api("POST", "/api/simulate", {...body, figures: true});
  if (seq !== simSeq) return;  // a newer request is on its way
  $("busy").textContent = "";
  if (!r.ok) { showProblems(r.data.problems || [{field: "projection", message: r.data.detail}]); return; }
  shownBody = body;
  markStale();
  $("where-section").hidden = false;
  $("projection-section").hidden = false;
  $("explain-section").hidden = false;
  draw($("where-chart"), r.data.figures.where.data, r.data.figures.where.layout);
  drawPanels($("projection-chart"), r.data.figures.projection);
  drawPanels($("fan-chart"), r.data.figures.fan || []);
  renderSummary(r.data);
  renderChances(r.data.chances);
}

function drawPanels(box, figs) {
  while (box.children.length > figs.length) { Plotly.purge(box.lastChild); box.lastChild.remove(); }
  while (box.children.length < figs.length) box.append(el("div", {class: "panel"}));
  figs.forEach((f, i) => draw(box.children[i], f.data, f.layout));
}

// "about 12 in 100" (as the report words it: reporting/report.py in_100)
const in100 = (p) => { const n = Math.round(100 * p); return n === 0 ? "fewer than 1 in 100" : `about ${n} in 100`; };
const shownScenario = (s) => (s === "baseline" ? "untreated (no change)" : s);

function renderChances(ch) {
  if (!ch || !ch.events.length) { $("chances").replaceChildren(); $("chances-note").textContent = ""; return; }
  $("chances-note").textContent = ch.note;
  const scenarios = Object.keys(ch.events[0].by);
  const t = el("table", {id: "chances-table"});
  const head = el("tr");
  head.append(el("th", {}, "chance for people like you"), ...scenarios.map((s) => el("th", {}, shownScenario(s))));
  t.append(el("thead"));
  t.firstChild.append(head);
  const body = el("tbody");
  for (const y of ch.years) {
    const tr = el("tr");
    tr.append(el("th", {colspan: String(1 + scenarios.length)}, `within ${y} years`));
    body.append(tr);
    for (const ev of ch.events) {
      const row = el("tr", {"data-event": ev.event, "data-year": y});
      row.append(el("td", {}, ev.label), ...scenarios.map((s) => el("td", {"data-p": String(ev.by[s][y])}, in100(ev.by[s][y]))));
      body.append(row);
    }
  }
  t.append(body);
  $("chances").replaceChildren(t);
}

function renderSummary(data) {
  const cols = [["hba1c_percent", "HbA1c (%)", 2], ["fasting_glucose_mmol_l", "fasting glucose (mmol/L)", 2],
                ["weight_kg", "weight (kg)", 1]];
  const t = el("table", {id: "summary-table"});
  const head = el("tr");
  head.append(el("th", {}, `after ${data.years} years`), ...cols.map((c) => el("th", {}, c[1])), el("th", {}, "status"));
  t.append(el("thead"));
  t.firstChild.append(head);
  const body = el("tbody");
  for (const name of data.scenarios) {
    const tr = el("tr", {"data-scenario": name});
    const tr_ = data.trajectory[name], last = tr_.year.length - 1;
    tr.append(el("td", {}, shownScenario(name)));
    for (const [c, , d] of cols) tr.append(el("td", {"data-col": c, "data-value": String(tr_[c][last])}, tr_[c][last].toFixed(d)));
    tr.append(el("td", {"data-col": "glycemic_status"}, tr_.glycemic_status[last]));
    body.append(tr);
  }
  t.append(body);
  $("summary").replaceChildren(t);
  $("assumed").textContent = data.assumed.length ? "Assumed (not in your data): " + data.assumed.join("; ") : "";
}

async function downloadReport() {
  const r = await fetch("/api/report", {method: "POST", headers: {"Content-Type": "application/json"},
                                        body: JSON.stringify(shownBody || simulateBody())});
  if (!r.ok) { $("busy").textContent = "report failed"; return; }
  const a = el("a", {href: URL.createObjectURL(await r.blob()), download: "irsim-report.html"});
  document.body.append(a); a.click(); a.remove();
}

// ---------------------------------------------------------------- why (explain)
// 3 significant digits, as the server's sentences (exponent below 0.001)
const sig3 = (x) => (x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(3))));
const pct1 = (x) => x.toFixed(1) + " %";
const UNITS = [["_percent", "%"], ["_mmol_l", "mmol/L"], ["_ml_min", "mL/min/1.73 m²"]];
const unitOf = (column) => (UNITS.find(([s]) => column.endsWith(s)) || [, ""])[1];
const changeUnit = (unit) => (unit === "%" ? "% points" : unit);  // a change of a percentage
const contributionTitle = (unit) => `contribution${unit ? ` (${changeUnit(unit)})` : ""}`;
const QUANTITIES = {fasting_glucose_mmol_l: "fasting glucose", glucose_2h_mmol_l: "2-h glucose"};
const readableColumn = (c) => (c === "hba1c_percent" ? "HbA1c" : QUANTITIES[c] || c.replaceAll("_", " "));

function explainBody() {
  return {person: lastPerson, outcome: $("explain-outcome").value, years: Number($("c-years").value),
          scenario: planScenario()[0] || null};
}

let explainSeq = 0;
async function explain(ev) {
  if (ev) ev.preventDefault();
  if (!lastPerson) return;
  const seq = ++explainSeq;
  $("explain-run").disabled = true;
  $("explain-busy").textContent = "explaining… (a few seconds)";
  $("explain-error").textContent = "";
  const r = await api("POST", "/api/explain", explainBody()).catch((e) => ({ok: false, data: {detail: String(e)}}));
  if (seq !== explainSeq) return;
  $("explain-run").disabled = false;
  $("explain-busy").textContent = "";
  if (!r.ok) {
    const d = r.data || {};
    $("explain-error").textContent = d.problems ? d.problems.map((p) => p.message).join(" ") : (d.detail || `error ${r.status}`);
    $("explain-result").replaceChildren();
    return;
  }
  renderExplain(r.data, $("explain-outcome").selectedOptions[0].textContent);
}

function contributionTable(rows, nameKey, caption, unit) {
  const t = el("table", {class: "explain"});
  t.append(el("caption", {}, caption));
  const head = el("tr");
  head.append(el("th", {scope: "col"}, nameKey === "label" ? "pathway" : "tissue"),
              el("th", {scope: "col", class: "num"}, contributionTitle(unit)),
              el("th", {scope: "col", class: "num"}, "share"));
  t.append(el("thead"));
  t.tHead.append(head);
  const body = el("tbody");
  for (const row of rows) {
    const tr = el("tr", {"data-key": row.pathway || row.tissue});
    tr.append(el("th", {scope: "row"}, row[nameKey]),
              el("td", {class: "num contribution", "data-value": String(row.contribution)}, sig3(row.contribution)),
              el("td", {class: "num share", "data-value": String(row.share_percent)}, pct1(row.share_percent)));
    body.append(tr);
  }
  t.append(body);
  return t;
}

function renderExplain(d, name) {
  const unit = d.kind === "hazard" ? "" : d.kind === "onset" ? "years" : unitOf(d.column);
  const root = $("explain-result");
  const summary = d.kind === "hazard"
    ? `Chance of ${name} within ${d.years} years on the projected path: ${in100(-Math.expm1(-d.total))} (cumulative hazard ${sig3(d.total)}). Each pathway's share is how much of it the pathway adds.`
    : d.kind === "onset" && d.onset_year !== null
    ? `Type 2 diabetes from year ${sig3(d.onset_year)} in this projection: ${sig3(d.total)} of ${d.years} years with diabetes. Each pathway's share is how much earlier it brings the onset.`
    : d.kind === "onset"
    ? `${d.outcome_note}: ${sig3(d.total)} expected years with diabetes within ${d.years} years. Each pathway's share is how much earlier, on average, it brings the onset.`
    : `${d.outcome_note ? "Type 2 diabetes: " + d.outcome_note + ". " : ""}${readableColumn(d.column)}: ${sig3(d.start)} → ${sig3(d.start + d.total)} ${unit} over ${d.years} years (change ${d.total > 0 ? "+" : ""}${sig3(d.total)} ${changeUnit(unit)}).`;
  const chart = el("div", {id: "explain-chart", class: "chart", role: "img",
                           "aria-label": `Contribution of each pathway to the change in ${name}`});
  root.replaceChildren(el("p", {id: "explain-summary"}, summary), chart,
                       contributionTable(d.pathways, "label", "Contribution of each pathway", unit));
  const ul = el("ul", {id: "explain-sentences"});
  for (const p of d.pathways) ul.append(el("li", {}, p.sentence));
  root.append(ul);
  for (const [q, rows] of Object.entries(d.tissues)) {
    root.append(contributionTable(rows, "tissue", `Muscle, liver and beta cells: change in ${QUANTITIES[q] || q}`, unitOf(q)));
  }
  root.append(el("p", {class: "note"}, d.disclaimer));
  const rows = d.pathways, x = rows.map((p) => p.contribution);
  draw(chart, [{type: "bar", orientation: "h", y: rows.map((p) => p.label), x,
                        marker: {color: x.map((v) => (v >= 0 ? "#1f4e8c" : "#d08a00"))},
                        text: rows.map((p) => pct1(p.share_percent)), textposition: "inside", insidetextanchor: "end",
                        hovertemplate: "%{y}: %{x:.3g}<extra></extra>"}],
               {height: 80 + 30 * rows.length, margin: {l: 10, r: 10, t: 10, b: 40},
                uniformtext: {mode: "hide", minsize: 10},  // a share that does not fit its bar is in the table
                xaxis: {title: {text: contributionTitle(unit)}, zeroline: true, zerolinecolor: "#888"},
                yaxis: {automargin: true, autorange: "reversed"}});
}

// ---------------------------------------------------------------- profiles
async function refreshProfiles(select) {
  const r = await api("GET", "/api/profiles");
  const sel = $("profile-select");
  sel.replaceChildren(el("option", {value: ""}, "(none)"), ...r.data.map((p) => el("option", {value: p.id}, `${p.name} (${p.baseline_date})`)));
  if (select) sel.value = String(select);
}

function status(text) { $("profile-status").textContent = text; }

async function saveProfile() {
  const name = $("profile-name").value.trim();
  if (!name) { status("Give the profile a name first."); $("profile-name").focus(); return; }
  const body = {name, person: personFromForm()};
  if ($("profile-date").value) body.baseline_date = $("profile-date").value;
  const r = currentProfile && currentProfile.name === name
    ? await api("PUT", `/api/profiles/${currentProfile.id}`, body) : await api("POST", "/api/profiles", body);
  if (!r.ok) { showProblems((r.data.problems || []).map((p) => ({...p, field: p.field.replace(/^person\./, "")}))); status("Not saved: see the messages."); return; }
  setProfile(r.data);
  await refreshProfiles(r.data.id);
  status(`Saved profile “${r.data.name}”.`);
}

function setProfile(p) {
  currentProfile = p;
  $("profile-name").value = p ? p.name : "";
  $("profile-date").value = p ? p.baseline_date : "";
  $("labs-section").hidden = !p;
  renderLabs();
}

async function loadProfile() {
  const id = $("profile-select").value;
  if (!id) return;
  const r = await api("GET", `/api/profiles/${id}`);
  if (!r.ok) { status(r.data.detail); return; }
  setProfile(r.data);
  fillForm(r.data.person);
  status(`Loaded profile “${r.data.name}”.`);
  await run();
}

async function deleteProfile() {
  const id = $("profile-select").value;
  if (!id || !confirm("Delete this profile and all of its lab results?")) return;
  await api("DELETE", `/api/profiles/${id}`);
  if (currentProfile && String(currentProfile.id) === id) setProfile(null);
  await refreshProfiles();
  status("Profile deleted.");
}

function exportProfile() {
  const id = $("profile-select").value;
  if (id) window.location.href = `/api/profiles/${id}/export`;
}

function renderLabs() {
  const body = $("lab-table").querySelector("tbody");
  body.replaceChildren();
  for (const l of currentProfile ? currentProfile.labs : []) {
    const tr = el("tr");
    const del = el("button", {type: "button", "aria-label": `delete ${l.field} of ${l.measured_on}`}, "Delete");
    del.addEventListener("click", async () => {
      await api("DELETE", `/api/profiles/${currentProfile.id}/labs/${l.id}`);
      currentProfile.labs = currentProfile.labs.filter((x) => x.id !== l.id);
      renderLabs(); project();
    });
    const td = el("td"); td.append(del);
    tr.append(el("td", {}, l.measured_on), el("td", {}, l.field), el("td", {}, `${l.value} ${l.unit}`), td);
    body.append(tr);
  }
}

async function addLab(ev) {
  ev.preventDefault();
  const ftIn = $("lab-unit").value === FT_IN;
  const body = {measured_on: $("lab-date").value, field: $("lab-field").value,
                value: ftIn ? inches($("lab-value").value) : Number($("lab-value").value), unit: ftIn ? "in" : $("lab-unit").value};
  const r = await api("POST", `/api/profiles/${currentProfile.id}/labs`, body);
  if (!r.ok) { $("err-lab").textContent = (r.data.problems || []).map((p) => `${p.field}: ${p.message}`).join(" "); return; }
  $("err-lab").textContent = "";
  currentProfile.labs.push(r.data);
  currentProfile.labs.sort((a, b) => a.measured_on.localeCompare(b.measured_on));
  renderLabs(); project();
}

// ---------------------------------------------------------------- wiring
async function run() { if (await assess()) await project(); }

// The server compiles its models once at start-up: say so instead of a silent first wait.
async function warmingUp() {
  const WAIT = "warming up the models (the first start compiles them, about half a minute)…";
  for (;;) {
    const r = await api("GET", "/api/status");
    if (!r.ok || r.data.ready) { if ($("busy").textContent === WAIT) $("busy").textContent = ""; return; }
    if (!$("busy").textContent) $("busy").textContent = WAIT;
    await new Promise((ok) => setTimeout(ok, 1500));
  }
}

async function init() {
  warmingUp();
  FIELDS = (await api("GET", "/api/fields")).data;
  buildForm();
  const live = debounce(assess, 400);
  $("person-form").addEventListener("input", live);
  $("person-form").addEventListener("change", live);
  $("person-form").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("load-example").addEventListener("click", async () => { fillForm((await api("GET", "/static/example-person.json")).data); run(); });
  const reproject = debounce(project, 350);
  for (const [c, o] of [["c-weight", "o-weight"], ["c-activity", "o-activity"]])
    $(c).addEventListener("input", () => { $(o).textContent = $(c).value; reproject(); });
  $("c-metformin").addEventListener("change", reproject);
  $("c-medicine").addEventListener("change", reproject);
  $("c-years").addEventListener("change", reproject);
  $("report").addEventListener("click", downloadReport);
  $("explain-form").addEventListener("submit", explain);
  $("profile-save").addEventListener("click", saveProfile);
  $("profile-load").addEventListener("click", loadProfile);
  $("profile-delete").addEventListener("click", deleteProfile);
  $("profile-export").addEventListener("click", exportProfile);
  $("lab-form").addEventListener("submit", addLab);
  await refreshProfiles();
  document.body.dataset.ready = "1";
}
document.addEventListener("DOMContentLoaded", init);
