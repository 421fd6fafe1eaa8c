//! The pipeline: from indicator values to node scores, ranks and tiers.
//!
//! This module knows nothing about files or wasmtime. Steps that a methodology
//! assigns to its plugin go through the [`CustomSteps`] trait, which the caller
//! implements (with the sandbox, in [`crate::run`]).

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use cityrank_steps::{aggregate, normalise, rank, tiers};

use crate::methodology::{AggregateSpec, Framework, Manifest, NormaliseSpec, TierSpec};

/// A numeric column with its id.
pub type NamedColumn = (String, Vec<f64>);

/// Runs pipeline steps with a methodology's own code.
pub trait CustomSteps {
    /// Runs `method` of `step` on `data` for `node` with JSON `params`; returns the
    /// output columns (same units, same order).
    fn run(
        &mut self,
        step: &str,
        method: &str,
        params: &BTreeMap<String, serde_json::Value>,
        node: &str,
        data: Vec<NamedColumn>,
    ) -> Result<Vec<NamedColumn>>;
}

/// Scores of every framework node, by node position, one value per unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// `values[p][u]`: score of node `p` for unit `u` (normalised value for indicators).
    pub values: Vec<Vec<f64>>,
}

/// Normalises the indicators and aggregates them up the tree.
///
/// `indicators[i]` holds the derived values of `manifest.indicators[i]`; `units`
/// names the units (for error messages).
pub fn score(
    manifest: &Manifest,
    framework: &Framework,
    indicators: &[Vec<f64>],
    units: &[String],
    custom: &mut dyn CustomSteps,
) -> Result<Scores> {
    let n_units = indicators.first().map_or(0, Vec::len);
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); framework.nodes.len()];
    for p in framework.indicators() {
        let node = &framework.nodes[p];
        let i = node.indicator.unwrap_or_default();
        let spec = &manifest.indicators[i];
        let method = spec.normalise.as_ref().unwrap_or(&manifest.pipeline.normalise);
        let x = &indicators[i];
        let normalised: Result<Vec<f64>> = match method {
            NormaliseSpec::MinMax { lo, hi } => {
                normalise::min_max(x, spec.direction.into(), *lo, *hi).map_err(|e| describe(&e, units))
            }
            NormaliseSpec::Ladder { out_of } => {
                let levels: Vec<normalise::Level> = spec
                    .ladder
                    .iter()
                    .map(|l| normalise::Level { points: l.points, min: l.min, max: l.max })
                    .collect();
                let top = levels.iter().map(|l| l.points).fold(f64::NEG_INFINITY, f64::max);
                normalise::ladder(x, &levels, 0.0).map_err(|e| describe(&e, units)).map(|pts| match out_of {
                    Some(out_of) => pts.into_iter().map(|v| v / top * out_of).collect(),
                    None => pts,
                })
            }
            NormaliseSpec::None => Ok(x.clone()),
            NormaliseSpec::Plugin { name, params } => custom
                .run("normalise", name, params, &node.id, vec![(node.id.clone(), x.clone())])
                .and_then(|out| single_column(out, &node.id, n_units, "normalise")),
        };
        values[p] = normalised.map_err(|e| anyhow!("normalising indicator `{}`: {e:#}", spec.id))?;
    }
    let policy: aggregate::MissingPolicy = manifest.pipeline.missing.into();
    for p in framework.bottom_up() {
        let node = &framework.nodes[p];
        let weights: Vec<f64> = node.children.iter().map(|&c| framework.nodes[c].weight).collect();
        let method = node.aggregate.clone().unwrap_or_default();
        values[p] = match &method {
            AggregateSpec::Arithmetic | AggregateSpec::Geometric => {
                let m = if method == AggregateSpec::Arithmetic {
                    aggregate::Method::Arithmetic
                } else {
                    aggregate::Method::Geometric
                };
                let children: Vec<&[f64]> = node.children.iter().map(|&c| values[c].as_slice()).collect();
                aggregate::aggregate(m, &children, &weights, policy)
                    .map_err(|e| anyhow!("aggregating node `{}`: {:#}", node.id, describe(&e, units)))?
            }
            AggregateSpec::Plugin { name, params } => {
                let data = node.children.iter().map(|&c| (framework.nodes[c].id.clone(), values[c].clone())).collect();
                let mut params = params.clone();
                params.insert("weights".into(), serde_json::json!(weights));
                let out = custom.run("aggregate", name, &params, &node.id, data)?;
                single_column(out, &node.id, n_units, "aggregate")?
            }
        };
    }
    Ok(Scores { values })
}

/// A step error with unit positions replaced by unit ids.
fn describe(e: &cityrank_steps::StepError, units: &[String]) -> anyhow::Error {
    match e {
        cityrank_steps::StepError::Domain { method, units: bad, needs, hint } => {
            let shown: Vec<&str> = bad.iter().take(10).filter_map(|&u| units.get(u).map(String::as_str)).collect();
            let more = if bad.len() > shown.len() { format!(" and {} more", bad.len() - shown.len()) } else { String::new() };
            anyhow!("{method} needs {needs}, but unit(s) {}{more} do not qualify; {hint}", shown.join(", "))
        }
        other => anyhow!("{other}"),
    }
}

fn single_column(out: Vec<NamedColumn>, id: &str, n_units: usize, step: &str) -> Result<Vec<f64>> {
    let mut out = out.into_iter();
    match (out.next(), out.next()) {
        (Some((_, v)), None) if v.len() == n_units => Ok(v),
        (Some((_, v)), None) => bail!("the plugin's `{step}` for `{id}` returned {} values for {n_units} units", v.len()),
        _ => bail!("the plugin's `{step}` for `{id}` must return exactly one column"),
    }
}

/// Ranks and tiers of the units by the root's score.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// Competition rank per unit (`None` when unscored).
    pub ranks: Vec<Option<u32>>,
    /// Tier index per unit into the tier list (`None` when unranked).
    pub tiers: Vec<Option<usize>>,
}

/// Ranks the units by `scores` (competition ranking) and assigns tiers.
pub fn rank(scores: &[f64], tier_specs: &[TierSpec]) -> Result<Ranking> {
    let ranks = rank::competition(scores);
    let shares: Vec<f64> = tier_specs.iter().map(|t| t.upper_share).collect();
    let tiers = tiers::by_cumulative_share(&ranks, &shares).map_err(|e| anyhow!("tiers: {e}"))?;
    Ok(Ranking { ranks, tiers })
}
