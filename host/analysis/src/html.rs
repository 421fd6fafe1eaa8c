//! Self-contained HTML reports (no network, no other files): tables rendered here
//! and charts drawn in the browser by Apache ECharts, embedded inline from
//! `host/analysis/assets/` (see `host/analysis/assets/PROVENANCE.md`).
//!
//! Every report is built the same way, by the helpers of this module. The data go
//! in as one JSON blob (`<script type="application/json" id="cityrank-data">`),
//! whose `charts` lists the charts to draw (`{id, kind, …}`, one container
//! `<div class="chart">` each). The page collects script errors (`window.onerror`)
//! into `data-errors` on `<html>` and `<body>`, and after rendering sets
//! `document.body.dataset.charts` to the number of charts drawn, so that a
//! headless browser can check the report (see `tests/html_report.rs`), and
//! `document.body.dataset.renderedMs` to the page's time (`performance.now()`,
//! milliseconds since navigation started) when every chart has been drawn and
//! every table built (`cityrank bench` reads it).
//!
//! Reports on more than [`SUMMARY_ABOVE_UNITS`] units (a global ranking of every
//! city on Earth has about 13,000) summarise instead of drawing every unit: the
//! per-unit charts show the top and bottom [`SUMMARY_TOP`] units (or the units
//! the reader picks by id or name in a text box), distributions are drawn as
//! histograms or binned densities, and every unit is listed in a searchable table
//! built in the browser, [`SUMMARY_PAGE_ROWS`] rows a page, from a compact
//! column-wise copy of the data. The page says what is summarised and why. Smaller
//! reports draw every unit, as they always have.
//!
//! Reports:
//! - `cityrank compare --format html` ([`compare_report`]): scores by tier, a bump
//!   chart of ranks, a scatter of two methods' scores, each method's framework
//!   tree and its units' breakdown by pillar.
//! - `cityrank sensitivity --format html` ([`sensitivity_report`]): rank intervals,
//!   Sobol indices, tier stability and leave-one-out rank shifts.
//! - `cityrank document --format html` ([`document_report`]): the methodology
//!   appendix with its framework drawn as a sunburst.
//! - `cityrank experts --format html` ([`experts_report`]): each node's experts'
//!   weights as strip plots beside the panel's.

mod compare;
mod document;
mod experts;
mod map;
mod report;
mod sensitivity;

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use serde::Serialize;

pub use compare::{MethodCharts, chart_count, compare_report};
pub use document::document_report;
pub use experts::experts_report;
pub use map::coordinates;
pub use report::{WEB_MODULE, report_page};
pub use sensitivity::{sensitivity_chart_count, sensitivity_report};

/// Reports on more units than this summarise (see the module documentation). The
/// detailed charts draw a line, a bar and a label per unit, in SVG: at 500 units
/// (200 indicators, two methods) the detailed comparison still opens in about
/// 1.5 s in headless Chromium, but its per-unit labels no longer fit the page, and
/// at 13,000 units it took about 20 s. The LAS (62 cities) and ASEM (51 countries)
/// reports stay well below it.
pub const SUMMARY_ABOVE_UNITS: usize = 500;

/// How many units a summarised report's per-unit charts show from each end of the
/// ranking (the top and the bottom `SUMMARY_TOP`), by default.
pub const SUMMARY_TOP: usize = 25;

/// Rows a page of a summarised report's table of units.
pub const SUMMARY_PAGE_ROWS: usize = 100;

/// Whether a report on `units` units summarises (more than [`SUMMARY_ABOVE_UNITS`]).
pub fn summarises(units: usize) -> bool {
    units > SUMMARY_ABOVE_UNITS
}

/// What a summarised report passes to its script (`data.summary`): the number of
/// units, how many each per-unit chart shows from each end, and the rows a page.
#[derive(Debug, Clone, Copy, Serialize)]
struct Summary {
    units: usize,
    top: usize,
    page_rows: usize,
}

impl Summary {
    /// The summary of a report on `units` units, if it summarises.
    fn of(units: usize) -> Option<Summary> {
        summarises(units).then_some(Summary {
            units,
            top: SUMMARY_TOP,
            page_rows: SUMMARY_PAGE_ROWS,
        })
    }
}

/// `x` rounded to `d` decimals (for the compact data of summarised reports; the
/// pages show fewer).
fn round_to(x: Option<f64>, d: i32) -> Option<f64> {
    let f = 10f64.powi(d);
    x.map(|x| (x * f).round() / f)
}

/// The chart library, inlined into every report.
const ECHARTS: &str = include_str!("../assets/echarts.min.js");

