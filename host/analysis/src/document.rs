//! `cityrank document`: the methodology appendix of an edition, written from the
//! manifest, the edition, the dataset description and a run of the edition, so
//! that nothing is typed twice (Markdown, for a report or a web page).
//!
//! It says what the ranking is and how it was made (hashes, contract), the
//! framework tree with nominal and effective weights (in %, to one decimal: the
//! run's weights in effect), each indicator's definition (formula, dataset column
//! or plugin code; unit, direction, normalisation or ladder rungs, denominator,
//! target) and data coverage, every pipeline step with its parameters, the tiers
//! and peer groups, and the data's variables, sources and licences.

use std::fmt::Write as _;

use serde_json::Value;

use cityrank_core::dataset::DatasetDescription;
use cityrank_core::edition::ResolvedEdition;
use cityrank_core::methodology::{IndicatorSpec, Manifest, NodeKind};
use cityrank_core::results::Results;

/// A number in at most `digits` decimals, without trailing zeros (`0.25`, `1`).
fn num(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A table cell: `|` escaped, line breaks as spaces.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A step's settings in words: `min-max, lo 0, hi 100` (from its JSON form).
pub fn describe_settings(v: &Value) -> String {
    match v {
        Value::Null => "none".to_string(),
        Value::String(s) => s.clone(),
        Value::Object(map) => {
            let method = map
                .get("method")
                .or_else(|| map.get("policy"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let rest: Vec<String> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "method" && k.as_str() != "policy")
                .map(|(k, v)| {
                    let shown = match v {
                        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |x| num(x, 6)),
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!("{} {shown}", k.replace('_', " "))
                })
                .collect();
            match (method, rest.is_empty()) {
                (Some(m), true) => m,
                (Some(m), false) => format!("{m}, {}", rest.join(", ")),
                (None, _) => rest.join(", "),
            }
        }
        other => other.to_string(),
    }
}

/// How an indicator's values are obtained.
fn definition(spec: &IndicatorSpec) -> String {
    match (&spec.from, &spec.formula) {
        (Some(f), _) => format!("dataset column `{f}`"),
        (None, Some(f)) => format!("`{f}`"),
        (None, None) => "computed by the methodology's code (`derive`)".to_string(),
    }
}

/// The appendix of `edition`, run as `results` (its weights in effect and
/// coverage), with the effective `manifest` (tiers and variant applied) and the
/// dataset's description.
pub fn markdown(
    edition: &ResolvedEdition,
    manifest: &Manifest,
    description: &DatasetDescription,
    results: &Results,
) -> String {
    let mut out = String::new();
    let e = &edition.edition;
    let m = &results.methodology;
    let _ = writeln!(out, "# {} — methodology\n", e.name);
    if let Some(d) = &e.description {
        let _ = writeln!(out, "{d}\n");
    }
    let _ = writeln!(out, "{}\n", manifest.description);
    if let Some(r) = &manifest.reconstructs {
        let _ = writeln!(out, "*{}*\n", r.split_whitespace().collect::<Vec<_>>().join(" "));
    }

    // Provenance.
    let _ = writeln!(out, "## How these results were made\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let variant = results
        .edition
        .variant
        .as_deref()
        .map(|v| format!(", variant `{v}`"))
        .unwrap_or_default();
    let rows = [
        ("Edition", format!("{} ({}, {}){variant}", e.name, e.id, e.year)),
        (
            "Edition file",
            format!("`{}` (SHA-256 `{}`)", results.edition.file, results.edition.sha256),
        ),
        (
            "Methodology",
            format!("{} v{} ({}, {})", m.name, m.version, m.id, m.kind),
        ),
        ("Methodology SHA-256", format!("`{}`", m.sha256)),
        (
            "Dataset",
            format!(
                "{} ({}, {} units)",
                description.title, description.id, results.dataset.units
            ),
        ),
        ("Dataset file SHA-256", format!("`{}`", results.dataset.sha256)),
        ("cityrank", results.cityrank.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    }
    if let Some(c) = &m.contract {
        let _ = writeln!(out, "| Plugin contract | `{c}` |");
    }
    let _ = writeln!(
        out,
        "\nAnyone can check these results: `cityrank verify results.json` re-runs the edition and compares them byte for byte.\n"
    );

    // Framework.
    let _ = writeln!(out, "## Framework and weights\n");
    let _ = writeln!(
        out,
        "Weights are relative among siblings; the effective weight of a node is its share of the index (the \
         product of its and its ancestors' normalised weights).\n"
    );
    let _ = writeln!(out, "| Node | Level | Weight | Effective weight |\n|---|---|---:|---:|");
    let depth = |id: &str| -> usize {
        let mut d = 0;
        let mut at = results.framework.iter().find(|n| n.id == id);
        while let Some(n) = at.and_then(|n| n.parent.as_ref()) {
            d += 1;
            at = results.framework.iter().find(|x| &x.id == n);
        }
        d
    };
    // Depth-first, children in manifest order.
    let mut order: Vec<&cityrank_core::results::NodeInfo> = Vec::new();
    fn visit<'a>(
        id: &str,
        nodes: &'a [cityrank_core::results::NodeInfo],
        order: &mut Vec<&'a cityrank_core::results::NodeInfo>,
    ) {
        if let Some(n) = nodes.iter().find(|n| n.id == id) {
            order.push(n);
            for c in nodes.iter().filter(|c| c.parent.as_deref() == Some(id)) {
                visit(&c.id, nodes, order);
            }
        }
    }
    if let Some(root) = results.framework.first() {
        visit(&root.id, &results.framework, &mut order);
    }
    for n in order {
        let kind = match n.kind {
            NodeKind::Index => "index",
            NodeKind::Indicator => "indicator",
            _ => "aggregate",
        };
        let indent = "  ".repeat(depth(&n.id));
        let _ = writeln!(
            out,
            "| {}{} | {kind} | {} | {}% |",
            indent.replace(' ', "&nbsp;"),
            cell(&n.name),
            num(n.weight, 3),
            num(n.effective_weight * 100.0, 1)
        );
    }

    // Indicators.
    let _ = writeln!(out, "\n## Indicators\n");
    let units = results.dataset.units.max(1);
    for spec in &manifest.indicators {
        let _ = writeln!(out, "### {} (`{}`)\n", spec.name, spec.id);
        if let Some(d) = &spec.description {
            let _ = writeln!(out, "{d}\n");
        }
        let missing = results.missing.values().filter(|ids| ids.contains(&spec.id)).count();
        let normalise = match &spec.normalise {
            Some(n) => serde_json::to_value(n)
                .map(|v| describe_settings(&v))
                .unwrap_or_default(),
            None => format!(
                "{} (the pipeline's)",
                serde_json::to_value(&manifest.pipeline.normalise)
                    .map(|v| describe_settings(&v))
                    .unwrap_or_default()
            ),
        };
        let direction = serde_json::to_value(spec.direction)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let _ = writeln!(out, "- Definition: {}", definition(spec));
        let _ = writeln!(out, "- Unit: {}; {direction} is better", spec.unit);
        let _ = writeln!(out, "- Normalisation: {normalise}");
        if let Some(d) = &spec.denominator
            && manifest.pipeline.denominate.is_some()
        {
            let _ = writeln!(out, "- Divided by: `{d}`");
        }
        if let Some(t) = &spec.treat {
            let own = serde_json::to_value(t)
                .map(|v| describe_settings(&v))
                .unwrap_or_default();
            let _ = writeln!(out, "- Outlier treatment (its own): {own}");
        }
        if let Some(t) = spec.target {
            let _ = writeln!(out, "- Target: {}", num(t, 6));
        }
        let _ = writeln!(
            out,
            "- Coverage: {} of {units} units ({}%)",
            units - missing.min(units),
            num((units - missing.min(units)) as f64 / units as f64 * 100.0, 1)
        );
        if !spec.ladder.is_empty() {
            let _ = writeln!(out, "\n| Points | Rung | From | Below |\n|---:|---|---:|---:|");
            for l in &spec.ladder {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    num(l.points, 3),
                    cell(&l.label),
                    l.min.map_or("–".into(), |x| num(x, 6)),
                    l.max.map_or("–".into(), |x| num(x, 6))
                );
            }
        }
        let _ = writeln!(out);
    }

    // Pipeline.
    let _ = writeln!(out, "## Steps\n");
    let steps = serde_json::to_value(&results.pipeline.steps).unwrap_or(Value::Null);
    for s in &cityrank_core::catalogue::STEPS {
        let v = steps.get(s.name).cloned().unwrap_or(Value::Null);
        let _ = writeln!(out, "- **{}** (`{}`): {}", s.label, s.name, describe_settings(&v));
    }
    for (id, a) in &results.pipeline.nodes {
        let v = serde_json::to_value(a).unwrap_or(Value::Null);
        let _ = writeln!(out, "- **aggregate** of `{id}`: {}", describe_settings(&v));
    }

    // Tiers.
    let _ = writeln!(out, "\n## Tiers\n");
    let _ = writeln!(out, "| Tier | Rule | Units |\n|---|---|---:|");
    for t in &results.tiers {
        let rule = match (t.upper_share, t.min_score) {
            (Some(s), _) => format!("ranked within the top {}%", num(s * 100.0, 1)),
            (None, Some(m)) => format!("score ≥ {}", num(m, 3)),
            (None, None) => "every other ranked unit".to_string(),
        };
        let _ = writeln!(out, "| {} | {rule} | {} |", cell(&t.label), t.count);
    }
    if let Some(p) = &manifest.peer_groups {
        let _ = writeln!(
            out,
            "\nTiers are assigned within {} peer groups of `{}` ({}).",
            p.groups,
            p.covariate,
            p.labels.join(", ")
        );
    }

    // Data.
    let _ = writeln!(out, "\n## Data\n");
    let _ = writeln!(
        out,
        "{} ({}), reference year {}.",
        description.title, description.id, description.year
    );
    if let Some(r) = &description.rule {
        let _ = writeln!(out, "\n{r}");
    }
    if let Some(l) = &description.licence {
        let _ = writeln!(out, "\nLicence: {l}");
    }
    let _ = writeln!(out, "\n| Variable | Unit | Source | Description |\n|---|---|---|---|");
    for v in &description.variables {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            v.id,
            cell(v.unit.as_deref().unwrap_or("")),
            cell(v.source.as_deref().unwrap_or("")),
            cell(v.description.as_deref().unwrap_or(""))
        );
    }
    if !description.sources.is_empty() {
        let _ = writeln!(out, "\n| Source | Title | Licence |\n|---|---|---|");
        for s in &description.sources {
            let title = match &s.url {
                Some(u) => format!("[{}]({u})", s.title),
                None => s.title.clone(),
            };
            let _ = writeln!(out, "| `{}` | {} | {} |", s.id, cell(&title), cell(&s.licence));
        }
    }
    if !manifest.sources.is_empty() {
        let _ = writeln!(out, "\n## References\n");
        for r in &manifest.sources {
            let _ = match &r.url {
                Some(u) => writeln!(out, "- [{}]({u})", r.title),
                None => writeln!(out, "- {}", r.title),
            };
        }
    }
    if !results.warnings.is_empty() {
        let _ = writeln!(out, "\n## Warnings of the run\n");
        for w in &results.warnings {
            let _ = writeln!(out, "- {w}");
        }
    }
    out
}
