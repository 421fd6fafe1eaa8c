//! `cityrank report`'s page: weights and methods the reader changes, the ranking
//! recomputed in the browser by `cityrank-web` (WebAssembly, inlined).
//!
//! The page holds four blobs: the model (JSON, `#cityrank-model`), the page's own
//! data (JSON, `#cityrank-page`), the normalised tables (base64 of little-endian
//! doubles, `#cityrank-tables`) and the module (base64, `#cityrank-wasm`). Its
//! script instantiates the module, loads the model, reads the scenario from the
//! URL fragment, and recomputes on every change of a slider, a number or a method
//! (the grammar of the fragment is `cityrank_web`'s). For tests and the reader's
//! own scripts, every ranking row carries `data-unit` and `data-rank`;
//! `document.body.dataset` has `ready` (`"1"` once the first ranking is drawn),
//! `readyMs` (when that was, in milliseconds since navigation started),
//! `recomputeMs` (the last recomputation in the module, milliseconds) and
//! `scenario` (the fragment); the event `cityrank:ready` is sent on `document`
//! when the first ranking is drawn; script errors go to `data-errors` as in
//! every report.

use std::fmt::Write as _;

use anyhow::Result;
use base64::Engine as _;

use super::{esc, open_page, script_json};
use crate::interactive::Report;

/// The page module (`tools/build-web.sh`).
pub const WEB_MODULE: &[u8] = include_bytes!("../../assets/cityrank-web.wasm");

/// How many ranking rows the page draws at once on a large ranking (the rest are
/// reached by the search box).
const ROWS_SHOWN: usize = 200;

/// The page of `report`, self-contained (no network).
pub fn report_page(report: &Report) -> Result<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut h = String::new();
    let title = format!("{} — what if?", report.page.title);
    open_page(&mut h, &title);
    let _ = writeln!(h, "<style>{STYLE}{}</style>", super::map::MAP_STYLE);
    let _ = writeln!(
        h,
        "<header><h1>{}</h1>\n<p class=\"note\">Edition <code>{}</code>, {} units. Move a weight or choose another \
         method: the ranking is recomputed in this page by cityrank's own steps (compiled to WebAssembly), with the \
         same numbers as <code>cityrank run</code>. The address of the page keeps your choices: copy it to share them.</p></header>",
        esc(&report.page.title),
        esc(&report.page.edition),
        report.model.units
    );
    let _ = writeln!(h, "<div id=\"problem\" class=\"problem\" role=\"alert\" hidden></div>");
    h.push_str(BODY);
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"cityrank-model\">{}</script>",
        script_json(&report.model)?
    );
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"cityrank-page\">{}</script>",
        script_json(&report.page)?
    );
    if report.page.located {
        h.push_str(&super::map::countries_script());
    }
    let _ = writeln!(
        h,
        "<script type=\"application/octet-stream\" id=\"cityrank-tables\">{}</script>",
        b64.encode(report.model.table_bytes())
    );
    let _ = writeln!(
        h,
        "<script type=\"application/octet-stream\" id=\"cityrank-wasm\">{}</script>",
        b64.encode(WEB_MODULE)
    );
    let _ = writeln!(
        h,
        "<script>\nvar ROWS_SHOWN = {ROWS_SHOWN};\n{}\n{SCRIPT}</script>\n</body>\n</html>",
        super::map::MAP_SCRIPT
    );
    Ok(h)
}