/// The runtime shared by every report's script: it parses the data blob, draws
/// each chart of `data.charts` with the function that `kinds` maps its kind to
/// (through `draw`, which counts the charts drawn and records errors), and
/// publishes the count and the errors on the page. The `//@…` lines are replaced
/// by the report's own code (see [`Script`]).
const RUNTIME: &str = r#"
(function () {
  'use strict';
  var errors = window.__cityrankErrors;
  var data = JSON.parse(document.getElementById('cityrank-data').textContent);
  //@data
  var rendered = 0;

  function round(x, d) { var f = Math.pow(10, d); return Math.round(x * f) / f; }
  function text(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  // Functions to run after the charts are drawn (tables, pickers), before the page
  // publishes its counts.
  var after = [];
  //@helpers
  // Marks chart container `id` with the number of units it draws.
  function shown(id, n) { var el = document.getElementById(id); if (el) el.dataset.units = String(n); }

  // A round bin width (1, 2 or 5 × 10^k) of about `raw`.
  function niceWidth(raw) {
    if (!(raw > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  // A histogram of `values` in about `target` bins of a round width (at least 1
  // when `integer`): {start, width, bins: [{lo, hi, count}]}, each bin [lo, hi).
  function histogram(values, target, integer) {
    if (values.length === 0) return { start: 0, width: 1, bins: [] };
    var lo = Infinity, hi = -Infinity;
    values.forEach(function (v) { if (v < lo) lo = v; if (v > hi) hi = v; });
    var width = niceWidth((hi - lo) / target);
    if (integer) width = Math.max(1, Math.round(width));
    var start = Math.floor(lo / width) * width;
    var n = Math.floor((hi - start) / width) + 1;
    var bins = [];
    for (var k = 0; k < n; k++) bins.push({ lo: round(start + k * width, 6), hi: round(start + (k + 1) * width, 6), count: 0 });
    var h = { start: start, width: width, bins: bins };
    values.forEach(function (v) { bins[binOf(h, v)].count += 1; });
    return h;
  }

  // The bin of histogram `h` that holds `v` (clamped: rounding can put a value at
  // either end a hair outside).
  function binOf(h, v) { return Math.max(0, Math.min(h.bins.length - 1, Math.floor((v - h.start) / h.width))); }

  // The label of bin `b` of a histogram of `width`: its integers (`integer`) or
  // its interval.
  function binLabel(b, width, integer) {
    if (integer) return width === 1 ? String(b.lo) : b.lo + ' to ' + (b.hi - 1);
    return '[' + b.lo + ', ' + b.hi + ')';
  }

  // A text box (in container `holderId`) to pick the units of the per-unit charts
  // by id or name, comma-separated (exact, case-insensitive; empty: `defaults`);
  // calls `onPick(units)` with the units found, in the order given, and says
  // which were not found.
  function unitPicker(holderId, list, defaults, onPick) {
    var holder = document.getElementById(holderId);
    if (!holder) { errors.push('no picker container #' + holderId); return; }
    var index = {};
    list.forEach(function (u, i) {
      var id = String(u.id).toLowerCase(), name = String(u.name).toLowerCase();
      if (!(id in index)) index[id] = i;
      if (!(name in index)) index[name] = i;
    });
    var label = document.createElement('label'), input = document.createElement('input');
    var button = document.createElement('button'), status = document.createElement('span');
    input.type = 'text'; input.id = holderId + '-input'; input.size = 50;
    input.placeholder = 'e.g. ' + list.slice(0, 2).map(function (u) { return u.id; }).join(', ');
    label.htmlFor = input.id;
    label.textContent = 'Units to show (ids or names, comma-separated; empty for the default): ';
    button.type = 'button'; button.id = holderId + '-show'; button.textContent = 'Show';
    status.id = holderId + '-status'; status.className = 'note'; status.setAttribute('role', 'status');
    var apply = function () {
      var terms = input.value.split(',').map(function (t) { return t.trim(); }).filter(function (t) { return t.length > 0; });
      if (terms.length === 0) { onPick(defaults); status.textContent = ' showing the default ' + defaults.length + ' units'; return; }
      var picked = [], missing = [];
      terms.forEach(function (t) {
        var i = index[t.toLowerCase()];
        if (i === undefined) missing.push(t); else if (picked.indexOf(list[i]) < 0) picked.push(list[i]);
      });
      if (picked.length > 0) onPick(picked);
      status.textContent = ' showing ' + (picked.length > 0 ? picked.length : 'the same') + ' units' +
        (missing.length > 0 ? '; not found: ' + missing.join(', ') : '');
    };
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); apply(); } });
    button.addEventListener('click', apply);
    holder.append(label, input, ' ', button, status);
  }

  // A table in container `o.id` (named `o.name`) of `o.rows`, `o.pageSize` rows a
  // page, with a search box (labelled `o.searchLabel`; a substring of
  // `o.key(row)`, case-insensitive) and page controls, all labelled and usable
  // from the keyboard. `o.columns`: [{label, num, cell(row) → text}]. The
  // container's `data-rows`, `data-page` and `data-pages` give the rows found, the
  // page shown and the number of pages.
  function pagedTable(o) {
    var id = o.id, rows = o.rows, columns = o.columns, pageSize = o.pageSize;
    var root = document.getElementById(id);
    if (!root) { errors.push('no table container #' + id); return; }
    var keys = rows.map(function (r) { return o.key(r).toLowerCase(); });
    var found = rows.map(function (_, i) { return i; }), page = 0;
    var bar = document.createElement('div'); bar.className = 'paged-bar';
    var search = document.createElement('input'), searchLab = document.createElement('label');
    search.type = 'search'; search.id = id + '-search'; search.setAttribute('aria-controls', id + '-table');
    searchLab.htmlFor = search.id; searchLab.textContent = o.searchLabel;
    var prev = document.createElement('button'), next = document.createElement('button');
    prev.type = 'button'; prev.id = id + '-prev'; prev.textContent = '‹ Previous'; prev.setAttribute('aria-controls', id + '-table');
    next.type = 'button'; next.id = id + '-next'; next.textContent = 'Next ›'; next.setAttribute('aria-controls', id + '-table');
    var pageIn = document.createElement('input'), pageLab = document.createElement('label'), of = document.createElement('span');
    pageIn.type = 'number'; pageIn.id = id + '-page'; pageIn.min = '1'; pageIn.style.width = '5em';
    pageLab.htmlFor = pageIn.id; pageLab.textContent = 'Page';
    var status = document.createElement('span'); status.id = id + '-status'; status.className = 'note';
    status.setAttribute('role', 'status'); status.setAttribute('aria-live', 'polite');
    bar.append(searchLab, search, prev, pageLab, pageIn, of, next, status);
    var table = document.createElement('table'); table.id = id + '-table';
    table.setAttribute('aria-label', o.name);
    var head = '<thead><tr>' + columns.map(function (c) { return '<th scope="col">' + text(c.label) + '</th>'; }).join('') + '</tr></thead>';
    table.innerHTML = head + '<tbody></tbody>';
    var body = table.tBodies[0];
    root.append(bar, table);
    var pages = function () { return Math.max(1, Math.ceil(found.length / pageSize)); };
    var render = function () {
      page = Math.max(0, Math.min(page, pages() - 1));
      var from = page * pageSize, to = Math.min(found.length, from + pageSize), html = [];
      for (var k = from; k < to; k++) {
        var r = rows[found[k]];
        html.push('<tr>' + columns.map(function (c) {
          return (c.num ? '<td class="num">' : '<td>') + text(c.cell(r)) + '</td>';
        }).join('') + '</tr>');
      }
      body.innerHTML = html.join('');
      pageIn.value = String(page + 1); pageIn.max = String(pages());
      of.textContent = 'of ' + pages();
      prev.disabled = page === 0; next.disabled = page >= pages() - 1;
      status.textContent = found.length === 0 ? 'no unit matches' :
        'rows ' + (from + 1) + '–' + to + ' of ' + found.length + (found.length < rows.length ? ' found (of ' + rows.length + ')' : '');
      root.dataset.rows = String(found.length); root.dataset.page = String(page + 1); root.dataset.pages = String(pages());
    };
    search.addEventListener('input', function () {
      var q = search.value.trim().toLowerCase();
      found = [];
      keys.forEach(function (k, i) { if (q === '' || k.indexOf(q) >= 0) found.push(i); });
      page = 0; render();
    });
    prev.addEventListener('click', function () { page -= 1; render(); });
    next.addEventListener('click', function () { page += 1; render(); });
    pageIn.addEventListener('change', function () { var p = parseInt(pageIn.value, 10); if (!isNaN(p)) page = p - 1; render(); });
    render();
  }

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { errors.push('no chart container #' + id); return null; }
    try {
      var chart = echarts.init(el, null, { renderer: 'svg' });
      option.animation = false;
      chart.setOption(option);
      rendered += 1;
      el.setAttribute('data-rendered', 'true');
      return chart;
    } catch (e) {
      errors.push(id + ': ' + (e && e.message ? e.message : String(e)));
      return null;
    }
  }

  //@charts
  data.charts.forEach(function (spec) {
    var f = kinds[spec.kind];
    if (!f) { errors.push('unknown chart kind ' + spec.kind); return; }
    // One chart's error does not stop the others (the charts drawn by the library
    // are guarded by `draw`; the maps draw themselves).
    try { f(spec); } catch (e) { errors.push(spec.id + ': ' + (e && e.message ? e.message : String(e))); }
  });
  after.forEach(function (f) {
    try { f(); } catch (e) { errors.push('after the charts: ' + (e && e.message ? e.message : String(e))); }
  });
  window.addEventListener('resize', function () {
    document.querySelectorAll('.chart').forEach(function (el) { var c = echarts.getInstanceByDom(el); if (c) c.resize(); });
  });
  document.body.dataset.charts = String(rendered);
  document.body.dataset.renderedMs = String(Math.round(performance.now()));
  document.body.dataset.errors = JSON.stringify(errors);
  document.documentElement.dataset.errors = JSON.stringify(errors);
})();
"#;

