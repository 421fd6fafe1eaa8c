//! Statistical analysis of a run's framework: how coherent each aggregate node's
//! children are and how they relate to the node, as in COINr's `get_cronbach()`,
//! `get_PCA()` and `get_corr()`.
//!
//! Everything is computed on the `aggregated` stage of a run (see
//! [`cityrank_core::catalogue::stage_names`]): the normalised indicators and the aggregated score
//! of every node, for the units kept after screening, before any rescaling of the
//! index (rescaling is increasing and affine, so no figure here depends on it). For
//! panel editions every scored row (unit and year) is one observation.
//!
//! Per aggregate node: Cronbach's alpha of its children and the PCA of their
//! correlation matrix (both over the observations with every child present), and
//! the Pearson, Spearman and Kendall τ-b correlations of each child with the node
//! (pairwise deletion). Then the correlations of every intermediate node with the
//! index, or of two given nodes.
//!
//! What `cityrank analyse --format json` writes is an [`Analysis`], validated
//! against `schemas/analysis.schema.json`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result, bail};
use cityrank_steps::analysis::{self as stats, Correlation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use cityrank_core::methodology::NodeKind;
use cityrank_core::pipeline::Stage;
use cityrank_core::results::{EditionInfo, MethodologyInfo, Results};
use cityrank_core::schema;

/// Version of the analysis format: 2 when the embedded edition record gained its
/// file name, hash and variant changes (results format 3); 3 when it gained the
/// expert panel (results format 4).
pub const ANALYSIS_SCHEMA_VERSION: u32 = 3;

/// The statistical analysis of a run: what `cityrank analyse --format json` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// The edition that was run.
    pub edition: EditionInfo,
    /// The methodology that scored it.
    pub methodology: MethodologyInfo,
    /// Observations analysed: the units kept after screening (for panel editions,
    /// their rows, one per unit and year).
    pub observations: usize,
    /// Whether the observations are the rows of a panel (units × years).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub panel: bool,
    /// Every aggregate node (the index and the intermediate nodes), depth first from
    /// the root (empty when only `between` was asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeAnalysis>,
    /// Correlations of every intermediate node (`a`) with the index (`b`), depth
    /// first (empty when only `between` was asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pillars: Vec<PairCorrelation>,
    /// Correlations of the two nodes asked for (`--between A B`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub between: Option<PairCorrelation>,
}

cityrank_core::document!(Analysis, "analysis");

/// One aggregate node: its children's coherence and their correlations with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeAnalysis {
    /// Node id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Kind of node (`index` or `pillar`).
    pub kind: NodeKind,
    /// Parent id (absent for the root).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Ids of the children, in framework order.
    pub children: Vec<String>,
    /// Observations with every child present (those used by alpha and PCA).
    pub complete: usize,
    /// Cronbach's alpha of the children, `k/(k−1)·(1 − Σ var(childᵢ)/var(Σ childᵢ))`
    /// (null when undefined: see `notes`).
    pub cronbach_alpha: Option<f64>,
    /// PCA of the children's correlation matrix (null when undefined: see `notes`).
    pub pca: Option<PcaSummary>,
    /// Correlation of each child (`a`) with the node (`b`), in `children` order.
    pub correlations: Vec<PairCorrelation>,
    /// Why a figure is missing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Principal components of a node's children (standardised: the eigen-decomposition
/// of their correlation matrix, as `prcomp(x, scale = TRUE)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PcaSummary {
    /// Eigenvalues (component variances), largest first; they sum to the number of
    /// children.
    pub eigenvalues: Vec<f64>,
    /// Share of the total variance explained by the first component (`λ₁ / Σλ`).
    pub first_share: f64,
    /// Loadings of the first component, one per child in `children` order: the
    /// correlation of each child with the component (sign chosen so that the
    /// loadings sum to a non-negative value).
    pub first_loadings: Vec<f64>,
    /// Observations used (every child present).
    pub observations: usize,
}