const STYLE: &str = r#"
body { max-width: 1400px; }
.layout { display: grid; grid-template-columns: minmax(260px, 360px) minmax(0, 1fr); gap: 24px; align-items: start; }
#results { min-width: 0; }
.scroll { max-width: 100%; overflow-x: auto; }
.of-index { font-weight: normal; color: #57606a; font-size: 12px; }
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
#controls { position: sticky; top: 8px; max-height: calc(100vh - 16px); overflow-y: auto; padding-right: 8px; }
#controls h2, #results h2 { margin-top: 12px; }
.method label { display: block; margin: 6px 0; }
.method select { max-width: 100%; }
.weight { display: grid; grid-template-columns: minmax(0, 1fr) 5em 3.2em; gap: 2px 6px; align-items: center; margin: 4px 0; }
.weight label { grid-column: 1 / -1; font-size: 13px; }
.weight.depth-1 label { font-weight: 600; }
.weight input[type=range] { width: 100%; }
.weight input[type=number] { width: 5em; box-sizing: border-box; }
.weight .share { font-size: 12px; color: #57606a; text-align: right; font-variant-numeric: tabular-nums; }
.buttons { display: flex; flex-wrap: wrap; gap: 6px; margin: 10px 0; }
#toml { width: 100%; min-height: 7em; font: 12px ui-monospace, monospace; }
.problem { background: #fff1f0; border-left: 4px solid #cf222e; padding: 6px 12px; margin: 8px 0; }
.note { color: #57606a; }
#ranking tbody tr { cursor: pointer; }
#ranking tbody tr.selected { outline: 2px solid #0969da; }
#ranking td.up { color: #1a7f37; } #ranking td.down { color: #cf222e; }
.tier { display: inline-block; white-space: nowrap; padding: 0 6px; border-radius: 8px; color: #fff; font-size: 12px; }
#moves svg { width: 100%; }
#breakdown td.bar { width: 40%; }
#breakdown .fill { height: 10px; background: #0969da; }
"#;

const BODY: &str = r#"<div class="layout">
<aside id="controls" aria-label="Scenario">
<section class="method"><h2>Method</h2>
<label for="normaliser">Normalisation <select id="normaliser"></select></label>
<label for="aggregator">Aggregation <select id="aggregator"></select></label>
</section>
<section><h2>Weights</h2>
<p class="note" id="weights-note">Each weight is relative to its siblings; the percentage is its share among them.</p>
<div id="weights"></div>
</section>
<div class="buttons">
<button type="button" id="reset">Reset to the edition</button>
<button type="button" id="copy-link">Copy link</button>
<button type="button" id="copy-toml">Copy as edition variant</button>
</div>
<label for="toml" id="toml-label">This scenario as an edition variant: add it to the edition file itself (the paths in that file are relative to it); <code>cityrank run EDITION.toml --variant <span id="variant-name">scenario</span></code> then gives these ranks.</label>
<textarea id="toml" readonly></textarea>
</aside>
<section id="results" aria-label="Ranking">
<p id="status" class="note" role="status" aria-live="polite"></p>
<div id="map-section" hidden>
<h2>Map</h2>
<p class="note">A point's colour is its tier, its size its score.</p>
<div class="legend" id="legend"></div>
<div id="map"></div>
<p class="note" id="map-note"></p>
</div>
<h2>Largest moves against the edition</h2>
<div id="moves"></div>
<h2>Ranking</h2>
<label for="search">Find a unit: </label><input type="search" id="search" placeholder="name, id or country">
<p id="shown" class="note"></p>
<div class="scroll"><table id="ranking"><thead></thead><tbody></tbody></table></div>
<h2 id="breakdown-title">Breakdown</h2>
<p class="note">Click a row of the ranking to see its unit's scores under this scenario.</p>
<table id="breakdown"><thead><tr><th scope="col">Node</th><th scope="col">Score</th><th scope="col">Weight among its siblings</th><th scope="col">Score against all units (lowest to highest)</th></tr></thead><tbody></tbody></table>
</section>
</div>
"#;

/// The page's script (after `ROWS_SHOWN`).
const SCRIPT: &str = r##"
(function () {
  'use strict';
  var errors = window.__cityrankErrors;
  var $ = function (id) { return document.getElementById(id); };
  var modelText = $('cityrank-model').textContent;
  var model = JSON.parse(modelText), page = JSON.parse($('cityrank-page').textContent);
  var nodes = model.nodes, units = page.units, n = model.units;
  function text(s) { return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'); }
  function bytes(b64) { var s = atob(b64.trim()), out = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i); return out; }
  // Two decimals as `cityrank run` prints them (Rust's `{:.2}`): the exact value
  // rounded, halves to even (83.125 → 83.12).
  function fmt(x) {
    if (x === null || isNaN(x)) return '—';
    if (!isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (Math.abs(x) >= 1e21) return x.toExponential(3);
    // (JavaScript drops the sign of a negative number that rounds to zero; Rust keeps it.)
    if (x < 0 || Object.is(x, -0)) return '-' + fmt(-x);
    var exact = x.toFixed(20), dot = exact.indexOf('.');
    var s = x.toFixed(2);
    if (/^50*$/.test(exact.slice(dot + 3))) {
      var d = parseInt(exact.charAt(dot + 2), 10);
      if (d % 2 === 0) s = exact.slice(0, dot + 3);
    }
    return s;
  }
  function problem(msg) {
    var p = $('problem');
    if (msg) { p.textContent = msg; p.hidden = false; document.body.dataset.problem = msg; }
    else { p.hidden = true; p.textContent = ''; delete document.body.dataset.problem; }
  }
  // Tier colours in order, from the best tier (green) to the worst (red).
  function tierColour(t) { return cityrankTierColour(t, tierNames.length); }
  // A slider's range shared by siblings (twice the largest sibling weight, at
  // least 1, rounded up to 1, 2 or 5 × a power of ten) and a step of a hundredth
  // of it, so that siblings' sliders compare and values stay short.
  function nice(x) {
    var e = Math.pow(10, Math.floor(Math.log10(x))), m = x / e;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * e;
  }

  var ex = null, enc = new TextEncoder(), dec = new TextDecoder();
  function put(b) { var p = ex.cr_buffer(b.length); new Uint8Array(ex.memory.buffer, p, b.length).set(b); }
  function textOut() { return dec.decode(new Uint8Array(ex.memory.buffer, ex.cr_text_ptr(), ex.cr_text_len())); }
  // An error of the module (a scenario it cannot compute) is marked as such.
  function call(status) { if (status !== 0) { var e = new Error(textOut()); e.fromModule = true; throw e; } }

  var scenario = null, nominal = null, result = null, selected = null;
  // A problem with the address's scenario stays shown until another address is loaded.
  var addressProblem = null;
  var tierNames = model.tiers.names;

  function recompute() {
    var t0 = performance.now();
    put(enc.encode(JSON.stringify({ weights: scenario.weights, normaliser: scenario.normaliser, aggregator: scenario.aggregator })));
    call(ex.cr_recompute());
    var ms = performance.now() - t0;
    var scores = nodes.map(function (nd, p) {
      if (nd.indicator !== null) return null;
      return new Float64Array(ex.memory.buffer, ex.cr_scores_ptr(p), n).slice();
    });
    var ranks = new Uint32Array(ex.memory.buffer, ex.cr_ranks_ptr(), n).slice();
    var tiers = new Int32Array(ex.memory.buffer, ex.cr_tiers_ptr(), n).slice();
    return { scores: scores, ranks: ranks, tiers: tiers, ms: ms };
  }

  // Controls.
  var sliders = {}, numbers = {}, shares = {}, overalls = {};
  function buildControls() {
    var norm = $('normaliser'), aggr = $('aggregator');
    // Each choice with the name a link uses for it (normalise=NAME, aggregate=NAME).
    model.normalisers.forEach(function (c, i) { norm.add(new Option(c.label + ' [' + c.name + ']', String(i))); });
    model.aggregators.forEach(function (a, i) { aggr.add(new Option(a.label + ' [' + a.name + ']', String(i))); });
    norm.disabled = model.normalisers.length < 2; aggr.disabled = model.aggregators.length < 2;
    norm.addEventListener('change', function () { addressProblem = null; scenario.normaliser = +norm.value; update(); });
    aggr.addEventListener('change', function () { addressProblem = null; scenario.aggregator = +aggr.value; update(); });
    if (norm.disabled) norm.title = 'This edition offers one normalisation';
    if (aggr.disabled) aggr.title = 'This edition offers one aggregation';
    if (model.derived_weights) {
      $('weights-note').textContent += ' The edition derives its weights from the data; here they are held at the values it derived.';
    }
    var holder = $('weights');
    // Depth-first: each node after its parent, children in order.
    var order = [];
    (function walk(p) { nodes[p].children.forEach(function (c) { order.push(c); walk(c); }); })(0);
    order.forEach(function (p) {
      var nd = nodes[p], div = document.createElement('div');
      div.className = 'weight depth-' + nd.depth;
      div.style.marginLeft = ((nd.depth - 1) * 14) + 'px';
      var id = 'w-' + p, label = document.createElement('label');
      label.htmlFor = id; label.textContent = nd.name + (nd.name !== nd.id ? ' (' + nd.id + ')' : '');
      var range = document.createElement('input');
      range.type = 'range'; range.id = id; range.min = '0';
      var siblings = nodes[nd.parent].children.map(function (c) { return nodes[c].weight; });
      var top = nice(Math.max(1, 2 * Math.max.apply(null, siblings)));
      range.max = String(top); range.step = String(top / 100);
      range.dataset.node = nd.id;
      range.setAttribute('aria-describedby', 's-' + p);
      var num = document.createElement('input');
      num.type = 'number'; num.min = '0'; num.step = 'any'; num.dataset.node = nd.id;
      num.setAttribute('aria-label', 'Weight of ' + nd.name);
      var share = document.createElement('span'); share.className = 'share'; share.id = 's-' + p;
      share.title = 'Share among its siblings';
      var overall = document.createElement('span'); overall.className = 'of-index'; overall.id = 'e-' + p;
      label.append(' ', overall);
      range.addEventListener('input', function () { addressProblem = null; scenario.weights[p] = parseFloat(range.value); num.value = range.value; update(); });
      num.addEventListener('change', function () {
        var w = parseFloat(num.value);
        if (num.validity.badInput || !(w >= 0) || !isFinite(w)) {
          problem('The weight of ' + nd.name + ' must be a number ≥ 0, with a decimal point (e.g. 0.4).');
          return;
        }
        addressProblem = null; scenario.weights[p] = w; update();
      });
      overalls[p] = overall;
      sliders[p] = range; numbers[p] = num; shares[p] = share;
      div.append(label, range, num, share);
      holder.append(div);
    });
    $('reset').addEventListener('click', function () { addressProblem = null; scenario = copy(nominal); update(); });
    // The link of what is shown (not of an address the page could not read).
    $('copy-link').addEventListener('click', function () {
      var f = document.body.dataset.scenario || '';
      copyText(location.href.replace(/#.*$/, '') + (f ? '#' + f : ''));
    });
    $('copy-toml').addEventListener('click', function () { copyText($('toml').value); });
    $('search').addEventListener('input', function () { drawRanking(); });
    window.addEventListener('hashchange', function () {
      if (addressProblem === null && location.hash.replace(/^#/, '') === (document.body.dataset.scenario || '')) return;
      fromHash(); update(true);
    });
  }
  function copy(s) { return { weights: s.weights.slice(), normaliser: s.normaliser, aggregator: s.aggregator, unit: s.unit || null }; }
  function copyText(t) {
    var failed = function () { $('status').textContent = 'The browser did not allow copying: select the text and copy it yourself.'; };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(t).then(function () { $('status').textContent = 'Copied.'; }, failed);
    } else failed();
  }
  function syncControls() {
    $('normaliser').value = String(scenario.normaliser);
    $('aggregator').value = String(scenario.aggregator);
    Object.keys(sliders).forEach(function (p) {
      var w = scenario.weights[p];
      if (parseFloat(sliders[p].max) < w) sliders[p].max = String(w);
      if (parseFloat(sliders[p].value) !== w) sliders[p].value = String(w);
      if (parseFloat(numbers[p].value) !== w) numbers[p].value = String(w);
      shares[p].textContent = shareOf(+p) === null ? '—' : (100 * shareOf(+p)).toFixed(1) + '%';
      var e = effective(+p);
      overalls[p].textContent = e === null ? '' : '· ' + (100 * e).toFixed(1) + '% of the index';
    });
  }
  // A node's weight as a share of its siblings', and as a share of the index
  // (the product of the shares up the tree), under the scenario.
  function shareOf(p) {
    var sum = 0;
    nodes[nodes[p].parent].children.forEach(function (c) { sum += scenario.weights[c]; });
    return sum > 0 ? scenario.weights[p] / sum : null;
  }
  function effective(p) {
    var e = 1;
    for (var q = p; nodes[q].parent !== null; q = nodes[q].parent) {
      var s = shareOf(q);
      if (s === null) return null;
      e *= s;
    }
    return e;
  }

  // The scenario and the address.
  function scenarioJson(s) { return JSON.stringify({ weights: s.weights, normaliser: s.normaliser, aggregator: s.aggregator, unit: s.unit || undefined }); }
  function fromHash() {
    put(enc.encode(location.hash.replace(/^#/, '')));
    addressProblem = null;
    if (ex.cr_parse_fragment() !== 0) {
      addressProblem = 'The address names a scenario this page cannot show: ' + textOut() + '. Showing the edition instead.';
      scenario = copy(nominal);
      selected = null;
      return;
    }
    var s = JSON.parse(textOut());
    scenario = copy(s);
    selected = s.unit ? units.findIndex(function (u) { return u.id === s.unit; }) : null;
    if (selected !== null && selected < 0) { addressProblem = 'The address names unit "' + s.unit + '", which is not in this ranking.'; selected = null; }
  }
  function writeHash() {
    var s = copy(scenario); s.unit = selected === null ? null : units[selected].id;
    put(enc.encode(scenarioJson(s))); call(ex.cr_fragment());
    var f = textOut();
    document.body.dataset.scenario = f;
    var url = location.href.replace(/#.*$/, '') + (f ? '#' + f : '');
    // An address the page could not read stays as it was (to be corrected in
    // place) until the reader changes something.
    if (url !== location.href && addressProblem === null) { try { history.replaceState(null, '', url); } catch (e) { location.hash = f; } }
    var name = enc.encode(page.variant_name);
    var json = enc.encode(scenarioJson(scenario)), both = new Uint8Array(json.length + name.length);
    both.set(json); both.set(name, json.length);
    put(both); call(ex.cr_variant_toml(name.length));
    $('toml').value = textOut();
    $('toml').textContent = $('toml').value;
  }

  // What the page shows.
  function drawRanking() {
    var q = $('search').value.trim().toLowerCase();
    var order = [];
    for (var u = 0; u < n; u++) order.push(u);
    order.sort(function (a, b) {
      var ra = result.ranks[a] || Infinity, rb = result.ranks[b] || Infinity;
      return ra - rb || a - b;
    });
    if (q) order = order.filter(function (u) {
      var x = units[u]; return (x.name + ' ' + x.id + ' ' + (x.country || '')).toLowerCase().indexOf(q) >= 0;
    });
    var found = order.length;
    order = order.slice(0, ROWS_SHOWN);
    $('shown').textContent = found > order.length ? 'Showing ' + order.length + ' of ' + found + ' units: search to find the others.' : '';
    var pillars = nodes[0].children.filter(function (c) { return nodes[c].indicator === null; });
    var head = '<tr><th scope="col">Rank</th><th scope="col">Change</th><th scope="col">Unit</th><th scope="col">Country</th><th scope="col">Score</th><th scope="col">Tier</th>' +
      pillars.map(function (p) { return '<th scope="col">' + text(nodes[p].name) + '</th>'; }).join('') + '</tr>';
    $('ranking').tHead.innerHTML = head;
    var rows = order.map(function (u) {
      var r = result.ranks[u], was = units[u].rank, t = result.tiers[u];
      var d = (r && was) ? was - r : null;
      var change = d === null ? '<td>—</td>' : d > 0 ? '<td class="num up">▲ ' + d + '</td>' : d < 0 ? '<td class="num down">▼ ' + (-d) + '</td>' : '<td class="num">=</td>';
      var tier = t < 0 ? '—' : '<span class="tier" style="background:' + tierColour(t) + '">' + text(tierNames[t] || t) + '</span>';
      return '<tr tabindex="0" data-unit="' + text(units[u].id) + '" data-rank="' + (r || '') + '" data-score="' + String(result.scores[0][u]) + '" data-index="' + u + '"' + (u === selected ? ' class="selected"' : '') + '>' +
        '<td class="num">' + (r || '—') + '</td>' + change + '<td>' + text(units[u].name) + '</td><td>' + text(units[u].country || '') + '</td>' +
        '<td class="num">' + fmt(result.scores[0][u]) + '</td><td>' + tier + '</td>' +
        pillars.map(function (p) { return '<td class="num">' + fmt(result.scores[p][u]) + '</td>'; }).join('') + '</tr>';
    });
    $('ranking').tBodies[0].innerHTML = rows.join('');
  }
  function drawMoves() {
    var moves = [];
    for (var u = 0; u < n; u++) {
      if (result.ranks[u] && units[u].rank) moves.push({ u: u, d: units[u].rank - result.ranks[u] });
    }
    moves = moves.filter(function (m) { return m.d !== 0; });
    moves.sort(function (a, b) { return Math.abs(b.d) - Math.abs(a.d) || result.ranks[a.u] - result.ranks[b.u]; });
    moves = moves.slice(0, 20).sort(function (a, b) { return b.d - a.d; });
    var holder = $('moves');
    if (moves.length === 0) { holder.innerHTML = '<p class="note">Every unit has its edition rank.</p>'; holder.dataset.bars = '0'; return; }
    var max = Math.max.apply(null, moves.map(function (m) { return Math.abs(m.d); }));
    var rowH = 18, w = 640, mid = 330, half = 150, label = 170;
    var svg = ['<svg viewBox="0 0 ' + w + ' ' + (moves.length * rowH + 24) + '" role="img" aria-label="Rank changes against the edition">'];
    svg.push('<line x1="' + mid + '" x2="' + mid + '" y1="0" y2="' + (moves.length * rowH) + '" stroke="#8c959f"/>');
    moves.forEach(function (m, i) {
      var len = half * Math.abs(m.d) / max, y = i * rowH;
      var x = m.d > 0 ? mid : mid - len;
      svg.push('<rect x="' + x + '" y="' + (y + 3) + '" width="' + Math.max(1, len) + '" height="' + (rowH - 6) + '" fill="' + (m.d > 0 ? '#1a7f37' : '#cf222e') + '"/>');
      var name = units[m.u].name;
      svg.push('<text x="' + (m.d > 0 ? mid - 6 : mid + 6) + '" y="' + (y + rowH - 5) + '" font-size="11" text-anchor="' + (m.d > 0 ? 'end' : 'start') + '">' + text(name.length > 26 ? name.slice(0, 25) + '…' : name) + '</text>');
      svg.push('<text x="' + (m.d > 0 ? mid + len + 4 : mid - len - 4) + '" y="' + (y + rowH - 5) + '" font-size="11" text-anchor="' + (m.d > 0 ? 'start' : 'end') + '">' + (m.d > 0 ? '+' : '') + m.d + '</text>');
    });
    svg.push('<text x="' + mid + '" y="' + (moves.length * rowH + 18) + '" font-size="11" text-anchor="middle" fill="#57606a">places gained (green) or lost (red) against the edition\'s rank</text>');
    svg.push('</svg>');
    holder.innerHTML = svg.join('');
    holder.dataset.bars = String(moves.length);
  }
  // The map (the shared `cityrankMap`): units coloured by tier, sized by score.
  var map = null;
  function buildMap() {
    if (!page.located) return;
    $('map-section').hidden = false;
    var countries = JSON.parse($('cityrank-countries').textContent).countries;
    var points = [];
    units.forEach(function (u, i) { if (u.at) points.push({ index: i, id: u.id, lat: u.at[0], lon: u.at[1] }); });
    map = cityrankMap($('map'), countries, points, {
      label: 'Map of the ranked units, coloured by tier and sized by score',
      tip: function (i) {
        var u = units[i], pillars = nodes[0].children.filter(function (c) { return nodes[c].indicator === null; });
        return '<b>' + text(u.name) + '</b>' + (u.country ? ' (' + text(u.country) + ')' : '') +
          '<br>rank ' + (result.ranks[i] || '—') + ', score ' + fmt(result.scores[0][i]) +
          (result.tiers[i] >= 0 ? ', ' + text(tierNames[result.tiers[i]]) : '') +
          pillars.map(function (p) { return '<br>' + text(nodes[p].name) + ': ' + fmt(result.scores[p][i]); }).join('');
      },
      pick: function (i) { addressProblem = null; selected = i; drawRanking(); drawBreakdown(); drawMap(); writeHash(); }
    });
    var legend = tierNames.map(function (t, k) { return '<span><i style="background:' + tierColour(k) + '"></i>' + text(t) + '</span>'; });
    $('legend').innerHTML = legend.join('') + '<span><i style="background:' + tierColour(-1) + ';outline:1px solid #8c959f"></i>no tier</span>';
    var missing = n - points.length;
    $('map-note').textContent = missing > 0 ? missing + ' of ' + n + ' units have no coordinates and are not on the map.' : '';
  }
  function drawMap() {
    if (!map) return;
    var lo = Infinity, hi = -Infinity;
    for (var i = 0; i < n; i++) { var v = result.scores[0][i]; if (!isNaN(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
    map.update(
      function (i) { return tierColour(result.tiers[i]); },
      function (i) { var v = result.scores[0][i]; return isNaN(v) || hi === lo ? NaN : (v - lo) / (hi - lo); },
      selected
    );
  }
  function drawBreakdown() {
    var body = $('breakdown').tBodies[0];
    if (selected === null) { body.innerHTML = ''; $('breakdown-title').textContent = 'Breakdown'; return; }
    var u = selected, rows = [];
    $('breakdown-title').textContent = 'Breakdown: ' + units[u].name + ' (rank ' + (result.ranks[u] || '—') + ')';
    var table = null;
    (function walk(p) {
      var nd = nodes[p], v;
      if (nd.indicator !== null) {
        v = indicatorValue(nd.indicator, u);
      } else v = result.scores[p][u];
      var share = '';
      if (nd.parent !== null) {
        var sum = 0; nodes[nd.parent].children.forEach(function (c) { sum += scenario.weights[c]; });
        share = sum > 0 ? (100 * scenario.weights[p] / sum).toFixed(1) + '%' : '—';
      }
      // The bar places the score between the lowest and the highest of all units.
      var lo = Infinity, hi = -Infinity, col = nd.indicator !== null ? indicatorColumn(nd.indicator) : result.scores[p];
      for (var k = 0; k < n; k++) {
        var x = col ? col[k] : NaN;
        if (!isNaN(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
      }
      var width = isNaN(v) ? 0 : hi > lo ? 100 * (v - lo) / (hi - lo) : 50;
      var shown = isNaN(v) ? '<td class="num" title="missing: its weight is spread over its siblings">missing</td>' : '<td class="num">' + fmt(v) + '</td>';
      rows.push('<tr><td style="padding-left:' + (6 + nd.depth * 14) + 'px">' + text(nd.name) + '</td>' + shown + '<td class="num">' + share + '</td><td class="bar"><div class="fill" style="width:' + width.toFixed(1) + '%"></div></td></tr>');
      nd.children.forEach(walk);
    })(0);
    body.innerHTML = rows.join('');
  }
  function indicatorColumn(i) {
    var p = ex.cr_indicator_ptr(i);
    return p === 0 ? null : new Float64Array(ex.memory.buffer, p, n);
  }
  function indicatorValue(i, u) {
    var c = indicatorColumn(i);
    return c === null ? NaN : c[u];
  }

  var lastGood = null;
  function update(fromAddress) {
    try {
      result = recompute();
      problem(addressProblem);
    } catch (e) {
      if (!e.fromModule) throw e;
      // Back to the last scenario that could be computed (the edition's, for an
      // address), so that what is shown, the controls, the link and the variant
      // agree.
      var why = 'This scenario cannot be computed: ' + e.message + '.';
      if (fromAddress || lastGood === null) {
        addressProblem = why + ' Showing the edition instead.';
        scenario = copy(nominal);
      } else {
        addressProblem = null;
        scenario = copy(lastGood);
      }
      result = recompute();
      problem(addressProblem === null ? why + ' The last scenario that could be computed is shown.' : addressProblem);
    }
    lastGood = copy(scenario);
    syncControls();
    drawRanking(); drawMoves(); drawBreakdown(); drawMap();
    writeHash();
    $('status').textContent = 'Recomputed ' + n + ' units in ' + result.ms.toFixed(1) + ' ms.';
    document.body.dataset.recomputeMs = String(result.ms);
  }

  // A row (clicked, or Enter/Space when focused) shows its unit's breakdown.
  function pick(tr) {
    addressProblem = null;
    selected = +tr.dataset.index;
    drawRanking(); drawBreakdown(); drawMap(); writeHash();
    var again = document.querySelector('#ranking tr[data-index="' + selected + '"]');
    if (again) again.focus();
  }
  $('ranking').addEventListener('click', function (e) {
    var tr = e.target.closest('tr[data-index]');
    if (tr) pick(tr);
  });
  $('ranking').addEventListener('keydown', function (e) {
    var tr = e.target.closest('tr[data-index]');
    if (tr && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); pick(tr); }
  });

  var raw = bytes($('cityrank-tables').textContent);
  WebAssembly.instantiate(bytes($('cityrank-wasm').textContent), {}).then(function (m) {
    ex = m.instance.exports;
    var modelBytes = enc.encode(modelText), all = new Uint8Array(modelBytes.length + raw.length);
    all.set(modelBytes); all.set(raw, modelBytes.length);
    put(all);
    call(ex.cr_load(modelBytes.length, raw.length));
    nominal = { weights: nodes.map(function (nd) { return nd.weight; }), normaliser: 0, aggregator: 0, unit: null };
    $('variant-name').textContent = page.variant_name;
    buildControls();
    fromHash();
    result = { scores: [], ranks: [], tiers: [] };
    buildMap();
    update(true);
    document.body.dataset.readyMs = String(performance.now());
    document.body.dataset.ready = '1';
    document.dispatchEvent(new Event('cityrank:ready'));
  }).catch(function (e) {
    errors.push(String(e && e.stack || e));
    problem('The page could not start: ' + e.message);
    document.documentElement.dataset.errors = errors.join('\n');
    document.body.dataset.errors = errors.join('\n');
  });
})();
"##;
