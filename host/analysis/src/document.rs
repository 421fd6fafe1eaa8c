//! `cityrank document`: the methodology appendix of an edition, written from the
//! manifest, the edition, the dataset description and a run of the edition, so
//! that nothing is typed twice (Markdown, for a report or a web page).
//!
//! It says what the ranking is and how it was made (hashes, contract), the
//! framework tree with nominal and effective weights (in %, to one decimal: the
//! run's weights in effect), each indicator's definition (formula, dataset column
//! or plugin code; unit, direction, normalisation or ladder rungs, denominator,
//! target) and data coverage, every pipeline step with its parameters, the tiers
//! and peer groups, and the data's variables, sources and licences. For panel
//! data, which years are scored and how they are combined, and coverage in rows
//! (unit × year) and in units.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{PanelSpec, PanelStep, ResolvedEdition};
use cityrank_core::methodology::{IndicatorSpec, Manifest, NodeKind};
use cityrank_core::results::Results;

/// A number in at most `digits` decimals, without trailing zeros (`0.25`, `1`).
fn num(x: f64, digits: usize) -> String {
    // A small number that the digits would round to 0 (a tolerance of 1e-8) is
    // written as a power of ten.
    if x != 0.0 && x.abs() < 10f64.powi(-(digits as i32)) {
        return format!("{x:e}");
    }
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

/// `2022, 2023 and 2024`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// The section on panel data: the years scored together (so that normalisation
/// is joint over them), each unit's score the weighted average of its yearly
/// scores, and the share of the weight a unit's years must carry.
fn panel_section(panel: &PanelSpec, layout: Option<&str>) -> String {
    let mut out = String::new();
    let years: Vec<String> = panel.years.iter().map(i32::to_string).collect();
    let total: f64 = panel.weights.iter().sum();
    let ratio: Vec<String> = panel.weights.iter().map(|w| num(*w, 3)).collect();
    let shares: Vec<String> = panel
        .years
        .iter()
        .zip(&panel.weights)
        .map(|(y, w)| format!("{y}: {}%", num(w / total * 100.0, 1)))
        .collect();
    let _ = writeln!(out, "## Years scored (panel data)\n");
    let by_year = |step: PanelStep| panel.by_year.contains(&step);
    let steps = match (by_year(PanelStep::Treat), by_year(PanelStep::Normalise)) {
        (false, false) => format!(
            "Every step runs on the rows of all {} years at once (one row per unit and year), so normalisation is \
             joint over the years and a score means the same in every year.",
            years.len()
        ),
        (true, false) => format!(
            "Outlier treatment runs on each year's rows on their own (each year's skewness, kurtosis and \
             winsorisation, as COINr's `Treat` on a purse); the other steps run on the rows of all {} years at once \
             (one row per unit and year), so normalisation is joint over the years and a score means the same in \
             every year.",
            years.len()
        ),
        (treat, true) => format!(
            "{} on each year's rows on their own, so a score compares a unit with the other units of its year, \
             not across years; the other steps run on the rows of all {} years at once.",
            if treat {
                "Outlier treatment and normalisation run"
            } else {
                "Normalisation runs"
            },
            years.len()
        ),
    };
    let _ = writeln!(
        out,
        "The ranking scores the years {} of the dataset together{}. {steps}",
        and_list(&years),
        layout
            .map(|l| format!("; the dataset holds them as {l}"))
            .unwrap_or_default(),
    );
    let _ = writeln!(
        out,
        "\nEach unit's score (and each pillar's) is the weighted average of its yearly scores, with the weights {} \
         for {} ({}); ranks and tiers are those of the averages.",
        ratio.join(":"),
        years.join(", "),
        shares.join(", ")
    );
    let rule = if panel.min_share > 0.0 {
        format!(
            "A year without a score for a unit is left out and the other years' weights are rescaled; a unit whose \
             years with a score carry less than {}% of the weight (`min_share` {}) gets no average and is not ranked.",
            num(panel.min_share * 100.0, 1),
            num(panel.min_share, 3)
        )
    } else {
        "A year without a score for a unit is left out and the other years' weights are rescaled; a unit with a \
         score in any year gets an average (`min_share` 0)."
            .to_string()
    };
    let _ = writeln!(out, "\n{rule}\n");
    out
}

/// The coverage of indicator `id`: for rows of units, how many units have a
/// value; for panel data (`years` scored), how many rows (unit × year) have one,
/// and how many units have it in every year, in some or in none. `rows_of`: the
/// scored rows of each unit.
fn coverage(id: &str, results: &Results, rows_of: &BTreeMap<&str, usize>, years: usize) -> String {
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, ids) in &results.missing {
        if ids.iter().any(|i| i == id) {
            *missing.entry(cityrank_core::dataset::split_key(key).0).or_default() += 1;
        }
    }
    let units = rows_of.len();
    let rows: usize = rows_of.values().sum();
    let pct = |n: usize, of: usize| num(n as f64 / of.max(1) as f64 * 100.0, 1);
    let none = rows_of
        .iter()
        .filter(|(u, n)| missing.get(*u).is_some_and(|m| m >= *n))
        .count();
    let full = rows_of.keys().filter(|u| !missing.contains_key(*u)).count();
    if years == 0 {
        return format!("{full} of {units} units ({}%)", pct(full, units));
    }
    let present = rows - missing.values().sum::<usize>().min(rows);
    let some = units - full - none;
    let mut by_unit = vec![format!("{full} of {units} units in every year")];
    if some > 0 {
        by_unit.push(format!("{some} in some years only"));
    }
    if none > 0 {
        by_unit.push(format!("{none} in none"));
    }
    format!(
        "{present} of {rows} rows ({}%; {} units {} {} years): {}",
        pct(present, rows),
        units,
        if rows == units * years { "×" } else { "over" },
        years,
        and_list(&by_unit)
    )
}

