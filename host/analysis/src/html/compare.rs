//! The HTML report of a comparison (`cityrank compare --format html`).
//!
//! Charts: scores by tier (box plots, one series per method), ranks across methods
//! (a bump chart), the scores of two methods against each other (a scatter, with a
//! choice of the pair when there are more than two methods), and for each method
//! its framework tree with weights and every unit's breakdown by pillar; then a
//! table of every unit.
//!
//! A comparison of more than [`SUMMARY_ABOVE_UNITS`] units summarises: the bump
//! chart shows the first method's top [`SUMMARY_TOP`](super::SUMMARY_TOP) units or
//! the units picked in a text box, the rank shifts are a histogram, the scatter
//! becomes a density (units per cell of a grid of the two scores), each breakdown
//! shows the method's top and bottom units, and the table is built by the page
//! (paged, searchable) from the units as columns ([`Columns`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{
    ChartSpec, SUMMARY_ABOVE_UNITS, Script, Summary, chart_container, check_library, close_page, esc, open_page,
    round_to, script_json, summarises,
};
use crate::compare::{CompareReport, MethodInfo, TierBasis};
use crate::explain::MethodBreakdown;
use cityrank_core::report::fmt_opt;
use cityrank_core::results::NodeInfo;

/// The report's own script (drawing the charts from the data blob).
const SCRIPT: Script<'static> = Script {
    data: "  var report = data.report;\n  var methods = report.methods;\n  var summary = data.summary || null;\n  \
           var units = report.units || unitsFromColumns(report.columns);\n",
    helpers: r#"  function entry(u, m) { return u.methods[methods[m].label] || null; }
  // The units of a summarised report, from its columns (as `report.units`).
  function unitsFromColumns(c) {
    var absent = methods.map(function (_, m) { var a = {}; c.absent[m].forEach(function (i) { a[i] = true; }); return a; });
    return c.id.map(function (id, i) {
      var per = {};
      methods.forEach(function (meth, m) {
        if (absent[m][i]) return;
        var t = c.tier[m][i];
        per[meth.label] = { rank: c.rank[m][i], score: c.score[m][i], tier: t === null ? null : c.tiers[m][t], shift: c.shift[m][i] };
      });
      return { id: id, name: c.name[i], country: c.country[i], methods: per };
    });
  }
  // The top units of the first method (its first `summary.top` ranked units).
  function topUnits() {
    return units.filter(function (u) { var e = entry(u, 0); return e && e.rank; }).slice(0, summary.top);
  }