/// The three correlations of two columns, over the observations where both are
/// present; a coefficient is null when undefined (a constant column, or fewer than
/// two observations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PairCorrelation {
    /// First node id.
    pub a: String,
    /// Second node id.
    pub b: String,
    /// Observations with both values present.
    pub n: usize,
    /// Pearson's r.
    pub pearson: Option<f64>,
    /// Spearman's ρ (ties get average ranks).
    pub spearman: Option<f64>,
    /// Kendall's τ-b.
    pub kendall: Option<f64>,
}

/// The `aggregated` stage among a run's recorded stages (run with
/// `pipeline::Options { record_stages: true, .. }`).
pub fn aggregated_stage(stages: &[Stage]) -> Result<&Stage> {
    stages
        .iter()
        .find(|s| s.name == cityrank_core::catalogue::stage::AGGREGATED)
        .context("internal error: the run recorded no `aggregated` stage; run it with `record_stages`")
}

/// Analyses a run: its `results` and its `aggregated` stage. With `between`, only
/// the correlations of those two node ids are computed.
pub fn analyse(results: &Results, stage: &Stage, between: Option<(&str, &str)>) -> Result<Analysis> {
    let mut columns: BTreeMap<&str, &[f64]> = BTreeMap::new();
    for (id, values) in stage.columns.iter().zip(&stage.values) {
        if values.len() != stage.units.len() {
            bail!(
                "internal error: column `{id}` of the aggregated stage has {} values for {} units",
                values.len(),
                stage.units.len()
            );
        }
        columns.insert(id.as_str(), values.as_slice());
    }
    let framework = &results.framework;
    let Some(root) = framework.first() else {
        bail!("internal error: the results have no framework");
    };
    for node in framework {
        if !columns.contains_key(node.id.as_str()) {
            bail!(
                "internal error: the aggregated stage has no column for node `{}`",
                node.id
            );
        }
    }
    let column = |id: &str| columns.get(id).copied().unwrap_or_default();
    let children = |id: &str| -> Vec<usize> {
        (0..framework.len())
            .filter(|&c| framework[c].parent.as_deref() == Some(id))
            .collect()
    };

    let mut nodes = Vec::new();
    let mut pillars = Vec::new();
    let pair_between = match between {
        Some((a, b)) => {
            for id in [a, b] {
                if !columns.contains_key(id) || !framework.iter().any(|n| n.id == id) {
                    bail!(
                        "--between: no node `{id}` in the framework of `{}`; the nodes are {}",
                        results.methodology.id,
                        known_ids(results)
                    );
                }
            }
            Some(pair(a, b, column(a), column(b)))
        }
        None => {
            // Depth first from the root, children in framework order.
            let mut stack = vec![0usize];
            while let Some(p) = stack.pop() {
                let node = &framework[p];
                if node.kind == NodeKind::Indicator {
                    continue;
                }
                let kids = children(&node.id);
                let ids: Vec<&str> = kids.iter().map(|&c| framework[c].id.as_str()).collect();
                nodes.push(analyse_node(node, &ids, &column));
                if node.kind == NodeKind::Pillar {
                    pillars.push(pair(&node.id, &root.id, column(&node.id), column(&root.id)));
                }
                stack.extend(kids.iter().rev());
            }
            None
        }
    };
    Ok(Analysis {
        schema_version: ANALYSIS_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        edition: results.edition.clone(),
        methodology: results.methodology.clone(),
        observations: stage.units.len(),
        panel: results.units.iter().any(|u| !u.by_year.is_empty()),
        nodes,
        pillars,
        between: pair_between,
    })
}

