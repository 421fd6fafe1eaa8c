//! The HTML report of a comparison (`cityrank compare --format html`).
//!
//! Charts: scores by tier (box plots, one series per method), ranks across methods
//! (a bump chart), the scores of two methods against each other (a scatter, with a
//! choice of the pair when there are more than two methods), and for each method
//! its framework tree with weights and every unit's breakdown by pillar.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{ChartSpec, Script, chart_container, check_library, close_page, esc, open_page, script_json};
use crate::compare::{CompareReport, TierBasis};
use crate::explain::MethodBreakdown;
use cityrank_core::report::fmt_opt;
use cityrank_core::results::NodeInfo;

/// The report's own script (drawing the charts from the data blob).
const SCRIPT: Script<'static> = Script {
    data: "  var report = data.report;\n  var methods = report.methods;\n",
    helpers: "  function entry(u, m) { return u.methods[methods[m].label] || null; }\n",
    charts: r#"  function quantile(sorted, q) {
    var pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  function tiersChart(spec) {
    var positions = 0;
    methods.forEach(function (m) { positions = Math.max(positions, m.tiers.length); });
    var cats = [];
    for (var p = 0; p < positions; p++) {
      var names = [];
      methods.forEach(function (m) { if (m.tiers[p] && names.indexOf(m.tiers[p]) < 0) names.push(m.tiers[p]); });
      cats.push((p + 1) + ': ' + names.join(' / '));
    }
    var series = methods.map(function (m, i) {
      var box = cats.map(function (_, p) {
        var v = report.units
          .map(function (u) { return entry(u, i); })
          .filter(function (e) { return e && e.tier === m.tiers[p] && e.score !== null; })
          .map(function (e) { return e.score; })
          .sort(function (a, b) { return a - b; });
        if (v.length === 0) return ['-', '-', '-', '-', '-'];
        return [v[0], quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75), v[v.length - 1]].map(function (x) { return round(x, 3); });
      });
      return { type: 'boxplot', name: m.label, data: box };
    });
    return draw(spec.id, {
      tooltip: { trigger: 'item' },
      legend: { top: 0 },
      grid: { left: 60, right: 30, top: 40, bottom: 60 },
      xAxis: { type: 'category', data: cats, name: 'tier', nameLocation: 'middle', nameGap: 35 },
      yAxis: { type: 'value', name: 'score', scale: true },
      series: series
    });
  }

  function bumpChart(spec) {
    var maxRank = 1;
    report.units.forEach(function (u) {
      methods.forEach(function (_, m) { var e = entry(u, m); if (e && e.rank) maxRank = Math.max(maxRank, e.rank); });
    });
    var series = report.units.map(function (u) {
      return {
        type: 'line', name: u.name, symbolSize: 6, connectNulls: false,
        lineStyle: { width: 1.5 }, emphasis: { focus: 'series' },
        endLabel: { show: true, formatter: u.name, fontSize: 10 },
        data: methods.map(function (_, m) { var e = entry(u, m); return e && e.rank ? e.rank : null; })
      };
    });
    return draw(spec.id, {
      tooltip: { trigger: 'item', formatter: function (p) { return p.seriesName + ': rank ' + p.value + ' in ' + p.name; } },
      grid: { left: 50, right: 160, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: methods.map(function (m) { return m.label; }), boundaryGap: false },
      yAxis: { type: 'value', inverse: true, min: 1, max: maxRank, name: 'rank', nameLocation: 'start' },
      series: series
    });
  }

  function scatterOption(a, b) {
    var pts = [];
    report.units.forEach(function (u) {
      var x = entry(u, a), y = entry(u, b);
      if (x && y && x.score !== null && y.score !== null) pts.push([round(x.score, 4), round(y.score, 4), u.name]);
    });
    return {
      tooltip: { trigger: 'item', formatter: function (p) { return p.value[2] + ': ' + p.value[0] + ', ' + p.value[1]; } },
      grid: { left: 80, right: 30, top: 20, bottom: 50 },
      xAxis: { type: 'value', name: methods[a].label + ' score', nameLocation: 'middle', nameGap: 30, scale: true },
      yAxis: { type: 'value', name: methods[b].label + ' score', nameLocation: 'middle', nameGap: 50, scale: true },
      series: [{ type: 'scatter', symbolSize: 9, data: pts }]
    };
  }

  function scatterChart(spec) {
    var chart = draw(spec.id, scatterOption(0, 1));
    var pick = document.getElementById('scatter-pick');
    if (chart && pick && methods.length > 2) {
      var sa = document.createElement('select'), sb = document.createElement('select');
      methods.forEach(function (m, i) {
        sa.add(new Option(m.label, String(i), i === 0, i === 0));
        sb.add(new Option(m.label, String(i), i === 1, i === 1));
      });
      var update = function () { chart.setOption(scatterOption(+sa.value, +sb.value), true); };
      sa.onchange = update; sb.onchange = update;
      pick.append('x: ', sa, ' y: ', sb);
    }
    return chart;
  }

  function treeChart(spec) {
    var fw = data.methods[spec.method].framework;
    var byId = {};
    fw.forEach(function (n) {
      byId[n.id] = {
        name: n.id + '  w ' + round(n.weight, 4) + ' · ' + round(n.effective_weight * 100, 2) + '%',
        value: round(n.effective_weight, 6), children: []
      };
    });
    var root = null;
    fw.forEach(function (n) { if (n.parent) byId[n.parent].children.push(byId[n.id]); else root = byId[n.id]; });
    return draw(spec.id, {
      tooltip: { trigger: 'item', formatter: function (p) { return p.name; } },
      series: [{
        type: 'tree', data: [root], top: 10, bottom: 10, left: 120, right: 260,
        symbolSize: 8, initialTreeDepth: -1, expandAndCollapse: false,
        label: { position: 'left', verticalAlign: 'middle', align: 'right', fontSize: 11 },
        leaves: { label: { position: 'right', verticalAlign: 'middle', align: 'left' } }
      }]
    });
  }

  function breakdownChart(spec) {
    var b = data.methods[spec.method].breakdown;
    var series = b.parts.map(function (part, k) {
      return {
        type: 'bar', stack: 'total', name: part[1],
        data: b.units.map(function (u) { var c = u.contributions[k]; return c === null ? 0 : round(c, 3); })
      };
    });
    return draw(spec.id, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 170, right: 30, top: 40, bottom: 30 },
      xAxis: { type: 'value', name: 'contribution' },
      yAxis: { type: 'category', inverse: true, data: b.units.map(function (u) { return u.rank + '. ' + u.name; }) },
      series: series
    });
  }

  var kinds = { tiers: tiersChart, bump: bumpChart, scatter: scatterChart, tree: treeChart, breakdown: breakdownChart };
