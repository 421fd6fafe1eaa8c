//! The HTML report of an uncertainty and sensitivity analysis
//! (`cityrank sensitivity --format html`).
//!
//! Charts: each unit's rank interval (median, 5th–95th percentile, nominal rank),
//! the Sobol indices with their bootstrap intervals (for a sensitivity analysis),
//! each unit's shares of builds by tier, and the mean rank shift when each
//! indicator or pillar is left out (when leave-one-out was run). Tables give the
//! same numbers.
//!
//! An analysis of more than [`SUMMARY_ABOVE_UNITS`] units summarises: the rank
//! intervals and the tier stability show the top and the bottom
//! [`SUMMARY_TOP`](super::SUMMARY_TOP) units of the nominal ranking (the top and
//! the bottom on rank axes of their own) or the units picked in a text box; a
//! histogram counts the units by the width of their rank interval, a chart gives
//! the mean tier shares of each nominal tier's units, and the table of units is
//! built by the page (paged, searchable) from the units as columns ([`Columns`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;

use super::{
    ChartSpec, SUMMARY_ABOVE_UNITS, Script, Summary, chart_container, check_library, close_page, esc, open_page,
    round_to, script_json,
};
use crate::sensitivity::{DesignInfo, DesignKind, LeaveOneOut, SensitivityReport, SobolInfo};
use cityrank_core::report::fmt_opt;

