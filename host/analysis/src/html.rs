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
//! headless browser can check the report (see `tests/html_report.rs` and
//! `tests/sensitivity_html.rs`).
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
mod sensitivity;

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use serde::Serialize;

pub use compare::{MethodCharts, chart_count, compare_report};
pub use document::document_report;
pub use experts::experts_report;
pub use sensitivity::{sensitivity_chart_count, sensitivity_report};

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
  //@helpers

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
    f(spec);
  });
  window.addEventListener('resize', function () {
    document.querySelectorAll('.chart').forEach(function (el) { var c = echarts.getInstanceByDom(el); if (c) c.resize(); });
  });
  document.body.dataset.charts = String(rendered);
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
    let _ = writeln!(
        h,
        "<div class=\"chart\" id=\"{}\" data-chart=\"{}\" style=\"height:{}px\"></div>",
        esc(&spec.id),
        spec.kind,
        spec.height
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
