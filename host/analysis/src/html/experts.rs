//! The HTML report of an expert panel (`cityrank experts --format html`): per node
//! the experts' weights of each child as a strip plot (one dot per expert,
//! inconsistent experts hollow) beside the panel's weight (a bar) and the
//! methodology's own (a line marker), then the node's agreement and the experts'
//! consistency in tables.

use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;

use super::{ChartSpec, Script, chart_container, check_library, close_page, esc, open_page, script_json};
use crate::experts::settings_text;
use cityrank_core::experts::ExpertsReport;
use cityrank_core::report::fmt_opt;

const SCRIPT: Script<'static> = Script {
    data: "  var report = data.report;\n",
    helpers: "",
    charts: r#"  function nodeChart(spec) {
    var node = report.nodes[spec.node];
    var names = node.child_names;
    var dots = [], hollow = [];
    node.experts.forEach(function (e, k) {
      e.weights.forEach(function (w, c) {
        // Spread the dots of one child sideways (deterministic: by expert).
        var x = c + ((k + 0.5) / node.experts.length - 0.5) * 0.5;
        var point = { value: [x, round(w * 100, 2)], name: e.expert, cr: e.cr };
        if (e.inconsistent) hollow.push(point); else dots.push(point);
      });
    });
    // The dots and markers sit on a hidden value axis over the same span as the
    // categories (a category axis would round their sideways spread away).
    var series = [
      { name: 'panel', type: 'bar', data: node.weights.map(function (w) { return round(w * 100, 2); }),
        barWidth: '60%', itemStyle: { color: 'rgba(84,112,198,0.25)' }, z: 1 },
      { name: 'expert', type: 'scatter', xAxisIndex: 1, data: dots, symbolSize: 7, itemStyle: { color: '#5470c6' }, z: 3 },
      { name: 'inconsistent expert (CR > ' + report.cr_threshold + ')', type: 'scatter', xAxisIndex: 1, data: hollow,
        symbolSize: 7, itemStyle: { color: '#fff', borderColor: '#ee6666', borderWidth: 1.5 }, z: 3 }
    ];
    if (node.nominal) {
      series.push({ name: 'methodology', type: 'scatter', xAxisIndex: 1, symbol: 'rect', symbolSize: [30, 3],
        data: node.nominal.map(function (w, c) { return [c, round(w * 100, 2)]; }),
        itemStyle: { color: '#333' }, z: 4 });
    }
    return draw(spec.id, {
      tooltip: {
        trigger: 'item',
        formatter: function (p) {
          if (p.seriesName === 'panel') return names[p.dataIndex] + ': panel ' + p.value + '%';
          if (p.seriesName === 'methodology') return names[p.value[0]] + ': methodology ' + p.value[1] + '%';
          var d = p.data;
          return d.name + ': ' + d.value[1] + '%' + (d.cr !== null && d.cr !== undefined ? ' (CR ' + round(d.cr, 3) + ')' : '');
        }
      },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 70 },
      xAxis: [
        { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 4 ? 20 : 0 } },
        { type: 'value', min: -0.5, max: names.length - 0.5, show: false }
      ],
      yAxis: { type: 'value', name: 'weight (%)', min: 0, axisLine: { onZero: false } },
      series: series
    });
  }

  var kinds = { node: nodeChart };
"#,
};

#[derive(Serialize)]
struct Blob<'a> {
    report: &'a ExpertsReport,
    charts: &'a [ChartSpec],
}

/// The HTML report of an expert panel.
pub fn experts_report(report: &ExpertsReport) -> Result<String> {
    check_library()?;
    let specs: Vec<ChartSpec> = report
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| ChartSpec {
            id: format!("chart-node-{k}"),
            kind: "node",
            method: None,
            node: Some(k),
            title: format!("{} ({})", n.name, n.id),
            height: 360,
        })
        .collect();
    let blob = script_json(&Blob { report, charts: &specs })?;
    let title = format!("Expert panel — {}", report.file);
    let mut h = String::new();
    open_page(&mut h, &title);
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        h,
        "<p class=\"note\">cityrank {} · {} experts, {} nodes{} · panel file SHA-256 <code>{}</code></p>\n<p>{}. CR: \
         Saaty's consistency ratio (above {} the expert's comparisons contradict each other); W: Kendall's \
         concordance of the experts' orders (1 = all alike); distance: the share of weight an expert would move \
         to match the panel.</p>",
        esc(&report.cityrank),
        report.experts.len(),
        report.nodes.len(),
        report
            .methodology
            .as_deref()
            .map(|m| format!(", checked against {}", esc(m)))
            .unwrap_or_default(),
        esc(&report.sha256),
        esc(&settings_text(report)),
        report.cr_threshold
    );
    for (node, spec) in report.nodes.iter().zip(&specs) {
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<p class=\"note\">{} experts · W {}{}</p>",
            esc(&spec.title),
            node.experts.len(),
            fmt_opt(node.kendall_w, 2),
            node.panel_cr
                .map(|c| format!(" · the panel's matrix CR {c:.3}"))
                .unwrap_or_default()
        );
        chart_container(&mut h, spec);
        let _ = write!(h, "<table>\n<tr><th>child</th><th>panel</th>");
        if node.nominal.is_some() {
            let _ = write!(h, "<th>methodology</th>");
        }
        let _ = writeln!(h, "</tr>");
        for (c, name) in node.child_names.iter().enumerate() {
            let _ = write!(
                h,
                "<tr><td>{} <code>{}</code></td><td class=\"num\">{:.1}%</td>",
                esc(name),
                esc(&node.children[c]),
                node.weights[c] * 100.0
            );
            if let Some(n) = &node.nominal {
                let _ = write!(h, "<td class=\"num\">{:.1}%</td>", n[c] * 100.0);
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(
        h,
        "<h2>Experts</h2>\n<table>\n<tr><th>expert</th><th>nodes</th><th>max CR</th><th>inconsistent at</th><th>mean \
         distance</th><th>outlier at</th><th>left out at</th></tr>"
    );
    for e in &report.experts {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td \
             class=\"num\">{:.2}</td><td>{}</td><td>{}</td></tr>",
            esc(&e.id),
            e.nodes,
            fmt_opt(e.max_cr, 3),
            esc(&e.inconsistent.join(", ")),
            e.mean_distance,
            esc(&e.outlier_at.join(", ")),
            esc(&e.excluded_at.join(", "))
        );
    }
    let _ = writeln!(h, "</table>");
    close_page(&mut h, &blob, &SCRIPT);
    Ok(h)
}