/// The appendix of `edition`, run as `results` (its weights in effect and
/// coverage), with the effective `manifest` (tiers and variant applied) and the
/// dataset (its description, and its rows for coverage).
pub fn markdown(edition: &ResolvedEdition, manifest: &Manifest, dataset: &Dataset, results: &Results) -> String {
    let description = &dataset.description;
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
                "{} ({}, {})",
                description.title,
                description.id,
                match &edition.panel {
                    Some(p) =>
                        cityrank_core::report::panel_size(results.dataset.rows, results.dataset.units, p.years.len()),
                    None => format!("{} units", results.dataset.units),
                }
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

    // Panel data: the years and how they are combined.
    if let Some(p) = &edition.panel {
        out.push_str(&panel_section(p, description.panel_layout().as_deref()));
    }

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
    // The rows scored of each unit: one, or for panel data one per year it has.
    let mut rows_of: BTreeMap<&str, usize> = BTreeMap::new();
    for u in &dataset.units {
        if edition
            .panel
            .as_ref()
            .is_none_or(|p| u.time.is_some_and(|t| p.years.contains(&t)))
        {
            *rows_of.entry(u.id.as_str()).or_default() += 1;
        }
    }
    let years = edition.panel.as_ref().map_or(0, |p| p.years.len());
    for spec in &manifest.indicators {
        let _ = writeln!(out, "### {} (`{}`)\n", spec.name, spec.id);
        if let Some(d) = &spec.description {
            let _ = writeln!(out, "{d}\n");
        }
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
        let _ = writeln!(out, "- Coverage: {}", coverage(&spec.id, results, &rows_of, years));
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
    let warnings = cityrank_core::report::notices(results);
    if !warnings.is_empty() {
        let _ = writeln!(out, "\n## Warnings of the run\n");
        for w in &warnings {
            let _ = writeln!(out, "- {w}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::num;

    #[test]
    fn small_settings_are_not_rounded_to_zero() {
        assert_eq!(num(1e-8, 6), "1e-8");
        assert_eq!(num(0.1, 6), "0.1");
        assert_eq!(num(0.0, 3), "0");
        assert_eq!(num(2.5e-4, 3), "2.5e-4");
        assert_eq!(num(5000.0, 6), "5000");
    }
}