/// Collects script errors from the very start (before the chart library loads).
const ERROR_COLLECTOR: &str = r#"
window.__cityrankErrors = [];
window.onerror = function (message, source, line, column) {
  window.__cityrankErrors.push(String(message) + (line ? ' (line ' + line + ':' + column + ')' : ''));
  var text = JSON.stringify(window.__cityrankErrors);
  document.documentElement.dataset.errors = text;
  if (document.body) document.body.dataset.errors = text;
};
window.addEventListener('unhandledrejection', function (e) {
  window.onerror('unhandled rejection: ' + (e.reason && e.reason.message ? e.reason.message : String(e.reason)));
});
"#;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1f2328; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart { width: 100%; min-height: 200px; }
.note { color: #57606a; }
.units { max-height: 600px; max-width: 100%; overflow: auto; }
.paged-bar { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: 8px 0; }
.paged-bar input[type=search] { min-width: 240px; }
.paged { max-width: 100%; overflow-x: auto; }
.paged td { white-space: nowrap; }
.picker { margin: 6px 0; }
.summary { background: #f6f8fa; border-left: 4px solid #0969da; padding: 6px 12px; }
pre { white-space: pre-wrap; font-size: 12px; }
"#;

/// A report's own script, inserted into [`RUNTIME`].
struct Script<'a> {
    /// Variables taken from the data blob (`data`), declared first.
    data: &'a str,
    /// Helper functions (after `round`, before `draw`).
    helpers: &'a str,
    /// The chart functions and `var kinds = { kind: function, … };`.
    charts: &'a str,
}

impl Script<'_> {
    /// The whole script: the runtime with the report's code in place.
    fn text(&self) -> String {
        RUNTIME
            .replacen("  //@data\n", self.data, 1)
            .replacen("  //@helpers\n", self.helpers, 1)
            .replacen("  //@charts\n", self.charts, 1)
    }
}