"#,
    charts: r#"  function quantile(sorted, q) {
    var pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  // Scores by tier: one panel per method, each with its own tiers on the x axis
  // and its own score axis (methods score on different scales: a z-score method
  // drawn on a 0–100 axis would look flat).
  function tiersChart(spec) {
    var cols = Math.min(3, methods.length), rows = Math.ceil(methods.length / cols);
    var panelHeight = 250, titles = [], grids = [], xAxes = [], yAxes = [], series = [];
    methods.forEach(function (m, i) {
      var c = i % cols, r = Math.floor(i / cols);
      var left = c * 100 / cols, top = r * panelHeight;
      titles.push({ text: m.label, left: (left + 1) + '%', top: top + 4, textStyle: { fontSize: 12, fontWeight: 'bold' } });
      grids.push({ left: (left + 5) + '%', width: (100 / cols - 8) + '%', top: top + 40, height: panelHeight - 110, containLabel: false });
      xAxes.push({
        type: 'category', gridIndex: i, data: m.tiers,
        axisLabel: { interval: 0, rotate: m.tiers.length > 4 ? 35 : 0, fontSize: 10, hideOverlap: false }
      });
      yAxes.push({ type: 'value', gridIndex: i, scale: true, name: i % cols === 0 ? 'score' : '', nameTextStyle: { fontSize: 10 } });
      var box = m.tiers.map(function (t) {
        var v = units
          .map(function (u) { return entry(u, i); })
          .filter(function (e) { return e && e.tier === t && e.score !== null; })
          .map(function (e) { return e.score; })
          .sort(function (a, b) { return a - b; });
        if (v.length === 0) return ['-', '-', '-', '-', '-'];
        return [v[0], quantile(v, 0.25), quantile(v, 0.5), quantile(v, 0.75), v[v.length - 1]].map(function (x) { return round(x, 3); });
      });
      series.push({ type: 'boxplot', name: m.label, xAxisIndex: i, yAxisIndex: i, data: box });
    });
    return draw(spec.id, {
      tooltip: { trigger: 'item' },
      title: titles, grid: grids, xAxis: xAxes, yAxis: yAxes,
      series: series
    });
  }

  function bumpOption(list) {
    var lo = summary ? Infinity : 1, hi = 1;
    list.forEach(function (u) {
      methods.forEach(function (_, m) {
        var e = entry(u, m);
        if (e && e.rank) { hi = Math.max(hi, e.rank); if (summary) lo = Math.min(lo, e.rank); }
      });
    });
    if (!(lo <= hi)) lo = 1;
    var series = list.map(function (u) {
      return {
        type: 'line', name: u.name, symbolSize: 6, connectNulls: false,
        lineStyle: { width: 1.5 }, emphasis: { focus: 'series' },
        endLabel: { show: true, formatter: u.name, fontSize: 10 },
        // Units tied at the end would print their names on one another.
        labelLayout: { moveOverlap: 'shiftY' },
        data: methods.map(function (_, m) { var e = entry(u, m); return e && e.rank ? e.rank : null; })
      };
    });
    return {
      tooltip: { trigger: 'item', formatter: function (p) { return p.seriesName + ': rank ' + p.value + ' in ' + p.name; } },
      grid: { left: summary ? 70 : 50, right: 160, top: 30, bottom: 40 },
      xAxis: { type: 'category', data: methods.map(function (m) { return m.label; }), boundaryGap: false },
      yAxis: { type: 'value', inverse: true, min: lo, max: hi, name: 'rank', nameLocation: 'start' },
      series: series
    };
  }

  function bumpChart(spec) {
    var list = summary ? topUnits() : units;
    var chart = draw(spec.id, bumpOption(list));
    shown(spec.id, list.length);
    if (chart && summary) {
      after.push(function () {
        unitPicker('bump-pick', units, list, function (picked) {
          var option = bumpOption(picked);
          option.animation = false;
          chart.setOption(option, true);
          shown(spec.id, picked.length);
        });
      });
    }
    return chart;
  }

  function shiftsChart(spec) {
    var values = [], per = [];
    methods.forEach(function (_, m) {
      if (m === 0) return;
      var v = [];
      units.forEach(function (u) { var e = entry(u, m); if (e && e.shift !== null && e.shift !== undefined) v.push(e.shift); });
      per.push(v); values = values.concat(v);
    });
    var h = histogram(values, 40, true);
    var series = per.map(function (v, k) {
      var counts = h.bins.map(function () { return 0; });
      v.forEach(function (x) { counts[binOf(h, x)] += 1; });
      return { type: 'bar', name: methods[k + 1].label, data: counts };
    });
    shown(spec.id, values.length);
    return draw(spec.id, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 70, right: 30, top: 40, bottom: 60 },
      xAxis: {
        type: 'category', data: h.bins.map(function (b) { return binLabel(b, h.width, true); }),
        name: 'rank shift against ' + methods[0].label + ' (+ = higher up)', nameLocation: 'middle', nameGap: 40
      },
      yAxis: { type: 'value', name: 'units', minInterval: 1 },
      series: series
    });
  }

  function densityOption(a, b) {
    var xs = [], ys = [];
    units.forEach(function (u) {
      var x = entry(u, a), y = entry(u, b);
      if (x && y && x.score !== null && y.score !== null) { xs.push(x.score); ys.push(y.score); }
    });
    var hx = histogram(xs, 40, false), hy = histogram(ys, 40, false);
    var counts = {}, most = 1;
    xs.forEach(function (x, k) {
      var key = binOf(hx, x) + ',' + binOf(hy, ys[k]);
      counts[key] = (counts[key] || 0) + 1;
      most = Math.max(most, counts[key]);
    });
    var cells = Object.keys(counts).map(function (key) {
      var ij = key.split(',');
      return [+ij[0], +ij[1], counts[key]];
    });
    var label = function (h) { return h.bins.map(function (b) { return String(round((b.lo + b.hi) / 2, 4)); }); };
    return {
      tooltip: {
        trigger: 'item',
        formatter: function (p) {
          var bx = hx.bins[p.value[0]], by = hy.bins[p.value[1]];
          return text(methods[a].label) + ' ' + binLabel(bx, hx.width, false) + '<br>' + text(methods[b].label) + ' ' +
            binLabel(by, hy.width, false) + '<br>' + p.value[2] + ' units';
        }
      },
      grid: { left: 80, right: 110, top: 20, bottom: 60 },
      xAxis: { type: 'category', data: label(hx), name: methods[a].label + ' score', nameLocation: 'middle', nameGap: 35 },
      yAxis: { type: 'category', data: label(hy), name: methods[b].label + ' score', nameLocation: 'middle', nameGap: 55 },
      visualMap: {
        min: 1, max: most, calculable: true, orient: 'vertical', right: 10, top: 'middle', text: ['units', ''],
        inRange: { color: ['#e0ecf4', '#8c96c6', '#88419d', '#4d004b'] }
      },
      series: [{ type: 'heatmap', data: cells }]
    };
  }

  function scatterOption(a, b) {
    var pts = [];
    units.forEach(function (u) {
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

  // A chart of two methods, `option(a, b)`, with a choice of the pair in `pickId`
  // when there are more than two methods.
  function pairChart(spec, option, pickId) {
    var chart = draw(spec.id, option(0, 1));
    var pick = document.getElementById(pickId);
    if (chart && pick && methods.length > 2) {
      var sa = document.createElement('select'), sb = document.createElement('select');
      methods.forEach(function (m, i) {
        sa.add(new Option(m.label, String(i), i === 0, i === 0));
        sb.add(new Option(m.label, String(i), i === 1, i === 1));
      });
      var update = function () { chart.setOption(option(+sa.value, +sb.value), true); };
      sa.onchange = update; sb.onchange = update;
      pick.append('x: ', sa, ' y: ', sb);
    }
    return chart;
  }

  function scatterChart(spec) { return pairChart(spec, scatterOption, 'scatter-pick'); }

  function densityChart(spec) { return pairChart(spec, densityOption, 'density-pick'); }

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
    shown(spec.id, b.units.length);
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

  function unitsTable() {
    var columns = [
      { label: 'id', cell: function (u) { return u.id; } },
      { label: 'city', cell: function (u) { return u.name; } },
      { label: 'country', cell: function (u) { return u.country || ''; } }
    ];
    methods.forEach(function (meth, m) {
      var l = meth.label, e = function (u) { return entry(u, m); };
      var or = function (f) { return function (u) { var x = e(u); return x ? f(x) : 'absent'; }; };
      columns.push({ label: l + ' rank', num: true, cell: or(function (x) { return x.rank === null ? '–' : x.rank; }) });
      columns.push({ label: l + ' tier', cell: or(function (x) { return x.tier === null ? '–' : x.tier; }) });
      columns.push({ label: l + ' score', num: true, cell: or(function (x) { return x.score === null ? '–' : x.score.toFixed(2); }) });
      if (m > 0) {
        columns.push({
          label: l + ' shift', num: true,
          cell: function (u) { var x = e(u); return !x || x.shift === null ? '–' : (x.shift >= 0 ? '+' : '') + x.shift; }
        });
      }
    });
    pagedTable({
      id: 'units', name: 'Units', rows: units, columns: columns, pageSize: summary.page_rows,
      key: function (u) { return u.id + '\n' + u.name; }, searchLabel: 'Search units by id or name:'
    });
  }
  if (summary) after.push(unitsTable);

  // Where the units are (`cityrankMap`), coloured by the tier of the method picked.
  function mapChart(spec) {
    var el = document.getElementById(spec.id);
    if (!el) { errors.push('no chart container #' + spec.id); return null; }
    var countries = JSON.parse(document.getElementById('cityrank-countries').textContent).countries;
    var points = [];
    units.forEach(function (u, i) { var at = data.coordinates[u.id]; if (at) points.push({ index: i, id: u.id, lat: at[0], lon: at[1] }); });
    var bar = document.createElement('div'); bar.className = 'map-tools';
    var label = document.createElement('label'); label.htmlFor = 'map-method'; label.textContent = 'Colour by the tiers of ';
    var pick = document.createElement('select'); pick.id = 'map-method';
    methods.forEach(function (meth, i) { pick.add(new Option(meth.label, String(i))); });
    var note = document.createElement('span'); note.className = 'note'; note.textContent = ' (a point\'s size is its score in that method)';
    var legend = document.createElement('div'); legend.className = 'legend';
    bar.append(label, pick, note);
    el.append(bar, legend);
    var m = 0;
    var map = cityrankMap(el, countries, points, {
      prefix: 'map-', label: 'Map of the units, coloured by a method\'s tier',
      tip: function (i) {
        var u = units[i];
        return '<b>' + text(u.name) + '</b>' + methods.map(function (meth, k) {
          var e = entry(u, k);
          return '<br>' + text(meth.label) + ': ' + (e && e.rank ? 'rank ' + e.rank + (e.tier ? ', ' + text(e.tier) : '') : '—');
        }).join('');
      }
    });
    function show() {
      var tiers = methods[m].tiers, lo = Infinity, hi = -Infinity;
      units.forEach(function (u) { var e = entry(u, m); if (e && e.score !== null) { lo = Math.min(lo, e.score); hi = Math.max(hi, e.score); } });
      legend.innerHTML = tiers.map(function (t, k) {
        return '<span><i style="background:' + cityrankTierColour(k, tiers.length) + '"></i>' + text(t) + '</span>';
      }).join('') + '<span><i style="background:' + cityrankTierColour(-1, 0) + '"></i>no tier, or not in this method</span>';
      map.update(
        function (i) { var e = entry(units[i], m); return cityrankTierColour(e && e.tier ? tiers.indexOf(e.tier) : -1, tiers.length); },
        function (i) { var e = entry(units[i], m); return e && e.score !== null && hi > lo ? (e.score - lo) / (hi - lo) : NaN; },
        null
      );
    }
    pick.addEventListener('change', function () { m = +pick.value; show(); });
    show();
    rendered += 1;
    el.setAttribute('data-rendered', 'true');
    return map;
  }

  var kinds = {
    tiers: tiersChart, bump: bumpChart, shifts: shiftsChart, scatter: scatterChart, density: densityChart,
    tree: treeChart, breakdown: breakdownChart, map: mapChart
  };
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

/// The comparison as the report's script sees it: all of it, or for a summarised
/// report its methods and its units as columns.
#[derive(Serialize)]
#[serde(untagged)]
enum ReportData<'a> {
    Full(&'a CompareReport),
    Summarised {
        methods: &'a [MethodInfo],
        columns: Box<Columns<'a>>,
    },
}

/// The units of a summarised comparison column by column (a compact form of
/// [`CompareReport::units`], in the same order): per method, in the order of the
/// methods, each unit's rank, score (4 decimals), tier (an index into the method's
/// `tiers`: its tier labels, then any other found) and shift, with the positions
/// of the units the method does not have (`absent`; their values are null).
#[derive(Serialize)]
struct Columns<'a> {
    id: Vec<&'a str>,
    name: Vec<&'a str>,
    country: Vec<Option<&'a str>>,
    tiers: Vec<Vec<&'a str>>,
    rank: Vec<Vec<Option<u32>>>,
    score: Vec<Vec<Option<f64>>>,
    tier: Vec<Vec<Option<usize>>>,
    shift: Vec<Vec<Option<i64>>>,
    absent: Vec<Vec<usize>>,
}

/// The units of `report` as columns.
fn columns(report: &CompareReport) -> Columns<'_> {
    let n = report.units.len();
    let k = report.methods.len();
    let mut c = Columns {
        id: Vec::with_capacity(n),
        name: Vec::with_capacity(n),
        country: Vec::with_capacity(n),
        tiers: report
            .methods
            .iter()
            .map(|m| m.tiers.iter().map(String::as_str).collect())
            .collect(),
        rank: (0..k).map(|_| Vec::with_capacity(n)).collect(),
        score: (0..k).map(|_| Vec::with_capacity(n)).collect(),
        tier: (0..k).map(|_| Vec::with_capacity(n)).collect(),
        shift: (0..k).map(|_| Vec::with_capacity(n)).collect(),
        absent: vec![Vec::new(); k],
    };
    for (i, u) in report.units.iter().enumerate() {
        c.id.push(&u.id);
        c.name.push(&u.name);
        c.country.push(u.country.as_deref());
        for (m, method) in report.methods.iter().enumerate() {
            let Some(e) = u.methods.get(&method.label) else {
                c.rank[m].push(None);
                c.score[m].push(None);
                c.tier[m].push(None);
                c.shift[m].push(None);
                c.absent[m].push(i);
                continue;
            };
            let tier = e.tier.as_deref().map(|t| {
                let labels = &mut c.tiers[m];
                labels.iter().position(|l| *l == t).unwrap_or_else(|| {
                    labels.push(t);
                    labels.len() - 1
                })
            });
            c.rank[m].push(e.rank);
            c.score[m].push(round_to(e.score, 4));
            c.tier[m].push(tier);
            c.shift[m].push(e.shift);
        }
    }
    c
}

/// The methods' chart data of a summarised report: each breakdown keeps its top
/// and bottom `top` units.
fn summarised_methods(methods: &[MethodCharts], top: usize) -> Vec<MethodCharts> {
    methods
        .iter()
        .map(|m| {
            let all = &m.breakdown.units;
            let units = if all.len() <= 2 * top {
                all.clone()
            } else {
                all[..top].iter().chain(&all[all.len() - top..]).cloned().collect()
            };
            MethodCharts {
                label: m.label.clone(),
                framework: m.framework.clone(),
                breakdown: MethodBreakdown {
                    additive: m.breakdown.additive,
                    note: m.breakdown.note.clone(),
                    parts: m.breakdown.parts.clone(),
                    units,
                },
            }
        })
        .collect()
}

#[derive(Serialize)]
struct Blob<'a> {
    report: ReportData<'a>,
    methods: &'a [MethodCharts],
    charts: &'a [ChartSpec],
    /// Each unit's `[lat, lon]`, by the comparison's id (empty: no map).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    coordinates: &'a BTreeMap<String, [f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
}