/// The report's own script (drawing the charts from the data blob).
const SCRIPT: Script<'static> = Script {
    data: "  var report = data.report;\n  var summary = data.summary || null;\n  \
           var units = report.units || unitsFromColumns(report.columns);\n",
    helpers: r#"  // The units of a summarised report, from its columns (as `report.units`).
  function unitsFromColumns(c) {
    return c.id.map(function (id, i) {
      var shares = {};
      c.labels.forEach(function (t, k) { var x = c.shares[k][i]; if (x) shares[t] = x; });
      var t = c.nominal_tier[i];
      return {
        id: id, name: c.name[i], nominal_rank: c.nominal_rank[i], nominal_score: c.nominal_score[i],
        nominal_tier: t === null ? null : c.labels[t], mean_rank: c.mean_rank[i], median_rank: c.median_rank[i],
        q5_rank: c.q5_rank[i], q95_rank: c.q95_rank[i], tier_shares: shares
      };
    });
  }
  // The units a summarised report's per-unit charts show by default: the top and
  // the bottom `summary.top` of the nominal ranking.
  function defaultUnits() {
    var ranked = units.filter(function (u) { return u.nominal_rank !== null; });
    if (ranked.length <= 2 * summary.top) return ranked;
    return ranked.slice(0, summary.top).concat(ranked.slice(ranked.length - summary.top));
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
    charts: r#"  // `list` (in nominal order) in one group, or when the report summarises and
  // the largest gap between consecutive nominal ranks is wider than the rest of
  // their span (as between the top and the bottom units), in two, each drawn on a
  // rank axis of its own.
  function rankGroups(list) {
    if (!summary || list.length < 2) return [list];
    var at = -1, gap = 0;
    for (var i = 1; i < list.length; i++) {
      var a = list[i - 1].nominal_rank, b = list[i].nominal_rank;
      if (a !== null && b !== null && b - a > gap) { gap = b - a; at = i; }
    }
    var ranked = list.filter(function (u) { return u.nominal_rank !== null; });
    if (at < 0 || ranked.length < 2) return [list];
    var span = ranked[ranked.length - 1].nominal_rank - ranked[0].nominal_rank;
    return gap > span - gap ? [list.slice(0, at), list.slice(at)] : [list];
  }

  // The height of the rank intervals of `list` in a summarised report: 16 px a
  // unit, and 45 px between groups.
  function intervalsHeight(list) { return 85 + 16 * list.length + 45 * (rankGroups(list).length - 1); }

  function intervalsOption(list) {
    var groups = rankGroups(list);
    var color = '#5470c6';
    var tip = function (p) {
      var u = groups[Math.floor(p.seriesIndex / 3)][p.dataIndex];
      return text(unitLabel(u)) + '<br>nominal rank ' + num(u.nominal_rank, 0) + '<br>median ' + num(u.median_rank, 1) +
        ', mean ' + num(u.mean_rank, 2) + '<br>5th–95th percentile ' + num(u.q5_rank, 1) + '–' + num(u.q95_rank, 1);
    };
    var grids = [], xAxes = [], yAxes = [], series = [], top = 40;
    groups.forEach(function (g, k) {
      var minRank = summary ? Infinity : 1, maxRank = 1;
      g.forEach(function (u) {
        [u.nominal_rank, u.q95_rank].forEach(function (r) { if (r !== null) maxRank = Math.max(maxRank, Math.ceil(r)); });
        if (summary) {
          [u.nominal_rank, u.q5_rank].forEach(function (r) { if (r !== null) minRank = Math.min(minRank, Math.floor(r)); });
        }
      });
      if (summary) { minRank = Math.max(1, minRank - 1); maxRank += 1; }
      if (!(minRank <= maxRank)) minRank = 1;
      if (summary) {
        grids.push({ left: 190, right: 30, top: top, height: 16 * g.length });
        top += 16 * g.length + 45;
      } else {
        grids.push({ left: 190, right: 30, top: 40, bottom: 45 });
      }
      xAxes.push({
        gridIndex: k, type: 'value', name: k === groups.length - 1 ? 'rank' : '', nameLocation: 'middle', nameGap: 28,
        min: minRank, max: maxRank, minInterval: 1, axisLabel: { hideOverlap: true }
      });
      yAxes.push({ gridIndex: k, type: 'category', inverse: true, data: g.map(unitLabel), axisLabel: { interval: 0, fontSize: 11 } });
      series.push(
        {
          type: 'custom', name: '5th–95th percentile', xAxisIndex: k, yAxisIndex: k, itemStyle: { color: color }, encode: { x: [1, 2], y: 0 },
          data: g.map(function (u, i) { return [i, orMissing(u.q5_rank), orMissing(u.q95_rank)]; }),
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
          type: 'scatter', name: 'median rank', xAxisIndex: k, yAxisIndex: k, symbolSize: 7, itemStyle: { color: color },
          data: g.map(function (u, i) { return [orMissing(u.median_rank), i]; })
        },
        {
          type: 'scatter', name: 'nominal rank', xAxisIndex: k, yAxisIndex: k, symbol: 'diamond', symbolSize: 12,
          itemStyle: { color: 'rgba(0,0,0,0)', borderColor: '#d62728', borderWidth: 2 },
          data: g.map(function (u, i) { return [orMissing(u.nominal_rank), i]; })
        }
      );
    });
    return {
      tooltip: { trigger: 'item', formatter: tip },
      legend: { top: 0, data: ['5th–95th percentile', 'median rank', 'nominal rank'] },
      grid: grids, xAxis: xAxes, yAxis: yAxes, series: series
    };
  }

  // The charts of a summarised report that show a subset of the units (the
  // picker redraws them).
  var subsetCharts = [];

  // Draws `option(list)` for every unit, or when the report summarises for the
  // default units, in a container of `height(list)` pixels (and registers the
  // chart with the picker).
  function unitsChart(spec, option, height) {
    var list = summary ? defaultUnits() : units;
    var el = document.getElementById(spec.id);
    if (summary && el) el.style.height = height(list) + 'px';
    var chart = draw(spec.id, option(list));
    shown(spec.id, list.length);
    if (chart && summary) subsetCharts.push({ id: spec.id, el: el, chart: chart, option: option, height: height });
    return chart;
  }
  if (summary) {
    after.push(function () {
      var key = function (u) { return u.nominal_rank === null ? Infinity : u.nominal_rank; };
      unitPicker('units-pick', units, defaultUnits(), function (picked) {
        var list = picked.slice().sort(function (a, b) { return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0; });
        subsetCharts.forEach(function (s) {
          var option = s.option(list);
          option.animation = false;
          s.el.style.height = s.height(list) + 'px';
          s.chart.resize();
          s.chart.setOption(option, true);
          shown(s.id, list.length);
        });
      });
    });
  }

  function intervalsChart(spec) { return unitsChart(spec, intervalsOption, intervalsHeight); }

  function widthsChart(spec) {
    var widths = [];
    units.forEach(function (u) { if (u.q5_rank !== null && u.q95_rank !== null) widths.push(u.q95_rank - u.q5_rank); });
    var h = histogram(widths, 40, false);
    shown(spec.id, widths.length);
    return draw(spec.id, {
      tooltip: {
        trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: function (ps) { var b = h.bins[ps[0].dataIndex]; return 'width ' + binLabel(b, h.width, false) + ': ' + b.count + ' units'; }
      },
      grid: { left: 70, right: 30, top: 30, bottom: 60 },
      xAxis: {
        type: 'category', data: h.bins.map(function (b) { return String(b.lo); }),
        name: 'width of the 5th–95th percentile interval of the rank (ranks; bins start at the value shown)', nameLocation: 'middle', nameGap: 35
      },
      yAxis: { type: 'value', name: 'units', minInterval: 1 },
      series: [{ type: 'bar', name: 'units', barWidth: '90%', itemStyle: { color: '#5470c6' }, data: h.bins.map(function (b) { return b.count; }) }]
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

  // Tier labels (best first, then any other found) and their colours.
  function tierLabels() {
    var labels = report.tiers.slice();
    var colors = labels.map(function (_, k) { return tierColor(k, labels.length); });
    var add = function (t) { if (labels.indexOf(t) < 0) { labels.push(t); colors.push('#b0b0b0'); } };
    // A summarised report lists every label of its columns (a share rounded to 0 is
    // left out of a unit's shares, not out of the legend).
    if (report.columns) report.columns.labels.forEach(add);
    units.forEach(function (u) { Object.keys(u.tier_shares).forEach(add); });
    return { labels: labels, colors: colors };
  }

  function tierOption(list) {
    var tl = tierLabels(), labels = tl.labels, colors = tl.colors;
    var series = labels.map(function (t, k) {
      return {
        type: 'bar', stack: 'shares', name: t, barWidth: '70%', itemStyle: { color: colors[k] },
        data: list.map(function (u) { return round((u.tier_shares[t] || 0) * 100, 1); })
      };
    });
    return {
      tooltip: {
        trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: function (ps) {
          var u = list[ps[0].dataIndex];
          var lines = [text(unitLabel(u)) + ' (nominal: ' + text(u.nominal_tier === null ? 'unranked' : u.nominal_tier) + ')'];
          ps.forEach(function (p) { if (p.value > 0) lines.push(p.marker + text(p.seriesName) + ': ' + p.value + '%'); });
          return lines.join('<br>');
        }
      },
      legend: { top: 0 },
      grid: { left: 190, right: 30, top: 40, bottom: 45 },
      xAxis: { type: 'value', min: 0, max: 100, name: 'share of builds (%)', nameLocation: 'middle', nameGap: 28 },
      yAxis: { type: 'category', inverse: true, data: list.map(unitLabel), axisLabel: { interval: 0, fontSize: 11 } },
      series: series
    };
  }

  function tiersChart(spec) {
    return unitsChart(spec, tierOption, function (list) { return Math.max(240, 16 * list.length + 90); });
  }

  // For the units of each nominal tier, the mean share of builds in each tier.
  function tierMixChart(spec) {
    var tl = tierLabels(), labels = tl.labels;
    var groups = labels.map(function () { return { n: 0, sums: labels.map(function () { return 0; }) }; });
    units.forEach(function (u) {
      var g = labels.indexOf(u.nominal_tier === null ? 'unranked' : u.nominal_tier);
      if (g < 0) return;
      groups[g].n += 1;
      labels.forEach(function (t, k) { groups[g].sums[k] += u.tier_shares[t] || 0; });
    });
    var rows = [];
    groups.forEach(function (g, k) { if (g.n > 0) rows.push({ label: labels[k], n: g.n, sums: g.sums }); });
    var series = labels.map(function (t, k) {
      return {
        type: 'bar', stack: 'shares', name: t, barWidth: '60%', itemStyle: { color: tl.colors[k] },
        data: rows.map(function (r) { return round(r.sums[k] / r.n * 100, 1); })
      };
    });
    shown(spec.id, rows.reduce(function (a, r) { return a + r.n; }, 0));
    return draw(spec.id, {
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 0 },
      grid: { left: 190, right: 30, top: 40, bottom: 45 },
      xAxis: { type: 'value', min: 0, max: 100, name: 'mean share of builds (%)', nameLocation: 'middle', nameGap: 28 },
      yAxis: {
        type: 'category', inverse: true, name: 'nominal tier',
        data: rows.map(function (r) { return r.label + ' (' + r.n + ' units)'; })
      },
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

  function unitsTable() {
    var labels = tierLabels().labels;
    var columns = [
      { label: 'rank', num: true, cell: function (u) { return u.nominal_rank === null ? '–' : u.nominal_rank; } },
      { label: 'unit', cell: function (u) { return u.name; } },
      { label: 'id', cell: function (u) { return u.id; } },
      { label: 'score', num: true, cell: function (u) { return u.nominal_score === null ? '–' : u.nominal_score.toFixed(2); } },
      { label: 'tier', cell: function (u) { return u.nominal_tier === null ? '–' : u.nominal_tier; } },
      { label: 'median rank', num: true, cell: function (u) { return u.median_rank === null ? '–' : u.median_rank.toFixed(1); } },
      { label: 'mean rank', num: true, cell: function (u) { return u.mean_rank === null ? '–' : u.mean_rank.toFixed(2); } },
      { label: 'q5', num: true, cell: function (u) { return u.q5_rank === null ? '–' : u.q5_rank.toFixed(1); } },
      { label: 'q95', num: true, cell: function (u) { return u.q95_rank === null ? '–' : u.q95_rank.toFixed(1); } }
    ];
    labels.forEach(function (t) {
      columns.push({ label: 'share ' + t, num: true, cell: function (u) { return ((u.tier_shares[t] || 0) * 100).toFixed(0) + '%'; } });
    });
    pagedTable({
      id: 'units', name: 'Units', rows: units, columns: columns, pageSize: summary.page_rows,
      key: function (u) { return u.id + '\n' + u.name; }, searchLabel: 'Search units by id or name:'
    });
  }
  if (summary) after.push(unitsTable);

  // Tier stability on the map (`cityrankMap`): the share of the builds that kept
  // each unit in its nominal tier, from red (0) to green (1).
  function mapChart(spec) {
    var el = document.getElementById(spec.id);
    if (!el) { errors.push('no chart container #' + spec.id); return null; }
    var countries = JSON.parse(document.getElementById('cityrank-countries').textContent).countries;
    var points = [];
    units.forEach(function (u, i) { var at = data.coordinates[u.id]; if (at) points.push({ index: i, id: u.id, lat: at[0], lon: at[1] }); });
    var kept = function (u) { return u.nominal_tier === null ? null : (u.tier_shares[u.nominal_tier] || 0); };
    var legend = document.createElement('div'); legend.className = 'legend';
    legend.innerHTML = [1, 0.75, 0.5, 0.25, 0].map(function (x) {
      return '<span><i style="background:' + cityrankTierColour(Math.round((1 - x) * 4), 5) + '"></i>' + Math.round(100 * x) + '% of builds</span>';
    }).join('') + '<span><i style="background:' + cityrankTierColour(-1, 0) + '"></i>no nominal tier</span>';
    el.append(legend);
    var lo = Infinity, hi = -Infinity;
    units.forEach(function (u) { if (u.nominal_score !== null) { lo = Math.min(lo, u.nominal_score); hi = Math.max(hi, u.nominal_score); } });
    var map = cityrankMap(el, countries, points, {
      prefix: 'map-', label: 'Map of the units, coloured by how often they keep their nominal tier',
      tip: function (i) {
        var u = units[i], k = kept(u);
        return '<b>' + text(u.name) + '</b><br>nominal rank ' + orMissing(u.nominal_rank) +
          (u.nominal_tier ? ', ' + text(u.nominal_tier) : '') +
          (k === null ? '' : '<br>kept its tier in ' + Math.round(100 * k) + '% of builds') +
          '<br>rank 5–95%: ' + num(u.q5_rank, 1) + '–' + num(u.q95_rank, 1);
      }
    });
    map.update(
      function (i) { var k = kept(units[i]); return k === null ? cityrankTierColour(-1, 0) : cityrankTierColour((1 - k) * 4, 5); },
      function (i) { var v = units[i].nominal_score; return v === null || !(hi > lo) ? NaN : (v - lo) / (hi - lo); },
      null
    );
    rendered += 1;
    el.setAttribute('data-rendered', 'true');
    return map;
  }

  var kinds = {
    intervals: intervalsChart, widths: widthsChart, sobol: sobolChart, tiers: tiersChart, tiermix: tierMixChart,
    loo: looChart, map: mapChart
  };
"#,
};

/// The analysis as the report's script sees it: all of it, or for a summarised
/// report what its charts use, with the units as columns.
#[derive(Serialize)]
#[serde(untagged)]
enum ReportData<'a> {
    Full(&'a SensitivityReport),
    Summarised {
        tiers: &'a [String],
        sensitivity: Option<&'a SobolInfo>,
        leave_one_out: &'a [LeaveOneOut],
        columns: Box<Columns<'a>>,
    },
}

/// The units of a summarised report column by column (a compact form of
/// [`SensitivityReport::units`], in the same order): ranks to 2 decimals, scores
/// to 4, the nominal tier as an index into `labels` (the tier labels of the
/// shares, see [`share_labels`]) and per label each unit's share of builds, to 3
/// decimals (the page shows shares as whole percentages).
#[derive(Serialize)]
struct Columns<'a> {
    id: Vec<&'a str>,
    name: Vec<&'a str>,
    nominal_rank: Vec<Option<u32>>,
    nominal_score: Vec<Option<f64>>,
    nominal_tier: Vec<Option<usize>>,
    mean_rank: Vec<Option<f64>>,
    median_rank: Vec<Option<f64>>,
    q5_rank: Vec<Option<f64>>,
    q95_rank: Vec<Option<f64>>,
    labels: Vec<String>,
    shares: Vec<Vec<f64>>,
}

/// The units of `r` as columns.
fn columns(r: &SensitivityReport) -> Columns<'_> {
    let mut labels = share_labels(r);
    for u in &r.units {
        if let Some(t) = &u.nominal_tier
            && !labels.contains(t)
        {
            labels.push(t.clone());
        }
    }
    let shares = labels
        .iter()
        .map(|t| {
            r.units
                .iter()
                .map(|u| round_to(u.tier_shares.get(t).copied(), 3).unwrap_or(0.0))
                .collect()
        })
        .collect();
    Columns {
        id: r.units.iter().map(|u| u.id.as_str()).collect(),
        name: r.units.iter().map(|u| u.name.as_str()).collect(),
        nominal_rank: r.units.iter().map(|u| u.nominal_rank).collect(),
        nominal_score: r.units.iter().map(|u| round_to(u.nominal_score, 4)).collect(),
        nominal_tier: r
            .units
            .iter()
            .map(|u| u.nominal_tier.as_ref().and_then(|t| labels.iter().position(|l| l == t)))
            .collect(),
        mean_rank: r.units.iter().map(|u| round_to(u.mean_rank, 2)).collect(),
        median_rank: r.units.iter().map(|u| round_to(u.median_rank, 2)).collect(),
        q5_rank: r.units.iter().map(|u| round_to(u.q5_rank, 2)).collect(),
        q95_rank: r.units.iter().map(|u| round_to(u.q95_rank, 2)).collect(),
        labels,
        shares,
    }
}

#[derive(Serialize)]
struct Blob<'a> {
    report: ReportData<'a>,
    charts: &'a [ChartSpec],
    /// Each unit's `[lat, lon]` by id (empty: no map).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    coordinates: &'a BTreeMap<String, [f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Summary>,
}

/// The charts a report on `r` draws, in order.
fn charts(r: &SensitivityReport, located: bool) -> Vec<ChartSpec> {
    let summary = Summary::of(r.units.len());
    let per_unit = match summary {
        None => (r.units.len() * 16 + 90).max(240),
        // As the page sets it (`intervalsHeight`): the top and the bottom units
        // as two groups.
        Some(s) => 2 * s.top * 16 + 85 + 45,
    };
    let chart = |id: &str, kind, title: String, height| ChartSpec {
        id: id.into(),
        kind,
        method: None,
        node: None,
        title,
        height,
    };
    let subset = |what: &str| match summary {
        None => what.to_string(),
        Some(s) => format!(
            "{what}: the top {t} and the bottom {t} units, or the units you pick",
            t = s.top
        ),
    };
    let mut out = vec![chart("chart-ranks", "intervals", subset("Rank intervals"), per_unit)];
    if summary.is_some() {
        out.push(chart(
            "chart-widths",
            "widths",
            "Widths of the rank intervals: units by width".into(),
            420,
        ));
    }
    if r.sensitivity.is_some() {
        out.push(chart("chart-sobol", "sobol", "Sobol indices".into(), 420));
    }
    out.push(chart("chart-tiers", "tiers", subset("Tier stability"), per_unit));
    if located {
        out.push(chart("chart-map", "map", "Tier stability on the map".into(), 0));
    }
    if summary.is_some() {
        let rows = share_labels(r).len();
        out.push(chart(
            "chart-tiermix",
            "tiermix",
            "Tier stability by nominal tier".into(),
            (rows * 36 + 90).max(240),
        ));
    }
    if !r.leave_one_out.is_empty() {
        let height = (r.leave_one_out.len() * 18 + 90).max(240);
        out.push(chart("chart-loo", "loo", "Leave one out".into(), height));
    }
    out
}

/// Number of charts the report on `r` draws (for checks): rank intervals and tier
/// stability, the Sobol indices unless it is an uncertainty analysis only, the
/// leave-one-out shifts when they were computed, and when the report summarises
/// (more than [`SUMMARY_ABOVE_UNITS`] units) the widths of the rank intervals and
/// the tier stability by nominal tier.
pub fn sensitivity_chart_count(r: &SensitivityReport, located: bool) -> usize {
    charts(r, located).len()
}

/// The section of `kind`'s chart: its heading, `note` (HTML), `before` (HTML, e.g.
/// a picker) and container.
fn chart_section(h: &mut String, specs: &[ChartSpec], kind: &str, note: &str, before: &str) {
    if let Some(s) = specs.iter().find(|s| s.kind == kind) {
        let _ = writeln!(h, "<h2>{}</h2>\n<p class=\"note\">{note}</p>{before}", esc(&s.title));
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
///
/// `coordinates` gives units' `[lat, lon]` by id (see [`super::coordinates`]);
/// with any, the report maps how often each unit keeps its nominal tier.
pub fn sensitivity_report(r: &SensitivityReport, coordinates: &BTreeMap<String, [f64; 2]>) -> Result<String> {
    check_library()?;
    let located = r.units.iter().any(|u| coordinates.contains_key(&u.id));
    let specs = charts(r, located);
    let summary = Summary::of(r.units.len());
    let blob = script_json(&Blob {
        report: match summary {
            None => ReportData::Full(r),
            Some(_) => ReportData::Summarised {
                tiers: &r.tiers,
                sensitivity: r.sensitivity.as_ref(),
                leave_one_out: &r.leave_one_out,
                columns: Box::new(columns(r)),
            },
        },
        charts: &specs,
        summary,
        coordinates,
    })?;
    let d = &r.design;
    let title = format!(
        "{} analysis — {} ({})",
        if d.uncertainty_only {
            "Uncertainty"
        } else {
            "Sensitivity"
        },
        r.subject(),
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
    header(&mut h, r, &title, summary);
    inputs_section(&mut h, d);
    intervals_section(&mut h, &specs, &over, summary.is_some());
    sobol_section(&mut h, r, &specs);
    tiers_section(&mut h, r, &specs, &over);
    leave_one_out_section(&mut h, r, &specs);
    units_section(&mut h, r, summary);
    if located {
        h.push_str(&super::map::assets());
    }
    close_page(&mut h, &blob, &SCRIPT);
    Ok(h)
}

/// The page's heading: the title, how the analysis was run (design, size, seed,
/// hashes), and, for a summarised report, what it summarises.
fn header(h: &mut String, r: &SensitivityReport, title: &str, summary: Option<Summary>) {
    let d = &r.design;
    let _ = writeln!(h, "<h1>{}</h1>", esc(title));
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
    if let Some(s) = summary {
        let _ = writeln!(
            h,
            "<p class=\"note summary\" id=\"summary-note\">This analysis has {} units, more than {}: a chart \
             with a row for every unit would take long to open and could not be read, so the charts summarise. \
             The rank intervals and the tier stability are drawn for the top {t} and the bottom {t} units of the \
             nominal ranking (pick other units by id or name above the rank intervals); the widths of every unit's \
             rank interval are counted in bins (a histogram), and the tier stability of every unit is averaged by \
             nominal tier. The table of units at the end lists every unit, {} rows a page, with a search.</p>",
            s.units,
            SUMMARY_ABOVE_UNITS,
            s.page_rows,
            t = s.top
        );
    }
}

/// The uncertain inputs and their alternatives.
fn inputs_section(h: &mut String, d: &DesignInfo) {
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
}

/// Rank intervals (and, summarised, the picker) and their widths.
fn intervals_section(h: &mut String, specs: &[ChartSpec], over: &str, summarised: bool) {
    chart_section(
        h,
        specs,
        "intervals",
        &format!(
            "Each unit's median rank (dot) and the 5th–95th percentiles of its rank (whisker) over {over}; \
             the hollow diamond marks the nominal rank. Units in nominal order."
        ),
        if summarised {
            "\n<div id=\"units-pick\" class=\"picker\"></div>"
        } else {
            ""
        },
    );
    chart_section(
        h,
        specs,
        "widths",
        &format!(
            "The number of units by the width of their rank interval (95th − 5th percentile of the rank over \
             {over}): narrow intervals are ranks the uncertain inputs hardly move."
        ),
        "",
    );
}

/// The Sobol indices of the target, as a chart and a table, or why there are none.
fn sobol_section(h: &mut String, r: &SensitivityReport, specs: &[ChartSpec]) {
    let d = &r.design;
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
            chart_section(h, specs, "sobol", &note, "");
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
}

/// Tier stability: the shares per tier, the map, the tiers' mix, the top tier's
/// changes and each weight input's tier changes on its own.
fn tiers_section(h: &mut String, r: &SensitivityReport, specs: &[ChartSpec], over: &str) {
    chart_section(
        h,
        specs,
        "tiers",
        &format!(
            "The share of the {over} that put each unit in each tier (best tier first; <code>unranked</code>: \
             screened out). Units in nominal order."
        ),
        "",
    );
    chart_section(
        h,
        specs,
        "map",
        &format!(
            "Where the units are, each coloured by the share of the {over} that kept it in its nominal tier (green: \
             always, red: never) and sized by its nominal score; point at a unit for its figures."
        ),
        "",
    );
    chart_section(
        h,
        specs,
        "tiermix",
        &format!(
            "For the units of each nominal tier, the mean over the units of the share of the {over} that put them \
             in each tier: how often a tier's units keep it."
        ),
        "",
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
}

/// The rank shifts when each indicator or pillar is left out, or why there are none.
fn leave_one_out_section(h: &mut String, r: &SensitivityReport, specs: &[ChartSpec]) {
    if r.leave_one_out.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Leave one out</h2>\n<p class=\"note\" id=\"loo-absent\">No leave-one-out results: it was not run \
             (<code>leave_one_out = false</code> in the edition's <code>[sensitivity]</code> table), or no \
             ranking could be built without any of the nodes.</p>"
        );
    } else {
        chart_section(
            h,
            specs,
            "loo",
            "The mean absolute rank shift against the nominal ranking when each indicator or pillar is left \
             out, largest first.",
            "",
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
}

/// Every unit: a table in the page, or (summarised) a paged, searchable one the
/// script builds.
fn units_section(h: &mut String, r: &SensitivityReport, summary: Option<Summary>) {
    match summary {
        Some(s) => {
            let _ = writeln!(
                h,
                "<h2>Units</h2>\n<p class=\"note\">Every unit ({}), in nominal order, {} rows a page; the search \
                 keeps the units whose id or name contains the text typed.</p>\n<div id=\"units\" \
                 class=\"paged\"><noscript>The table of units is built by the page's script: turn JavaScript on, \
                 or see <code>cityrank sensitivity --format csv</code>.</noscript></div>",
                s.units, s.page_rows
            );
        }
        None => units_table(h, r),
    }
}

/// The table of every unit, in the page (a report that does not summarise).
fn units_table(h: &mut String, r: &SensitivityReport) {
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
}
