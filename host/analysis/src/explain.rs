//! Explaining one unit's score: its breakdown by pillar and indicator, and its
//! strengths and weaknesses relative to the other units.
//!
//! The *contribution* of a node is its weight for this unit times its value (the
//! normalised value for an indicator, the score for a pillar). The weight for this
//! unit is the node's effective weight (the product of the normalised weights from
//! the root), except where the unit lacks values: aggregation spreads a missing
//! child's weight over its present siblings, and so does the breakdown. When every
//! node is a weighted arithmetic mean and the index is not rescaled, the
//! indicators' contributions sum to the index score, and each pillar's to the
//! pillar's contribution; otherwise the explanation says so and gives both sums.
//!
//! A node's *percentile* among the units is `(B + (E − 1)/2) / (N − 1) × 100`,
//! with `N` units that have a value, `B` of them below this unit's and `E` equal to
//! it (this unit included): 100 for the single best, 0 for the single worst, ties
//! share the mid-point. Values are normalised with direction handled, so higher is
//! always better.

use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use cityrank_core::methodology::{AggregateSpec, Manifest, NodeKind, RescaleSpec};
use cityrank_core::report::{aligned, fmt_opt};
use cityrank_core::results::{EditionInfo, MethodologyInfo, NodeInfo, Results, UnitResult};

/// Version of the explanation format: 2 when the embedded edition record gained
/// its file name, hash and variant changes (results format 3); 3 when it gained
/// the expert panel (results format 4).
pub const EXPLAIN_SCHEMA_VERSION: u32 = 3;

/// Why a unit has its score: what `cityrank explain --format json` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// The edition that was run.
    pub edition: EditionInfo,
    /// The methodology that scored it.
    pub methodology: MethodologyInfo,
    /// The unit explained.
    pub unit: ExplainedUnit,
    /// Whether the indicators' contributions sum to the index score (every node a
    /// weighted arithmetic mean, no rescaling, and the sums checked).
    pub additive: bool,
    /// How the nodes aggregate their children, e.g. `weighted arithmetic mean at every node`.
    pub aggregation: String,
    /// What the contributions mean for this method.
    pub note: String,
    /// Sum of the indicators' contributions.
    pub sum_of_contributions: Option<f64>,
    /// The framework, depth first from the root, with this unit's values.
    pub nodes: Vec<NodeBreakdown>,
    /// Indicators where the unit does best relative to the other units (percentile
    /// above 50, best first).
    pub strengths: Vec<Highlight>,
    /// Indicators where it does worst (percentile below 50, worst first).
    pub weaknesses: Vec<Highlight>,
}

cityrank_core::document!(Explanation, "explain");

/// The unit explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainedUnit {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Country code, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Index score.
    pub score: Option<f64>,
    /// Rank.
    pub rank: Option<u32>,
    /// Tier label.
    pub tier: Option<String>,
    /// Peer group, when tiers are assigned within groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_group: Option<String>,
    /// Units ranked.
    pub ranked: usize,
}

/// One framework node for the unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeBreakdown {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of node.
    pub kind: NodeKind,
    /// Parent id (absent for the root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Depth below the root.
    pub depth: usize,
    /// Weight on the edge to the parent, as used.
    pub weight: f64,
    /// Effective weight (product of normalised weights from the root).
    pub effective_weight: f64,
    /// This unit's effective weight: as `effective_weight`, with the weight of its
    /// missing values spread over their present siblings (null when the node or an
    /// ancestor has no value).
    pub unit_weight: Option<f64>,
    /// The unit's value: normalised value (indicators) or score (other nodes).
    pub value: Option<f64>,
    /// `unit_weight × value`.
    pub contribution: Option<f64>,
    /// Percentile of the value among the units (see the module documentation).
    pub percentile: Option<f64>,
    /// Rank of the value among the units (competition ranking, 1 = best).
    pub rank: Option<u32>,
    /// Other units with exactly the same value (ties share the best rank).
    pub tied: usize,
    /// Units with a value for this node.
    pub of: usize,
    /// Mean value over those units.
    pub mean: Option<f64>,
}