"#,
};

/// One method's extra data for the charts.
#[derive(Debug, Clone, Serialize)]
pub struct MethodCharts {
    /// Method label.
    pub label: String,
    /// Its framework, root first.
    pub framework: Vec<NodeInfo>,
    /// Its units' breakdowns by pillar.
    pub breakdown: MethodBreakdown,
}

#[derive(Serialize)]
struct Blob<'a> {
    report: &'a CompareReport,
    methods: &'a [MethodCharts],
    charts: &'a [ChartSpec],
}

/// The charts a report on `report` draws, in order.
fn charts(report: &CompareReport, methods: &[MethodCharts]) -> Vec<ChartSpec> {
    let units = report.units.len();
    let mut out = vec![
        ChartSpec {
            id: "chart-tiers".into(),
            kind: "tiers",
            method: None,
            node: None,
            title: "Scores by tier".into(),
            height: 420,
        },
        ChartSpec {
            id: "chart-bump".into(),
            kind: "bump",
            method: None,
            node: None,
            title: "Ranks across methods".into(),
            height: (units * 14 + 80).max(400),
        },
    ];
    if report.methods.len() > 1 {
        out.push(ChartSpec {
            id: "chart-scatter".into(),
            kind: "scatter",
            method: None,
            node: None,
            title: "Scores of two methods".into(),
            height: 480,
        });
    }
    for (i, m) in methods.iter().enumerate() {
        let leaves = m
            .framework
            .iter()
            .filter(|n| !m.framework.iter().any(|c| c.parent.as_deref() == Some(n.id.as_str())))
            .count();
        out.push(ChartSpec {
            id: format!("chart-tree-{i}"),
            kind: "tree",
            method: Some(i),
            node: None,
            title: format!("Framework of {}: weights (w) and effective weights (%)", m.label),
            height: (leaves * 24 + 40).max(240),
        });
    }
    for (i, m) in methods.iter().enumerate() {
        out.push(ChartSpec {
            id: format!("chart-breakdown-{i}"),
            kind: "breakdown",
            method: Some(i),
            node: None,
            title: format!("Breakdown of every unit by pillar — {}", m.label),
            height: m.breakdown.units.len() * 16 + 90,
        });
    }
    out
}