/// The charts a report on `report` draws, in order (`methods`: the chart data as
/// the page gets them, summarised or not).
fn charts(report: &CompareReport, methods: &[MethodCharts], summary: Option<Summary>, located: bool) -> Vec<ChartSpec> {
    let units = report.units.len();
    let first = report.methods.first().map_or("", |m| m.label.as_str());
    let chart = |id: String, kind, method, title: String, height| ChartSpec {
        id,
        kind,
        method,
        node: None,
        title,
        height,
    };
    // One panel of 250 px per method, three to a row.
    let tier_rows = report.methods.len().div_ceil(3).max(1);
    let mut out = vec![chart(
        "chart-tiers".into(),
        "tiers",
        None,
        "Scores by tier (each method on its own scale)".into(),
        tier_rows * 250 + 10,
    )];
    match summary {
        None => out.push(chart(
            "chart-bump".into(),
            "bump",
            None,
            "Ranks across methods".into(),
            (units * 14 + 80).max(400),
        )),
        Some(s) => out.push(chart(
            "chart-bump".into(),
            "bump",
            None,
            format!(
                "Ranks across methods: the top {} of {first}, or the units you pick",
                s.top
            ),
            (s.top * 18 + 80).max(400),
        )),
    }
    if located {
        out.push(chart(
            "chart-map".into(),
            "map",
            None,
            "Where the units are: the tiers of a method".into(),
            0,
        ));
    }
    if report.methods.len() > 1 {
        if summary.is_some() {
            out.push(chart(
                "chart-shifts".into(),
                "shifts",
                None,
                format!("Rank shifts against {first}: units by shift"),
                420,
            ));
            out.push(chart(
                "chart-density".into(),
                "density",
                None,
                "Scores of two methods: units in each cell of a grid".into(),
                520,
            ));
        } else {
            out.push(chart(
                "chart-scatter".into(),
                "scatter",
                None,
                "Scores of two methods".into(),
                480,
            ));
        }
    }
    for (i, m) in methods.iter().enumerate() {
        let leaves = m
            .framework
            .iter()
            .filter(|n| !m.framework.iter().any(|c| c.parent.as_deref() == Some(n.id.as_str())))
            .count();
        out.push(chart(
            format!("chart-tree-{i}"),
            "tree",
            Some(i),
            format!("Framework of {}: weights (w) and effective weights (%)", m.label),
            (leaves * 24 + 40).max(240),
        ));
    }
    for (i, m) in methods.iter().enumerate() {
        let title = match summary {
            None => format!("Breakdown of every unit by pillar — {}", m.label),
            Some(s) => format!(
                "Breakdown by pillar of the top {t} and the bottom {t} units — {}",
                m.label,
                t = s.top
            ),
        };
        out.push(chart(
            format!("chart-breakdown-{i}"),
            "breakdown",
            Some(i),
            title,
            m.breakdown.units.len() * 16 + 90,
        ));
    }
    out
}