/// A strength or weakness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Highlight {
    /// Indicator id.
    pub id: String,
    /// Indicator name.
    pub name: String,
    /// Its pillar (the first-level node above it).
    pub pillar: String,
    /// Normalised value.
    pub value: f64,
    /// Percentile among the units.
    pub percentile: f64,
    /// Rank among the units.
    pub rank: u32,
    /// Units with a value.
    pub of: usize,
    /// Contribution to the index.
    pub contribution: Option<f64>,
}

/// How the methodology aggregates: `(every node arithmetic, aggregation, why the
/// contributions cannot sum to the index score)`.
fn structure(manifest: &Manifest) -> Result<(bool, String, Option<String>)> {
    let framework = manifest.framework()?;
    let mut other: Vec<String> = Vec::new();
    for n in &framework.nodes {
        if n.kind == NodeKind::Indicator {
            continue;
        }
        let name = match &n.aggregate {
            None | Some(AggregateSpec::Arithmetic) => continue,
            Some(AggregateSpec::Geometric) => "weighted geometric mean".to_string(),
            Some(AggregateSpec::Harmonic) => "weighted harmonic mean".to_string(),
            Some(AggregateSpec::Generalised { p }) => format!("weighted generalised mean (p = {p})"),
            Some(AggregateSpec::Median) => "weighted median".to_string(),
            Some(AggregateSpec::Copeland) => "Copeland scores".to_string(),
            Some(AggregateSpec::MazziottaPareto { .. }) => "Mazziotta–Pareto index".to_string(),
            Some(AggregateSpec::BenefitOfTheDoubt) => "benefit of the doubt".to_string(),
            Some(AggregateSpec::Plugin { name, .. }) => format!("the plugin's own `{name}`"),
        };
        other.push(format!("{} at `{}`", name, n.id));
    }
    let aggregation = if other.is_empty() {
        "weighted arithmetic mean at every node".to_string()
    } else {
        format!("{} (weighted arithmetic mean elsewhere)", other.join(", "))
    };
    let rescale = manifest.pipeline.rescale.as_ref().map(|r| match r {
        RescaleSpec::RelativeToBest => "the index is rescaled so that the best unit scores 100".to_string(),
        RescaleSpec::MinMax { lo, hi } => format!("the index is rescaled onto [{lo}, {hi}]"),
    });
    let why_not = match (other.is_empty(), rescale) {
        (true, None) => None,
        (true, Some(r)) => Some(r),
        (false, None) => Some(format!(
            "not every node is a weighted arithmetic mean ({})",
            other.join(", ")
        )),
        (false, Some(r)) => Some(format!(
            "not every node is a weighted arithmetic mean ({}), and {r}",
            other.join(", ")
        )),
    };
    Ok((other.is_empty(), aggregation, why_not))
}

/// Positions of the children of each node of `framework`.
fn children(framework: &[NodeInfo]) -> Vec<Vec<usize>> {
    let at: std::collections::BTreeMap<&str, usize> =
        framework.iter().enumerate().map(|(p, n)| (n.id.as_str(), p)).collect();
    let mut out = vec![Vec::new(); framework.len()];
    for (p, n) in framework.iter().enumerate() {
        if let Some(q) = n.parent.as_deref().and_then(|parent| at.get(parent)) {
            out[*q].push(p);
        }
    }
    out
}

/// The unit's weight of every node (by position in `results.framework`): the
/// effective weight with missing siblings' weights spread over the present ones.
pub fn unit_weights(results: &Results, unit: &UnitResult) -> Vec<Option<f64>> {
    let values: Vec<Option<f64>> = results.framework.iter().map(|n| unit.scores.get(&n.id)).collect();
    unit_weights_in(&results.framework, &children(&results.framework), &values)
}

