//! The HTML report of an uncertainty and sensitivity analysis
//! (`cityrank sensitivity --format html`).
//!
//! Charts: each unit's rank interval (median, 5th–95th percentile, nominal rank),
//! the Sobol indices with their bootstrap intervals (for a sensitivity analysis),
//! each unit's shares of builds by tier, and the mean rank shift when each
//! indicator or pillar is left out (when leave-one-out was run). Tables give the
//! same numbers.

use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;

use super::{ChartSpec, Script, chart_container, check_library, close_page, esc, open_page, script_json};
use crate::sensitivity::{DesignKind, SensitivityReport};
use cityrank_core::report::fmt_opt;

/// The report's own script (drawing the charts from the data blob).
const SCRIPT: Script<'static> = Script {
    data: "  var report = data.report;\n  var units = report.units;\n",
    helpers: r#"  function text(s) {
    return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  }
  function num(x, d) { return x === null || x === undefined ? '–' : String(round(x, d)); }
  function unitLabel(u) { return (u.nominal_rank === null ? '–' : u.nominal_rank) + '. ' + u.name; }
  function unitName(id) {
    for (var i = 0; i < units.length; i++) if (units[i].id === id) return units[i].name;
    return id;
  }
  function orMissing(x) { return x === null || x === undefined ? '-' : x; }
  function line(x1, y1, x2, y2, style) { return { type: 'line', shape: { x1: x1, y1: y1, x2: x2, y2: y2 }, style: style }; }