/// One chart of a report: its container's id, the kind of chart (the key of its
/// drawing function in the script's `kinds`), and for the page, its title and
/// height.
#[derive(Debug, Clone, Serialize)]
struct ChartSpec {
    id: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<usize>,
    #[serde(skip)]
    title: String,
    #[serde(skip)]
    height: usize,
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON that is safe inside a `<script>` element.
fn script_json<T: Serialize>(value: &T) -> Result<String> {
    let text = serde_json::to_string(value).context("cannot represent the report's data as JSON")?;
    Ok(text
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026"))
}

/// Checks that the chart library can be inlined in a `<script>` element.
fn check_library() -> Result<()> {
    if ECHARTS.contains("</script") {
        bail!("internal error: the embedded chart library contains `</script`");
    }
    Ok(())
}

/// Starts a page: the document head (title, error collector, style) and `<body>`.
fn open_page(h: &mut String, title: &str) {
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    );
    let _ = writeln!(
        h,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>",
        esc(title)
    );
    let _ = writeln!(h, "<script>{ERROR_COLLECTOR}</script>");
    let _ = writeln!(h, "<style>{STYLE}</style>\n</head>\n<body>");
}

/// The container of a chart.
fn chart_container(h: &mut String, spec: &ChartSpec) {
    // Height 0: the chart's own (a map is as high as its width allows).
    let style = if spec.height == 0 {
        String::new()
    } else {
        format!(" style=\"height:{}px\"", spec.height)
    };
    let _ = writeln!(
        h,
        "<div class=\"chart\" id=\"{}\" data-chart=\"{}\"{style}></div>",
        esc(&spec.id),
        spec.kind,
    );
}

/// Ends a page: the data blob (JSON, from [`script_json`]), the chart library, the
/// report's script, `</body>` and `</html>`.
fn close_page(h: &mut String, blob: &str, script: &Script) {
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"cityrank-data\">{blob}</script>"
    );
    let _ = writeln!(h, "<script>{ECHARTS}</script>");
    let _ = writeln!(h, "<script>{}</script>", script.text());
    let _ = writeln!(h, "</body>\n</html>");
}