/// [`unit_weights`] with the framework's children (from [`children`]) found once
/// for many units, and the unit's score of each node (in framework order).
fn unit_weights_in(fw: &[NodeInfo], kids: &[Vec<usize>], values: &[Option<f64>]) -> Vec<Option<f64>> {
    let value = |p: usize| values[p];
    let mut out = vec![None; fw.len()];
    let Some(root) = fw.iter().position(|n| n.parent.is_none()) else {
        return out;
    };
    if value(root).is_some() {
        out[root] = Some(1.0);
    }
    let mut stack = vec![root];
    while let Some(q) = stack.pop() {
        let Some(wq) = out[q] else { continue };
        let present: f64 = kids[q]
            .iter()
            .filter(|&&c| value(c).is_some())
            .map(|&c| fw[c].weight)
            .sum();
        for &c in &kids[q] {
            if value(c).is_some() && present != 0.0 {
                out[c] = Some(wq * fw[c].weight / present);
            }
            stack.push(c);
        }
    }
    out
}

/// Depth-first order of `framework` from the root, children in framework order.
fn depth_first(framework: &[NodeInfo]) -> Vec<(usize, usize)> {
    let kids = children(framework);
    let mut out = Vec::with_capacity(framework.len());
    let Some(root) = framework.iter().position(|n| n.parent.is_none()) else {
        return out;
    };
    let mut stack = vec![(root, 0usize)];
    while let Some((p, d)) = stack.pop() {
        out.push((p, d));
        stack.extend(kids[p].iter().rev().map(|&c| (c, d + 1)));
    }
    out
}