/// Number of charts the report on `report` draws (for checks): scores by tier,
/// the bump chart, a scatter (or when the report summarises, a histogram of rank
/// shifts and a density of scores) when there are two methods or more, and per
/// method its framework tree and breakdown.
pub fn chart_count(report: &CompareReport, located: bool) -> usize {
    let pair = usize::from(report.methods.len() > 1);
    let pair_charts = if summarises(report.units.len()) { 2 * pair } else { pair };
    2 + usize::from(located) + pair_charts + 2 * report.methods.len()
}

/// The HTML report of `report`; `methods` gives each method's framework and
/// breakdowns, in the order of `report.methods`. A report on more than
/// [`SUMMARY_ABOVE_UNITS`](super::SUMMARY_ABOVE_UNITS) units summarises (see the
/// module documentation of [`crate::html`]).
///
/// `coordinates` gives units' `[lat, lon]` by the comparison's ids (see
/// [`super::coordinates`]); with any, the report draws a map of the units coloured
/// by the tiers of the method the reader picks.
pub fn compare_report(
    report: &CompareReport,
    methods: &[MethodCharts],
    coordinates: &BTreeMap<String, [f64; 2]>,
) -> Result<String> {
    if methods.len() != report.methods.len() || methods.iter().zip(&report.methods).any(|(a, b)| a.label != b.label) {
        bail!("internal error: the chart data do not match the comparison's methods");
    }
    check_library()?;
    let summary = Summary::of(report.units.len());
    let trimmed;
    let (data, methods) = match summary {
        None => (ReportData::Full(report), methods),
        Some(s) => {
            trimmed = summarised_methods(methods, s.top);
            (
                ReportData::Summarised {
                    methods: &report.methods,
                    columns: Box::new(columns(report)),
                },
                trimmed.as_slice(),
            )
        }
    };
    let located = report.units.iter().any(|u| coordinates.contains_key(&u.id));
    let specs = charts(report, methods, summary, located);
    let blob = script_json(&Blob {
        report: data,
        methods,
        charts: &specs,
        summary,
        coordinates,
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
    if let Some(s) = summary {
        let _ = writeln!(
            h,
            "<p class=\"note summary\" id=\"summary-note\">This comparison has {} units, more than {}: a chart \
             with a line or a bar for every unit would take long to open and could not be read, so the charts \
             summarise. The bump chart shows the top {t} units of {first} (pick other units by id or name above \
             it){pairs}; the breakdowns show each method's top {t} and bottom {t} units. The scores by tier and \
             the frameworks are drawn in full, and the table of units at the end lists every unit, {} rows a page, \
             with a search.</p>",
            s.units,
            SUMMARY_ABOVE_UNITS,
            s.page_rows,
            t = s.top,
            first = esc(&report.methods[0].label),
            pairs = if report.methods.len() > 1 {
                "; the rank shifts are counted in bins (a histogram) and the scores of two methods drawn as a \
                 density: the number of units in each cell of a grid"
            } else {
                ""
            }
        );
    }

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
        match s.kind {
            "scatter" => {
                let _ = writeln!(h, "<div id=\"scatter-pick\"></div>");
            }
            "density" => {
                let _ = writeln!(h, "<div id=\"density-pick\"></div>");
            }
            "bump" if summary.is_some() => {
                let _ = writeln!(h, "<div id=\"bump-pick\" class=\"picker\"></div>");
            }
            _ => {}
        }
        if s.kind == "breakdown"
            && let Some(m) = s.method.and_then(|i| methods.get(i))
        {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&m.breakdown.note));
        }
        chart_container(&mut h, s);
    }

    // Units.
    match summary {
        Some(s) => {
            let _ = writeln!(
                h,
                "<h2>Units</h2>\n<p class=\"note\">Every unit ({}), in the order of the comparison, {} rows a page; \
                 the search keeps the units whose id or name contains the text typed.</p>\n<div id=\"units\" \
                 class=\"paged\"><noscript>The table of units is built by the page's script: turn JavaScript on, \
                 or see <code>cityrank compare --format csv</code>.</noscript></div>",
                s.units, s.page_rows
            );
        }
        None => units_table(&mut h, report),
    }
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

    if located {
        h.push_str(&super::map::assets());
    }
    close_page(&mut h, &blob, &SCRIPT);
    Ok(h)
}

/// The table of every unit, in the page (a report that does not summarise).
fn units_table(h: &mut String, report: &CompareReport) {
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
}