fn known_ids(results: &Results) -> String {
    const SHOWN: usize = 20;
    let ids: Vec<String> = results
        .framework
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{}`", n.id))
        .collect();
    let more = results.framework.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} and {more} more", ids.join(", "))
    } else {
        ids.join(", ")
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The three correlations of `x` and `y` (pairwise deletion).
fn pair(a: &str, b: &str, x: &[f64], y: &[f64]) -> PairCorrelation {
    let n = x.iter().zip(y).filter(|(u, v)| !u.is_nan() && !v.is_nan()).count();
    let r = |kind| stats::correlation(x, y, kind).ok().and_then(finite);
    PairCorrelation {
        a: a.to_string(),
        b: b.to_string(),
        n,
        pearson: r(Correlation::Pearson),
        spearman: r(Correlation::Spearman),
        kendall: r(Correlation::Kendall),
    }
}

fn analyse_node<'c>(
    node: &cityrank_core::results::NodeInfo,
    children: &[&str],
    column: &dyn Fn(&str) -> &'c [f64],
) -> NodeAnalysis {
    let cols: Vec<&[f64]> = children.iter().map(|id| column(id)).collect();
    let own = column(&node.id);
    let rows: Vec<usize> = (0..own.len())
        .filter(|&u| cols.iter().all(|c| !c[u].is_nan()))
        .collect();
    let mut notes = Vec::new();
    let (mut alpha, mut pca) = (None, None);
    if children.len() < 2 {
        notes.push("one child: Cronbach's alpha and PCA need at least two".to_string());
    } else if rows.len() < 2 {
        notes.push(format!(
            "{} observation(s) with every child present: Cronbach's alpha and PCA need at least two",
            rows.len()
        ));
    } else {
        match stats::cronbach_alpha(&cols) {
            Ok(a) if a.is_finite() => alpha = Some(a),
            Ok(_) => notes.push("Cronbach's alpha is undefined".to_string()),
            Err(e) => notes.push(format!("Cronbach's alpha: {e}")),
        }
        let constant: Vec<&str> = children
            .iter()
            .zip(&cols)
            .filter(|(_, c)| rows.iter().all(|&u| c[u] == c[rows[0]]))
            .map(|(id, _)| *id)
            .collect();
        if !constant.is_empty() {
            notes.push(format!(
                "PCA: constant over the complete observations: {}",
                constant
                    .iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else {
            match stats::pca(&cols) {
                Ok(p) => {
                    let first_loadings = p.loadings.first().cloned().unwrap_or_default();
                    let first_share = p.variance_explained.first().copied().unwrap_or(f64::NAN);
                    let all_finite =
                        first_share.is_finite() && p.eigenvalues.iter().chain(&first_loadings).all(|v| v.is_finite());
                    if all_finite {
                        pca = Some(PcaSummary {
                            eigenvalues: p.eigenvalues,
                            first_share,
                            first_loadings,
                            observations: p.units_used,
                        });
                    } else {
                        notes.push("PCA: the decomposition is not finite".to_string());
                    }
                }
                Err(e) => notes.push(format!("PCA: {e}")),
            }
        }
    }
    NodeAnalysis {
        id: node.id.clone(),
        name: node.name.clone(),
        kind: node.kind,
        parent: node.parent.clone(),
        children: children.iter().map(|s| s.to_string()).collect(),
        complete: rows.len(),
        cronbach_alpha: alpha,
        pca,
        correlations: children
            .iter()
            .zip(&cols)
            .map(|(id, c)| pair(id, &node.id, c, own))
            .collect(),
        notes,
    }
}

/// Pretty JSON with a trailing newline, validated against the analysis schema.
pub fn json(analysis: &Analysis) -> Result<String> {
    let value = serde_json::to_value(analysis).context("cannot represent the analysis as JSON")?;
    // The analysis must satisfy its own schema; a failure here is a bug in cityrank.
    schema::validate::<Analysis>(&value, "analysis")
        .context("internal error: the analysis does not match its schema")?;
    // Rendered from the type, not the `Value`, to keep the fields in declaration order.
    let mut s = serde_json::to_string_pretty(analysis).context("cannot represent the analysis as JSON")?;
    s.push('\n');
    Ok(s)
}

fn fmt_r(x: Option<f64>) -> String {
    cityrank_core::report::fmt_opt(x, 3)
}

/// Aligned rows (no rule): the first column left-aligned, the others right-aligned.
fn aligned(header: &[&str], rows: &[Vec<String>], indent: &str, out: &mut String) {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for line in cityrank_core::report::aligned(&header, rows, |c| c > 0, false).lines() {
        let _ = writeln!(out, "{indent}{line}");
    }
}

fn pair_cells(first: String, p: &PairCorrelation) -> Vec<String> {
    vec![
        first,
        fmt_r(p.pearson),
        fmt_r(p.spearman),
        fmt_r(p.kendall),
        p.n.to_string(),
    ]
}

/// The analysis as text: one block per aggregate node, then the intermediate nodes
/// against the index (or only the pair asked for).
pub fn table(a: &Analysis) -> String {
    let mut out = String::new();
    let variant = a
        .edition
        .variant
        .as_deref()
        .map(|v| format!(" @{v}"))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}{variant} — {} v{}: statistical analysis of {} {}",
        a.edition.name,
        a.methodology.name,
        a.methodology.version,
        a.observations,
        if a.panel { "unit-years (panel rows)" } else { "units" }
    );
    let _ = writeln!(
        out,
        "normalised indicators and aggregated scores; correlations over the units with both values, \
         alpha and PCA over the units with every child"
    );
    if let Some(p) = &a.between {
        let _ = writeln!(out);
        aligned(
            &["pair", "Pearson", "Spearman", "Kendall", "n"],
            &[pair_cells(format!("{} ~ {}", p.a, p.b), p)],
            "",
            &mut out,
        );
        return out;
    }
    for node in &a.nodes {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} — {}: {} children, {} of {} complete",
            node.id,
            node.name,
            node.children.len(),
            node.complete,
            a.observations
        );
        let mut summary = format!("  Cronbach's alpha {}", fmt_r(node.cronbach_alpha));
        if let Some(p) = &node.pca {
            let eig: Vec<String> = p.eigenvalues.iter().map(|l| format!("{l:.3}")).collect();
            let _ = write!(
                summary,
                "; PCA: first component explains {:.1}% (eigenvalues {})",
                p.first_share * 100.0,
                eig.join(", ")
            );
        }
        let _ = writeln!(out, "{summary}");
        for note in &node.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let rows: Vec<Vec<String>> = node
            .correlations
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut cells = pair_cells(c.a.clone(), c);
                let loading = node.pca.as_ref().and_then(|p| p.first_loadings.get(i).copied());
                cells.insert(1, fmt_r(loading));
                cells
            })
            .collect();
        aligned(
            &["child", "PC1 loading", "Pearson", "Spearman", "Kendall", "n"],
            &rows,
            "  ",
            &mut out,
        );
    }
    if !a.pillars.is_empty() {
        let index = a.nodes.first().map_or("index", |n| n.id.as_str());
        let _ = writeln!(out);
        let _ = writeln!(out, "nodes with the index `{index}`");
        let rows: Vec<Vec<String>> = a.pillars.iter().map(|p| pair_cells(p.a.clone(), p)).collect();
        aligned(&["node", "Pearson", "Spearman", "Kendall", "n"], &rows, "  ", &mut out);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use cityrank_core::results::{DatasetInfo, NodeInfo, UnitResult, Usage};

    fn node(id: &str, kind: NodeKind, parent: Option<&str>) -> NodeInfo {
        NodeInfo {
            id: id.into(),
            name: id.to_uppercase(),
            kind,
            parent: parent.map(str::to_string),
            weight: 1.0,
            effective_weight: 1.0,
        }
    }

    fn fixture() -> (Results, Stage) {
        let framework = vec![
            node("index", NodeKind::Index, None),
            node("p", NodeKind::Pillar, Some("index")),
            node("q", NodeKind::Pillar, Some("index")),
            node("x", NodeKind::Indicator, Some("p")),
            node("y", NodeKind::Indicator, Some("p")),
            node("z", NodeKind::Indicator, Some("q")),
        ];
        let x = vec![1.0, 2.0, 3.0, 4.0, 9.0];
        let y = vec![2.0, 1.0, 4.0, 3.0, f64::NAN];
        let z = vec![5.0, 5.0, 5.0, 5.0, 5.0];
        let p: Vec<f64> = x
            .iter()
            .zip(&y)
            .map(|(a, b)| if b.is_nan() { *a } else { (a + b) / 2.0 })
            .collect();
        let q = z.clone();
        let index: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
        let stage = Stage {
            name: cityrank_core::catalogue::stage::AGGREGATED,
            units: (0..5).collect(),
            columns: ["x", "y", "z", "p", "q", "index"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            values: vec![x, y, z, p, q, index],
        };
        let results = Results {
            schema_version: 1,
            cityrank: "0".into(),
            edition: EditionInfo {
                id: "e".into(),
                name: "E".into(),
                year: 2024,
                file: "e.toml".into(),
                sha256: String::new(),
                variant: None,
                changes: None,
                experts: None,
            },
            methodology: MethodologyInfo {
                id: "m".into(),
                name: "M".into(),
                version: "1.0.0".into(),
                kind: "declarative".into(),
                sha256: String::new(),
                manifest_sha256: String::new(),
                contract: None,
            },
            dataset: DatasetInfo {
                id: "d".into(),
                year: 2024,
                sha256: String::new(),
                description_sha256: String::new(),
                units: 5,
                rows: 5,
            },
            pipeline: cityrank_core::results::ResolvedPipeline {
                steps: Default::default(),
                indicators: BTreeMap::new(),
                nodes: BTreeMap::new(),
            },
            limits: None,
            framework,
            tiers: Vec::new(),
            units: (0..5)
                .map(|u| UnitResult {
                    id: format!("u{u}"),
                    name: format!("U{u}"),
                    country: None,
                    score: None,
                    rank: None,
                    tier: None,
                    peer_group: None,
                    scores: Default::default(),
                    by_year: BTreeMap::new(),
                    group: None,
                    group_rank: None,
                })
                .collect(),
            missing: BTreeMap::new(),
            imputed: BTreeMap::new(),
            screened_out: Vec::new(),
            treatment: Vec::new(),
            usage: Usage { fuel: 0, calls: 0 },
            warnings: Vec::new(),
        };
        (results, stage)
    }

    #[test]
    fn nodes_depth_first_with_alpha_pca_and_correlations() {
        let (results, stage) = fixture();
        let a = analyse(&results, &stage, None).unwrap();
        let ids: Vec<&str> = a.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["index", "p", "q"]);
        // p's items are the ones of the Cronbach test in cityrank-steps: α = 0.75 on
        // the four units with both present.
        let p = &a.nodes[1];
        assert_eq!(p.complete, 4);
        assert!((p.cronbach_alpha.unwrap() - 0.75).abs() < 1e-12);
        let pca = p.pca.as_ref().unwrap();
        // x = 1..4, y = 2, 1, 4, 3: r = 0.6 → eigenvalues 1.6, 0.4.
        assert!((pca.eigenvalues[0] - 1.6).abs() < 1e-12 && (pca.first_share - 0.8).abs() < 1e-12);
        assert_eq!(p.correlations[0].a, "x");
        assert_eq!(p.correlations[0].b, "p");
        assert_eq!(p.correlations[0].n, 5);
        assert_eq!(p.correlations[1].n, 4);
        // q has one constant child: no alpha, no PCA, undefined correlations.
        let q = &a.nodes[2];
        assert!(q.cronbach_alpha.is_none() && q.pca.is_none() && !q.notes.is_empty());
        assert_eq!(q.correlations[0].pearson, None);
        // The index: p and q, q constant → α = 2·(1 − var p / var p) = 0, no PCA.
        assert!(a.nodes[0].cronbach_alpha.unwrap().abs() < 1e-12);
        assert!(a.nodes[0].pca.is_none() && a.nodes[0].notes[0].contains("`q`"));
        assert_eq!(a.pillars.len(), 2);
        assert_eq!((a.pillars[0].a.as_str(), a.pillars[0].b.as_str()), ("p", "index"));
        assert!((a.pillars[0].pearson.unwrap() - 1.0).abs() < 1e-12);
        // The document matches its schema and renders.
        json(&a).unwrap();
        assert!(table(&a).contains("Cronbach's alpha 0.750"));
    }

    #[test]
    fn between_two_nodes_only() {
        let (results, stage) = fixture();
        let a = analyse(&results, &stage, Some(("p", "index"))).unwrap();
        assert!(a.nodes.is_empty() && a.pillars.is_empty());
        let b = a.between.as_ref().unwrap();
        assert_eq!(b.n, 5);
        assert!((b.spearman.unwrap() - 1.0).abs() < 1e-12);
        json(&a).unwrap();
        let err = analyse(&results, &stage, Some(("x", "nope"))).unwrap_err().to_string();
        assert!(err.contains("no node `nope`"), "{err}");
    }
}