"#,
    charts: r#"  function intervalsChart(spec) {
    var maxRank = 1;
    units.forEach(function (u) {
      [u.nominal_rank, u.q95_rank].forEach(function (r) { if (r !== null) maxRank = Math.max(maxRank, Math.ceil(r)); });
    });
    var color = '#5470c6';
    var tip = function (p) {
      var u = units[p.dataIndex];
      return text(unitLabel(u)) + '<br>nominal rank ' + num(u.nominal_rank, 0) + '<br>median ' + num(u.median_rank, 1) +
        ', mean ' + num(u.mean_rank, 2) + '<br>5th–95th percentile ' + num(u.q5_rank, 1) + '–' + num(u.q95_rank, 1);
    };
    return draw(spec.id, {
      tooltip: { trigger: 'item', formatter: tip },
      legend: { top: 0, data: ['5th–95th percentile', 'median rank', 'nominal rank'] },
      grid: { left: 190, right: 30, top: 40, bottom: 45 },
      xAxis: { type: 'value', name: 'rank', nameLocation: 'middle', nameGap: 28, min: 1, max: maxRank, minInterval: 1, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'category', inverse: true, data: units.map(unitLabel), axisLabel: { interval: 0, fontSize: 11 } },
      series: [
        {
          type: 'custom', name: '5th–95th percentile', itemStyle: { color: color }, encode: { x: [1, 2], y: 0 },
          data: units.map(function (u, i) { return [i, orMissing(u.q5_rank), orMissing(u.q95_rank)]; }),
          renderItem: function (params, api) {
            var lo = api.value(1), hi = api.value(2);
            if (isNaN(lo) || isNaN(hi)) return null;
            var a = api.coord([lo, api.value(0)]), b = api.coord([hi, api.value(0)]);
            var cap = Math.max(2, api.size([0, 1])[1] * 0.3);
            var style = { stroke: color, lineWidth: 1.5 };
            return {
              type: 'group',
              children: [line(a[0], a[1], b[0], b[1], style), line(a[0], a[1] - cap, a[0], a[1] + cap, style), line(b[0], b[1] - cap, b[0], b[1] + cap, style)]
            };
          }
        },
        {
          type: 'scatter', name: 'median rank', symbolSize: 7, itemStyle: { color: color },
          data: units.map(function (u, i) { return [orMissing(u.median_rank), i]; })
        },
        {
          type: 'scatter', name: 'nominal rank', symbol: 'diamond', symbolSize: 12,
          itemStyle: { color: 'rgba(0,0,0,0)', borderColor: '#d62728', borderWidth: 2 },
          data: units.map(function (u, i) { return [orMissing(u.nominal_rank), i]; })
        }
      ]
    });
  }

  function errorBars(name, cis, offset) {
    return {
      type: 'custom', name: name, z: 10, encode: { x: 0, y: [1, 2] },
      data: cis.map(function (ci, i) { return ci ? [i, ci[0], ci[1]] : [i, '-', '-']; }),
      renderItem: function (params, api) {
        var lo = api.value(1), hi = api.value(2);
        if (isNaN(lo) || isNaN(hi)) return null;
        var band = api.size([1, 0])[0];
        var x = api.coord([api.value(0), 0])[0] + offset * band;
        var y1 = api.coord([api.value(0), lo])[1], y2 = api.coord([api.value(0), hi])[1];
        var cap = band * 0.05;
        var style = { stroke: '#303030', lineWidth: 1.2 };
        return { type: 'group', children: [line(x, y1, x, y2, style), line(x - cap, y1, x + cap, y1, style), line(x - cap, y2, x + cap, y2, style)] };
      }
    };
  }

  function sobolChart(spec) {
    var ix = report.sensitivity.indices;
    var first = 'first order', total = 'total order';
    var ci = function (c) { return c ? ' [' + num(c[0], 3) + ', ' + num(c[1], 3) + ']' : ''; };
    return draw(spec.id, {
      tooltip: {
        trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: function (ps) {
          var x = ix[ps[0].dataIndex];
          return text(x.input) + '<br>first order ' + num(x.first, 3) + ci(x.first_ci) + '<br>total order ' + num(x.total, 3) + ci(x.total_ci);
        }
      },
      legend: { top: 0, data: [first, total] },
      grid: { left: 60, right: 30, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: ix.map(function (x) { return x.input; }) },
      yAxis: { type: 'value', name: 'index' },
      series: [
        { type: 'bar', name: first, barWidth: '30%', barGap: '0%', itemStyle: { color: '#5470c6' }, data: ix.map(function (x) { return round(x.first, 4); }) },
        { type: 'bar', name: total, barWidth: '30%', barGap: '0%', itemStyle: { color: '#91cc75' }, data: ix.map(function (x) { return round(x.total, 4); }) },
        errorBars(first, ix.map(function (x) { return x.first_ci; }), -0.15),
        errorBars(total, ix.map(function (x) { return x.total_ci; }), 0.15)
      ]
    });
  }

  function tierColor(k, n) {
    var p = ['#1a9850', '#66bd63', '#a6d96a', '#d9ef8b', '#fee08b', '#fdae61', '#f46d43', '#d73027'];
    return p[n <= 1 ? 0 : Math.round(k * (p.length - 1) / (n - 1))];
  }

  function tiersChart(spec) {
    var labels = report.tiers.slice();
    var colors = labels.map(function (_, k) { return tierColor(k, labels.length); });
    units.forEach(function (u) {
      Object.keys(u.tier_shares).forEach(function (t) { if (labels.indexOf(t) < 0) { labels.push(t); colors.push('#b0b0b0'); } });
    });
    var series = labels.map(function (t, k) {
      return {
        type: 'bar', stack: 'shares', name: t, barWidth: '70%', itemStyle: { color: colors[k] },
        data: units.map(function (u) { return round((u.tier_shares[t] || 0) * 100, 1); })
      };
    });
    return draw(spec.id, {
      tooltip: {
        trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: function (ps) {
          var u = units[ps[0].dataIndex];
          var lines = [text(unitLabel(u)) + ' (nominal: ' + text(u.nominal_tier === null ? 'unranked' : u.nominal_tier) + ')'];
          ps.forEach(function (p) { if (p.value > 0) lines.push(p.marker + text(p.seriesName) + ': ' + p.value + '%'); });
          return lines.join('<br>');
        }
      },
      legend: { top: 0 },
      grid: { left: 190, right: 30, top: 40, bottom: 45 },
      xAxis: { type: 'value', min: 0, max: 100, name: 'share of builds (%)', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'category', inverse: true, data: units.map(unitLabel), axisLabel: { interval: 0, fontSize: 11 } },
      series: series
    });
  }

  function looChart(spec) {
    var loo = report.leave_one_out.slice().sort(function (a, b) {
      return b.mean_abs_shift - a.mean_abs_shift || (a.removed < b.removed ? -1 : a.removed > b.removed ? 1 : 0);
    });
    var colors = { pillar: '#ee6666', indicator: '#5470c6' };
    var kindsSeen = [];
    ['pillar', 'indicator'].concat(loo.map(function (l) { return l.kind; })).forEach(function (k) {
      if (kindsSeen.indexOf(k) < 0 && loo.some(function (l) { return l.kind === k; })) kindsSeen.push(k);
    });
    var series = kindsSeen.map(function (k) {
      return {
        type: 'bar', stack: 'loo', name: k, barWidth: '70%', itemStyle: { color: colors[k] || '#b0b0b0' },
        data: loo.map(function (l) { return l.kind === k ? round(l.mean_abs_shift, 3) : '-'; })
      };
    });
    return draw(spec.id, {
      tooltip: {
        trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: function (ps) {
          var l = loo[ps[0].dataIndex];
          return text(l.removed) + ' (' + text(l.kind) + ')<br>mean |Δrank| ' + num(l.mean_abs_shift, 2) + '<br>max |Δrank| ' + l.max_abs_shift +
            (l.most_affected === null ? '' : ' (' + text(unitName(l.most_affected)) + ')');
        }
      },
      legend: { top: 0 },
      grid: { left: 190, right: 30, top: 40, bottom: 45 },
      xAxis: { type: 'value', name: 'mean |Δrank| against the nominal ranking', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'category', inverse: true, data: loo.map(function (l) { return l.removed; }), axisLabel: { interval: 0, fontSize: 11 } },
      series: series
    });
  }

  var kinds = { intervals: intervalsChart, sobol: sobolChart, tiers: tiersChart, loo: looChart };
