//! The methodology appendix as a web page (`cityrank document --format html`): the
//! Markdown appendix of [`crate::document::markdown`] rendered to HTML
//! (pulldown-cmark, tables on), with the framework drawn as a sunburst — the index
//! named at the centre, each ring one level down (a colour per pillar), every node's angle its effective
//! weight — under "Framework and weights".

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{ChartSpec, Script, chart_container, check_library, close_page, open_page, script_json};
use cityrank_core::results::NodeInfo;

/// The heading the sunburst goes under, as pulldown-cmark renders it.
const FRAMEWORK_HEADING: &str = "<h2>Framework and weights</h2>\n";

/// The page's own script: the framework as nested ECharts sunburst data, the
/// leaves' values their effective weights (ECharts sums them up the tree, so an
/// aggregate's angle is its effective weight too).
const SCRIPT: Script<'static> = Script {
    data: "  var framework = data.framework;\n",
    helpers: "",
    charts: r#"  function sunburstChart(spec) {
    var byId = {}, root = null;
    framework.forEach(function (n) {
      byId[n.id] = {
        id: n.id, name: n.name,
        weight: n.weight, effective: n.effective_weight,
        children: []
      };
    });
    framework.forEach(function (n) {
      if (n.parent) byId[n.parent].children.push(byId[n.id]); else root = byId[n.id];
    });
    function finish(node) {
      if (node.children.length === 0) { delete node.children; node.value = node.effective; }
      else node.children.forEach(finish);
    }
    finish(root);
    return draw(spec.id, {
      tooltip: {
        trigger: 'item',
        formatter: function (p) {
          var d = p.data;
          return d.name + ' (' + d.id + ')<br>weight ' + round(d.weight, 4) +
            ' · effective ' + round(d.effective * 100, 1) + '%';
        }
      },
      graphic: [{
        type: 'text', left: 'center', top: 'middle',
        style: { text: root.name, fontSize: 13, fontWeight: 'bold', width: 110, overflow: 'break', align: 'center' }
      }],
      series: [{
        type: 'sunburst', data: root.children, radius: ['20%', '95%'], sort: null,
        nodeClick: false,
        label: { rotate: 'radial', fontSize: 10, minAngle: 6 },
        itemStyle: { borderColor: '#fff', borderWidth: 1 },
        levels: [{}, { label: { rotate: 'tangential', fontSize: 11 } }]
      }]
    });
  }

  var kinds = { sunburst: sunburstChart };
"#,
};

#[derive(Serialize)]
struct Blob<'a> {
    framework: &'a [NodeInfo],
    charts: &'a [ChartSpec],
}

/// The appendix as a self-contained HTML page: `markdown` (the appendix from
/// [`crate::document::markdown`]) rendered, titled `title`, with the sunburst of
/// `framework` (root first, as in the results) under "Framework and weights".
///
/// Errors: the appendix has no "Framework and weights" section (a bug), or the
/// chart library cannot be inlined.
pub fn document_report(title: &str, markdown: &str, framework: &[NodeInfo]) -> Result<String> {
    check_library()?;
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    let parser = pulldown_cmark::Parser::new_ext(markdown, options);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    let Some(at) = body.find(FRAMEWORK_HEADING).map(|p| p + FRAMEWORK_HEADING.len()) else {
        bail!("internal error: the appendix has no `Framework and weights` section to draw");
    };
    let spec = ChartSpec {
        id: "chart-framework".into(),
        kind: "sunburst",
        method: None,
        node: None,
        title: "Framework".into(),
        height: 560,
    };
    let blob = script_json(&Blob {
        framework,
        charts: std::slice::from_ref(&spec),
    })?;
    let mut h = String::new();
    open_page(&mut h, title);
    h.push_str(&body[..at]);
    let _ = writeln!(
        h,
        "<p class=\"note\">The framework: the index at the centre, one ring per level; each node's angle is its \
         effective weight (hover for the weights).</p>"
    );
    chart_container(&mut h, &spec);
    h.push_str(&body[at..]);
    close_page(&mut h, &blob, &SCRIPT);
    Ok(h)
}