/// Finds a unit by id, or by a name that (normalised) matches exactly one unit.
pub fn find_unit<'r>(results: &'r Results, query: &str) -> Result<&'r UnitResult> {
    if let Some(u) = results.units.iter().find(|u| u.id == query) {
        return Ok(u);
    }
    let key = crate::published::normalise_name(query);
    let by_name: Vec<&UnitResult> = results
        .units
        .iter()
        .filter(|u| crate::published::normalise_name(&u.name) == key || u.id.eq_ignore_ascii_case(query))
        .collect();
    if by_name.len() == 1 {
        return Ok(by_name[0]);
    }
    let edition = &results.edition.id;
    if by_name.len() > 1 {
        bail!(
            "`{query}` names several units of {edition}: {}; give the id",
            by_name.iter().map(|u| u.id.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(s) = results.screened_out.iter().find(|s| s.id == query) {
        bail!(
            "unit `{}` ({}) was screened out of {edition} (data availability {:.0}%): it has no score to explain",
            s.id,
            s.name,
            s.availability * 100.0
        );
    }
    let q = query.to_lowercase();
    let near: Vec<String> = results
        .units
        .iter()
        .filter(|u| u.id.contains(&q) || u.name.to_lowercase().contains(&q))
        .take(8)
        .map(|u| format!("{} ({})", u.id, u.name))
        .collect();
    bail!(
        "no unit `{query}` in {edition}; {}",
        if near.is_empty() {
            format!("`cityrank run {edition}.toml --format csv` lists the unit ids")
        } else {
            format!("did you mean: {}?", near.join(", "))
        }
    )
}

/// Percentile, competition rank and number of other units tied with `x`.
fn percentile_and_rank(values: &[f64], x: f64) -> (f64, u32, usize) {
    let n = values.len();
    let below = values.iter().filter(|v| **v < x).count();
    let equal = values.iter().filter(|v| **v == x).count();
    let above = values.iter().filter(|v| **v > x).count();
    let pct = if n > 1 {
        (below as f64 + (equal.saturating_sub(1)) as f64 / 2.0) / (n - 1) as f64 * 100.0
    } else {
        50.0
    };
    (pct, above as u32 + 1, equal.saturating_sub(1))
}

/// Explains `unit` (an id, or a unique name) of `results`; `manifest` is the
/// manifest as run (variant applied), `highlights` the number of strengths and
/// weaknesses to list.
pub fn explain(results: &Results, manifest: &Manifest, unit: &str, highlights: usize) -> Result<Explanation> {
    let u = find_unit(results, unit)?;
    let (all_arithmetic, aggregation, why_not) = structure(manifest)?;
    let structurally_additive = why_not.is_none();
    let fw = &results.framework;
    let weights = unit_weights(results, u);
    let pillar_of = |mut p: usize| -> String {
        loop {
            match fw[p].parent.as_deref() {
                None => return fw[p].id.clone(),
                Some(parent) => {
                    let q = fw.iter().position(|n| n.id == parent).unwrap_or(0);
                    if fw[q].parent.is_none() {
                        return fw[p].id.clone();
                    }
                    p = q;
                }
            }
        }
    };
    let mut nodes = Vec::with_capacity(fw.len());
    let mut candidates: Vec<Highlight> = Vec::new();
    for (p, depth) in depth_first(fw) {
        let n = &fw[p];
        let value = u.scores.get(&n.id);
        let all: Vec<f64> = results.units.iter().filter_map(|v| v.scores.get(&n.id)).collect();
        let (percentile, rank, tied) = match value {
            Some(x) if !all.is_empty() => {
                let (pct, r, t) = percentile_and_rank(&all, x);
                (Some(pct), Some(r), t)
            }
            _ => (None, None, 0),
        };
        let contribution = match (weights[p], value) {
            (Some(w), Some(v)) => Some(w * v),
            _ => None,
        };
        if n.kind == NodeKind::Indicator
            && let (Some(v), Some(pct), Some(r)) = (value, percentile, rank)
        {
            candidates.push(Highlight {
                id: n.id.clone(),
                name: n.name.clone(),
                pillar: pillar_of(p),
                value: v,
                percentile: pct,
                rank: r,
                of: all.len(),
                contribution,
            });
        }
        nodes.push(NodeBreakdown {
            id: n.id.clone(),
            name: n.name.clone(),
            kind: n.kind,
            parent: n.parent.clone(),
            depth,
            weight: n.weight,
            effective_weight: n.effective_weight,
            unit_weight: weights[p],
            value,
            contribution,
            percentile,
            rank,
            tied,
            of: all.len(),
            mean: (!all.is_empty()).then(|| all.iter().sum::<f64>() / all.len() as f64),
        });
    }
    let leaf: Vec<f64> = nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Indicator)
        .filter_map(|n| n.contribution)
        .collect();
    let sum = (!leaf.is_empty()).then(|| leaf.iter().sum::<f64>());
    let sums_match = match (sum, u.score) {
        (Some(s), Some(score)) => (s - score).abs() <= 1e-9 * score.abs().max(1.0),
        _ => false,
    };
    let additive = structurally_additive && sums_match;
    let fmt = |x: Option<f64>| fmt_opt(x, 4);
    let note = match (&why_not, all_arithmetic, sums_match) {
        (None, _, true) => {
            "Every node is a weighted arithmetic mean of its children, so the indicators' contributions \
             (the unit's effective weight × normalised value) sum to the index score, and each pillar's to the \
             pillar's contribution. Weights of missing values are spread over their present siblings, as \
             aggregation does."
                .to_string()
        }
        (None, _, false) => format!(
            "Every node is a weighted arithmetic mean, yet the contributions sum to {}, not the score {} \
             (e.g. panel data averaged over years with different missing values): read them as approximate.",
            fmt(sum),
            fmt(u.score)
        ),
        (Some(why), true, _) => format!(
            "Every node is a weighted arithmetic mean, so the indicators' contributions (the unit's effective \
             weight × normalised value) sum to the index before rescaling ({}); but {why}, which makes the \
             score {}.",
            fmt(sum),
            fmt(u.score)
        ),
        (Some(why), false, _) => format!(
            "Contributions are the unit's effective weight × normalised value, but {why}: they show where the \
             weight lies and do not sum to the index score (sum {}, score {}).",
            fmt(sum),
            fmt(u.score)
        ),
    };
    let mut strengths: Vec<Highlight> = candidates.iter().filter(|h| h.percentile > 50.0).cloned().collect();
    strengths.sort_by(|a, b| {
        b.percentile
            .total_cmp(&a.percentile)
            .then(b.contribution.unwrap_or(0.0).total_cmp(&a.contribution.unwrap_or(0.0)))
    });
    strengths.truncate(highlights);
    let weight_of = |h: &Highlight| fw.iter().find(|n| n.id == h.id).map_or(0.0, |n| n.effective_weight);
    let mut weaknesses: Vec<Highlight> = candidates.iter().filter(|h| h.percentile < 50.0).cloned().collect();
    weaknesses.sort_by(|a, b| {
        a.percentile
            .total_cmp(&b.percentile)
            .then(weight_of(b).total_cmp(&weight_of(a)))
    });
    weaknesses.truncate(highlights);
    Ok(Explanation {
        schema_version: EXPLAIN_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        edition: results.edition.clone(),
        methodology: results.methodology.clone(),
        unit: ExplainedUnit {
            id: u.id.clone(),
            name: u.name.clone(),
            country: u.country.clone(),
            score: u.score,
            rank: u.rank,
            tier: u.tier.clone(),
            peer_group: u.peer_group.clone(),
            ranked: results.units.iter().filter(|v| v.rank.is_some()).count(),
        },
        additive,
        aggregation,
        note,
        sum_of_contributions: sum,
        nodes,
        strengths,
        weaknesses,
    })
}

/// Pretty JSON with a trailing newline, validated against the explanation schema.
pub fn json(e: &Explanation) -> Result<String> {
    let value = serde_json::to_value(e).context("cannot represent the explanation as JSON")?;
    // The explanation must satisfy its own schema; a failure here is a bug in cityrank.
    cityrank_core::schema::validate::<Explanation>(&value, "explanation")
        .context("internal error: the explanation does not match its schema")?;
    // Rendered from the type, not the `Value`, to keep the fields in declaration order.
    let mut s = serde_json::to_string_pretty(e).context("cannot represent the explanation as JSON")?;
    s.push('\n');
    Ok(s)
}

/// The explanation as text: the unit, the breakdown tree, strengths and weaknesses.
pub fn table(e: &Explanation) -> String {
    let mut out = String::new();
    let u = &e.unit;
    let _ = writeln!(
        out,
        "{} ({}{}) — {}{}, {} v{}",
        u.name,
        u.id,
        u.country.as_deref().map(|c| format!(", {c}")).unwrap_or_default(),
        e.edition.name,
        e.edition
            .variant
            .as_deref()
            .map(|v| format!(" [variant {v}]"))
            .unwrap_or_default(),
        e.methodology.id,
        e.methodology.version
    );
    let _ = writeln!(
        out,
        "score {}, rank {} of {}, tier {}{}",
        fmt_opt(u.score, 2),
        u.rank.map_or("–".into(), |r| r.to_string()),
        u.ranked,
        u.tier.as_deref().unwrap_or("–"),
        u.peer_group
            .as_deref()
            .map(|g| format!(" (in {g})"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "aggregation: {}", e.aggregation);
    let _ = writeln!(out, "{}\n", e.note);
    let header: Vec<String> = [
        "node",
        "weight",
        "eff. weight",
        "value",
        "contribution",
        "mean",
        "percentile",
        "rank",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows: Vec<Vec<String>> = e
        .nodes
        .iter()
        .map(|n| {
            let reweighted = n.unit_weight.is_some_and(|w| (w - n.effective_weight).abs() > 1e-12);
            vec![
                format!("{}{}", "  ".repeat(n.depth), n.id),
                if n.depth == 0 {
                    String::new()
                } else {
                    format!("{}", n.weight)
                },
                match n.unit_weight {
                    Some(w) => format!("{:.4}{}", w, if reweighted { "*" } else { "" }),
                    None => "–".into(),
                },
                fmt_opt(n.value, 2),
                fmt_opt(n.contribution, 2),
                fmt_opt(n.mean, 2),
                n.percentile.map_or("–".into(), |p| format!("{p:.0}")),
                n.rank.map_or("–".into(), |r| {
                    format!("{r}{}/{}", if n.tied > 0 { "=" } else { "" }, n.of)
                }),
            ]
        })
        .collect();
    out.push_str(&aligned(&header, &rows, |c| c > 0, true));
    if e.nodes
        .iter()
        .any(|n| n.unit_weight.is_some_and(|w| (w - n.effective_weight).abs() > 1e-12))
    {
        let _ = writeln!(
            out,
            "* reweighted: a sibling is missing for this unit, its weight spread over the present ones"
        );
    }
    let _ = writeln!(
        out,
        "sum of the indicators' contributions: {} (score {})",
        fmt_opt(e.sum_of_contributions, 4),
        fmt_opt(u.score, 4)
    );
    // An empty list says where the line is, so that "none" is not read as "no data".
    let list = |title: &str, hs: &[Highlight], none: &str, out: &mut String| {
        if hs.is_empty() {
            let _ = writeln!(out, "{title}: none ({none})");
            return;
        }
        let _ = writeln!(out, "{title}:");
        for h in hs {
            let _ = writeln!(
                out,
                "  {} ({}, {}): value {:.2}, rank {}/{}, percentile {:.0}",
                h.name, h.id, h.pillar, h.value, h.rank, h.of, h.percentile
            );
        }
    };
    out.push('\n');
    list(
        "strengths (best percentiles among the units)",
        &e.strengths,
        "no indicator above the 50th percentile",
        &mut out,
    );
    list(
        "weaknesses (worst percentiles among the units)",
        &e.weaknesses,
        "no indicator below the 50th percentile",
        &mut out,
    );
    out
}

/// The first-level breakdown of every unit of a method, for charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodBreakdown {
    /// Whether contributions sum to the index score (see [`Explanation::additive`]).
    pub additive: bool,
    /// What the contributions mean.
    pub note: String,
    /// The first-level nodes (pillars): id and name.
    pub parts: Vec<(String, String)>,
    /// Each ranked unit, best first.
    pub units: Vec<UnitBreakdown>,
}

/// One unit's contributions by pillar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitBreakdown {
    /// Unit id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Rank.
    pub rank: Option<u32>,
    /// Index score.
    pub score: Option<f64>,
    /// Contribution of each part (as [`MethodBreakdown::parts`]).
    pub contributions: Vec<Option<f64>>,
}

/// The pillar contributions of every unit of `results` (see the module documentation).
pub fn breakdown(results: &Results, manifest: &Manifest) -> Result<MethodBreakdown> {
    let (_, aggregation, why_not) = structure(manifest)?;
    let additive = why_not.is_none();
    let fw = &results.framework;
    let root = fw.iter().position(|n| n.parent.is_none()).unwrap_or(0);
    let parts: Vec<usize> = (0..fw.len())
        .filter(|&p| fw[p].parent.as_deref() == Some(fw[root].id.as_str()))
        .collect();
    let kids = children(fw);
    let mut lookup = cityrank_core::results::NodeLookup::new(fw.iter().map(|n| n.id.as_str()));
    let units = results
        .units
        .iter()
        .filter(|u| u.rank.is_some())
        .map(|u| {
            let values: Vec<Option<f64>> = lookup.values(&u.scores).collect();
            let w = unit_weights_in(fw, &kids, &values);
            UnitBreakdown {
                id: u.id.clone(),
                name: u.name.clone(),
                rank: u.rank,
                score: u.score,
                contributions: parts
                    .iter()
                    .map(|&p| match (w[p], values[p]) {
                        (Some(w), Some(v)) => Some(w * v),
                        _ => None,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(MethodBreakdown {
        additive,
        note: match why_not {
            None => format!("{aggregation}: the contributions (effective weight × pillar score) sum to the score"),
            Some(w) => format!("{w}: contributions (effective weight × pillar score) do not sum to the score"),
        },
        parts: parts.iter().map(|&p| (fw[p].id.clone(), fw[p].name.clone())).collect(),
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_hand() {
        // Values 1..=6: 4 has 3 below and is unique → 3/5 = 60.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(percentile_and_rank(&v, 4.0), (60.0, 3, 0));
        assert_eq!(percentile_and_rank(&v, 6.0), (100.0, 1, 0));
        assert_eq!(percentile_and_rank(&v, 1.0), (0.0, 6, 0));
        // Ties share the mid-point: 0, 5, 5, 10 → the 5s have 1 below, 2 equal →
        // (1 + 0.5)/3 = 50.
        assert_eq!(percentile_and_rank(&[0.0, 5.0, 5.0, 10.0], 5.0), (50.0, 2, 1));
    }
}