"#,
};

#[derive(Serialize)]
struct Blob<'a> {
    report: &'a SensitivityReport,
    charts: &'a [ChartSpec],
}

/// The charts a report on `r` draws, in order.
fn charts(r: &SensitivityReport) -> Vec<ChartSpec> {
    let per_unit = (r.units.len() * 16 + 90).max(240);
    let chart = |id: &str, kind, title: &str, height| ChartSpec {
        id: id.into(),
        kind,
        method: None,
        node: None,
        title: title.into(),
        height,
    };
    let mut out = vec![chart("chart-ranks", "intervals", "Rank intervals", per_unit)];
    if r.sensitivity.is_some() {
        out.push(chart("chart-sobol", "sobol", "Sobol indices", 420));
    }
    out.push(chart("chart-tiers", "tiers", "Tier stability", per_unit));
    if !r.leave_one_out.is_empty() {
        let height = (r.leave_one_out.len() * 18 + 90).max(240);
        out.push(chart("chart-loo", "loo", "Leave one out", height));
    }
    out
}

/// Number of charts the report on `r` draws (for checks): rank intervals and tier
/// stability, the Sobol indices unless it is an uncertainty analysis only, and the
/// leave-one-out shifts when they were computed.
pub fn sensitivity_chart_count(r: &SensitivityReport) -> usize {
    charts(r).len()
}

/// The section of `kind`'s chart: its heading, `note` (HTML) and container.
fn chart_section(h: &mut String, specs: &[ChartSpec], kind: &str, note: &str) {
    if let Some(s) = specs.iter().find(|s| s.kind == kind) {
        let _ = writeln!(h, "<h2>{}</h2>\n<p class=\"note\">{note}</p>", esc(&s.title));
        chart_container(h, s);
    }
}

/// Tier labels of the report's shares: the tiers, best first, then any other
/// label found (`unranked`).
fn share_labels(r: &SensitivityReport) -> Vec<String> {
    let mut labels = r.tiers.clone();
    for u in &r.units {
        for t in u.tier_shares.keys() {
            if !labels.contains(t) {
                labels.push(t.clone());
            }
        }
    }
    labels
}