/// Number of charts the report on `report` draws (for checks).
pub fn chart_count(report: &CompareReport) -> usize {
    2 + usize::from(report.methods.len() > 1) + 2 * report.methods.len()
}

/// The HTML report of `report`; `methods` gives each method's framework and
/// breakdowns, in the order of `report.methods`.
pub fn compare_report(report: &CompareReport, methods: &[MethodCharts]) -> Result<String> {
    if methods.len() != report.methods.len() || methods.iter().zip(&report.methods).any(|(a, b)| a.label != b.label) {
        bail!("internal error: the chart data do not match the comparison's methods");
    }
    check_library()?;
    let specs = charts(report, methods);
    let blob = script_json(&Blob {
        report,
        methods,
        charts: &specs,
    })?;
    let title = format!(
        "{} — {}",
        {
            let t = report.kind.title();
            format!("{}{}", t[..1].to_uppercase(), &t[1..])
        },
        report
            .methods
            .iter()
            .map(|m| m.label.as_str())
            .collect::<Vec<_>>()
            .join(" vs ")
    );

    let mut h = String::new();
    open_page(&mut h, &title);
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        h,
        "<p class=\"note\">cityrank {} · {} units ranked by every method{}. Units are matched by id, else by \
         name and country; rank shift = rank in {} − rank in the method, both among the units both rank (+ = higher \
         up).</p>",
        esc(&report.cityrank),
        report.common_units,
        if report.partial_units.is_empty() {
            String::new()
        } else {
            format!(", {} in only some", report.partial_units.len())
        },
        esc(&report.methods[0].label)
    );

    // Methods.
    let _ = writeln!(
        h,
        "<h2>Methods</h2>\n<table>\n<tr><th>label</th><th>edition</th><th>variant</th><th>methodology</th><th>dataset</th><th>units</th><th>ranked</th><th>tiers</th></tr>"
    );
    for m in &report.methods {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{} ({})</td><td>{}</td><td>{} v{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&m.label),
            esc(&m.edition_name),
            esc(&m.edition),
            esc(m.variant.as_deref().unwrap_or("–")),
            esc(&m.methodology),
            esc(&m.methodology_version),
            esc(&m.dataset),
            m.units,
            m.ranked,
            esc(&m.tiers.join(", "))
        );
    }
    let _ = writeln!(h, "</table>");

    // Pairs.
    if !report.pairs.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Agreement</h2>\n<p class=\"note\">On the units ranked by both methods of each pair. Top {k}: \
             units in both top-{k} lists (each re-ranked among the common units). Tiers are compared by label \
             when both methods use the same labels, else by position (1 = best tier).</p>",
            k = report.top_k
        );
        let _ = writeln!(
            h,
            "<table>\n<tr><th>a</th><th>b</th><th>n</th><th>Spearman ρ</th><th>Kendall τ-b</th><th>Pearson r</th><th>top {}</th><th>same tier</th><th>Cohen κ</th><th>tiers by</th><th>mean |Δrank|</th><th>max |Δrank|</th></tr>",
            report.top_k
        );
        for p in &report.pairs {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{}/{} ({})</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&p.a),
                esc(&p.b),
                p.n,
                fmt_opt(p.spearman, 3),
                fmt_opt(p.kendall, 3),
                fmt_opt(p.pearson, 3),
                p.top_k.both,
                p.top_k.a.max(p.top_k.b),
                p.tiers.same,
                p.tiers.n,
                p.tiers.share.map_or("–".into(), |s| format!("{:.0}%", s * 100.0)),
                fmt_opt(p.tiers.kappa, 3),
                match p.tiers.basis {
                    TierBasis::Label => "label",
                    TierBasis::Position => "position",
                },
                fmt_opt(p.mean_abs_rank_shift, 2),
                p.max_abs_rank_shift.map_or("–".into(), |v| v.to_string())
            );
        }
        let _ = writeln!(h, "</table>");
    }

    // Published.
    for p in &report.published {
        let _ = writeln!(
            h,
            "<h2>Published: {} {} vs {}</h2>\n<pre>{}</pre>",
            esc(&p.ranking),
            esc(&p.edition),
            esc(&p.method),
            esc(&crate::compare::published_table(p))
        );
    }

    // Charts.
    let _ = writeln!(h, "<h2>Charts</h2>");
    for s in &specs {
        let _ = writeln!(h, "<h3>{}</h3>", esc(&s.title));
        if s.kind == "scatter" {
            let _ = writeln!(h, "<div id=\"scatter-pick\"></div>");
        }
        if s.kind == "breakdown"
            && let Some(m) = s.method.and_then(|i| methods.get(i))
        {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&m.breakdown.note));
        }
        chart_container(&mut h, s);
    }

    // Units.
    let _ = writeln!(
        h,
        "<h2>Units</h2>\n<div class=\"units\"><table>\n<tr><th>city</th><th>country</th>"
    );
    for (m, method) in report.methods.iter().enumerate() {
        let _ = write!(
            h,
            "<th>{l} rank</th><th>{l} tier</th><th>{l} score</th>",
            l = esc(&method.label)
        );
        if m > 0 {
            let _ = write!(h, "<th>{} shift</th>", esc(&method.label));
        }
    }
    let _ = writeln!(h, "</tr>");
    for u in &report.units {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td>",
            esc(&u.name),
            esc(u.country.as_deref().unwrap_or(""))
        );
        for (m, method) in report.methods.iter().enumerate() {
            let e = u.methods.get(&method.label);
            match e {
                Some(e) => {
                    let _ = write!(
                        h,
                        "<td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>",
                        e.rank.map_or("–".into(), |r| r.to_string()),
                        esc(e.tier.as_deref().unwrap_or("–")),
                        fmt_opt(e.score, 2)
                    );
                }
                None => {
                    let _ = write!(h, "<td colspan=\"3\">absent</td>");
                }
            }
            if m > 0 {
                let _ = write!(
                    h,
                    "<td class=\"num\">{}</td>",
                    e.and_then(|e| e.shift).map_or("–".into(), |s| format!("{s:+}"))
                );
            }
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table></div>");
    if !report.partial_units.is_empty() {
        let _ = writeln!(h, "<h3>In only some methods</h3>\n<ul>");
        for p in &report.partial_units {
            let _ = writeln!(
                h,
                "<li>{} ({}): ranked in {}{}{}</li>",
                esc(&p.name),
                esc(&p.id),
                esc(&if p.ranked_in.is_empty() {
                    "none".to_string()
                } else {
                    p.ranked_in.join(", ")
                }),
                if p.unranked_in.is_empty() {
                    String::new()
                } else {
                    format!("; unranked in {}", esc(&p.unranked_in.join(", ")))
                },
                if p.absent_from.is_empty() {
                    String::new()
                } else {
                    format!("; absent from {}", esc(&p.absent_from.join(", ")))
                }
            );
        }
        let _ = writeln!(h, "</ul>");
    }

    close_page(&mut h, &blob, &SCRIPT);
    Ok(h)
}