/// The HTML report of a sensitivity (or uncertainty) analysis: one self-contained
/// page with rank intervals, Sobol indices, tier stability and leave-one-out
/// shifts, as charts and tables.
pub fn sensitivity_report(r: &SensitivityReport) -> Result<String> {
    check_library()?;
    let specs = charts(r);
    let blob = script_json(&Blob {
        report: r,
        charts: &specs,
    })?;
    let d = &r.design;
    let title = format!(
        "{} analysis — {} ({})",
        if d.uncertainty_only {
            "Uncertainty"
        } else {
            "Sensitivity"
        },
        r.edition,
        r.methodology
    );
    // The rank statistics are over the A and B builds of a sensitivity design, every
    // build of an uncertainty analysis (the top-tier entry `all` counts them).
    let stat_builds = r
        .top_tier
        .iter()
        .find(|t| t.input == "all" && t.alternative == "all")
        .map_or(if d.uncertainty_only { d.samples } else { 2 * d.samples }, |t| t.builds);
    let over = if d.uncertainty_only {
        format!("{stat_builds} builds")
    } else {
        format!("{stat_builds} builds (the A and B matrices of the design)")
    };

    let mut h = String::new();
    open_page(&mut h, &title);
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        h,
        "<p class=\"note\">cityrank {} · {} design, N = {}, {} builds, seed {}{}. \
         Methodology component SHA-256 <code>{}</code>, dataset SHA-256 <code>{}</code>.</p>",
        env!("CARGO_PKG_VERSION"),
        match d.design {
            DesignKind::Mc => "Monte Carlo",
            DesignKind::Sobol => "Sobol'",
        },
        d.samples,
        d.builds,
        d.seed,
        if d.uncertainty_only {
            " · uncertainty analysis only".to_string()
        } else {
            format!(" · indices of <code>{}</code>", esc(&d.target))
        },
        esc(&r.methodology_sha256),
        esc(&r.dataset_sha256)
    );

    // Inputs.
    let _ = writeln!(
        h,
        "<h2>Uncertain inputs</h2>\n<table>\n<tr><th>input</th><th>alternatives (equally likely)</th></tr>"
    );
    for i in &d.inputs {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&i.name),
            esc(&i.alternatives.join(" | "))
        );
    }
    let _ = writeln!(h, "</table>");

    // Rank intervals.
    chart_section(
        &mut h,
        &specs,
        "intervals",
        &format!(
            "Each unit's median rank (dot) and the 5th–95th percentiles of its rank (whisker) over {over}; \
             the hollow diamond marks the nominal rank. Units in nominal order."
        ),
    );

    // Sobol indices.
    match &r.sensitivity {
        Some(s) => {
            let has_ci = s.indices.iter().any(|i| i.first_ci.is_some() || i.total_ci.is_some());
            let note = format!(
                "Of the target <code>{}</code> (variance {:.4} over the A and B builds): the first-order index \
                 (the share of the variance due to the input alone, Saltelli 2010) and the total-order index \
                 (with its interactions, Jansen). {} With few samples the estimates are noisy and can fall below \
                 0 or above 1.",
                esc(&d.target),
                s.variance,
                if has_ci {
                    "Whiskers: 5th–95th percentiles of the bootstrap."
                } else {
                    "No bootstrap intervals (<code>bootstrap = 0</code>)."
                }
            );
            chart_section(&mut h, &specs, "sobol", &note);
            let _ = writeln!(
                h,
                "<table>\n<tr><th>input</th><th>first order</th><th>90% interval</th><th>total order</th>\
                 <th>90% interval</th></tr>"
            );
            let ci = |c: Option<[f64; 2]>| c.map_or_else(|| "–".into(), |c| format!("[{:.3}, {:.3}]", c[0], c[1]));
            for i in &s.indices {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"num\">{:.3}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td>\
                     <td class=\"num\">{}</td></tr>",
                    esc(&i.input),
                    i.first,
                    ci(i.first_ci),
                    i.total,
                    ci(i.total_ci)
                );
            }
            let _ = writeln!(h, "</table>");
        }
        None => {
            let _ = writeln!(
                h,
                "<h2>Sobol indices</h2>\n<p class=\"note\" id=\"sobol-absent\">No Sobol indices: this is an \
                 uncertainty analysis only (<code>--uncertainty-only</code> or <code>uncertainty_only = true</code>), \
                 which runs N builds and estimates no indices.</p>"
            );
        }
    }

    // Tier stability.
    chart_section(
        &mut h,
        &specs,
        "tiers",
        &format!(
            "The share of the {over} that put each unit in each tier (best tier first; <code>unranked</code>: \
             screened out). Units in nominal order."
        ),
    );
    let _ = writeln!(
        h,
        "<h3>Top tier</h3>\n<p class=\"note\">How often the set of units in the top tier ({}) differs \
         from the nominal one, over all builds and by alternative of each input.</p>\n<table>\n<tr><th>input</th>\
         <th>alternative</th><th>builds</th><th>top tier differs</th></tr>",
        esc(&r.top_tier_label)
    );
    for t in &r.top_tier {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}%</td></tr>",
            esc(&t.input),
            esc(&t.alternative),
            t.builds,
            t.changed * 100.0
        );
    }
    let _ = writeln!(h, "</table>");
    if !r.tier_changes.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Each weight input alone</h3>\n<p class=\"note\">Every weight set of the input (noise, or the \
             expert panel resampled) built with the other inputs nominal: the units that change tier.</p>\n<table>\n\
             <tr><th>input</th><th>builds</th><th>units changing tier</th><th>per build</th><th>top tier \
             differs</th><th>most often in another tier</th></tr>"
        );
        for c in &r.tier_changes {
            let often: Vec<String> = c
                .most_often
                .iter()
                .map(|(id, share)| format!("{} {:.1}%", esc(id), share * 100.0))
                .collect();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{} of {}</td><td \
                 class=\"num\">{:.1}</td><td class=\"num\">{:.1}%</td><td>{}</td></tr>",
                esc(&c.input),
                c.builds,
                c.units_changing_tier,
                c.units,
                c.mean_units_changing_tier,
                c.top_tier_changed * 100.0,
                often.join(", ")
            );
        }
        let _ = writeln!(h, "</table>");
    }

    // Leave one out.
    if r.leave_one_out.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Leave one out</h2>\n<p class=\"note\" id=\"loo-absent\">No leave-one-out results: it was not run \
             (<code>leave_one_out = false</code> in the edition's <code>[sensitivity]</code> table), or no \
             ranking could be built without any of the nodes.</p>"
        );
    } else {
        chart_section(
            &mut h,
            &specs,
            "loo",
            "The mean absolute rank shift against the nominal ranking when each indicator or pillar is left \
             out, largest first.",
        );
        let _ = writeln!(
            h,
            "<details>\n<summary>Table</summary>\n<table>\n<tr><th>left out</th><th>kind</th><th>mean |Δrank|</th><th>max |Δrank|</th><th>most affected</th></tr>"
        );
        let mut loo: Vec<_> = r.leave_one_out.iter().collect();
        loo.sort_by(|a, b| {
            b.mean_abs_shift
                .total_cmp(&a.mean_abs_shift)
                .then(a.removed.cmp(&b.removed))
        });
        for l in loo {
            let affected = l.most_affected.as_deref().map_or_else(
                || "–".to_string(),
                |id| {
                    r.units
                        .iter()
                        .find(|u| u.id == id)
                        .map_or_else(|| id.to_string(), |u| format!("{} ({id})", u.name))
                },
            );
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{:.2}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&l.removed),
                format!("{:?}", l.kind).to_lowercase(),
                l.mean_abs_shift,
                l.max_abs_shift,
                esc(&affected)
            );
        }
        let _ = writeln!(h, "</table>\n</details>");
    }

    // Units.
    let labels = share_labels(r);
    let _ = write!(
        h,
        "<h2>Units</h2>\n<div class=\"units\"><table>\n<tr><th>rank</th><th>unit</th><th>id</th><th>score</th>\
         <th>tier</th><th>median rank</th><th>mean rank</th><th>q5</th><th>q95</th>"
    );
    for t in &labels {
        let _ = write!(h, "<th>share {}</th>", esc(t));
    }
    let _ = writeln!(h, "</tr>");
    for u in &r.units {
        let _ = write!(
            h,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            u.nominal_rank.map_or("–".into(), |r| r.to_string()),
            esc(&u.name),
            esc(&u.id),
            fmt_opt(u.nominal_score, 2),
            esc(u.nominal_tier.as_deref().unwrap_or("–")),
            fmt_opt(u.median_rank, 1),
            fmt_opt(u.mean_rank, 2),
            fmt_opt(u.q5_rank, 1),
            fmt_opt(u.q95_rank, 1)
        );
        for t in &labels {
            let share = u.tier_shares.get(t).copied().unwrap_or(0.0);
            let _ = write!(h, "<td class=\"num\">{:.0}%</td>", share * 100.0);
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</table></div>");

    close_page(&mut h, &blob, &SCRIPT);
    Ok(h)
}
