//! Optimised weights of one level (COINr `get_opt_weights(Level = L)`): the weights
//! of every node at that level, optimised at once for the correlations of their
//! aggregates with the index, the whole tree above the level re-aggregated at
//! every evaluation.

use anyhow::{Result, anyhow, bail};
use cityrank_steps::aggregate::{self as agg, MissingPolicy};
use cityrank_steps::weight::{self as wt, Candidates};
use cityrank_steps::{StepError, analysis::Correlation};

use super::native_method;
use crate::methodology::{Framework, Manifest, NodeKind, OptimiseObjective};

/// What the optimisation of a level found (COINr's `OptResults` and
/// `CorrResultsNorm`, by node).
#[derive(Debug, Clone, PartialEq)]
pub struct LevelOptimisation {
    /// The level (COINr's `Level`).
    pub level: usize,
    /// The level's nodes, in the manifest's order (the order of the candidates).
    pub nodes: Vec<String>,
    /// Their optimised weights, summing to 1 over the level.
    pub weights: Vec<f64>,
    /// The Pearson correlation of each node's aggregate with the index at these weights.
    pub correlations: Vec<f64>,
    /// The objective there (COINr's `OptResults$value`).
    pub objective: f64,
    /// Objective evaluations (COINr's `OptResults$counts["function"]`).
    pub evaluations: usize,
    /// Whether Nelder–Mead met its tolerance.
    pub converged: bool,
}

/// COINr's levels: indicators 1, each node one above its highest child.
pub fn levels(framework: &Framework) -> Vec<usize> {
    let mut level = vec![1usize; framework.nodes.len()];
    for p in framework.bottom_up() {
        level[p] = 1 + framework.nodes[p].children.iter().map(|&c| level[c]).max().unwrap_or(0);
    }
    level
}

/// The nodes a level's optimisation touches.
pub(super) struct LevelPlan {
    /// The level.
    pub level: usize,
    /// Level of every framework node.
    pub levels: Vec<usize>,
    /// Positions of the level's nodes, in the manifest's order.
    pub targets: Vec<usize>,
    /// Positions of the aggregate nodes above the level, in an order that
    /// aggregates children first (by level).
    pub above: Vec<usize>,
}

impl LevelPlan {
    /// Checks `level` against the framework: at least two nodes there, below the
    /// index's level, and native aggregation above it.
    pub fn new(manifest: &Manifest, framework: &Framework, level: usize) -> Result<LevelPlan> {
        let levels = levels(framework);
        let top = levels[0];
        if level == 0 || level >= top {
            bail!(
                "pipeline.weights.level: {level} is not a level below the index's; the levels are counted from the \
                 indicators (1) upward, and `{}` is level {top}, so give 1 to {}",
                framework.nodes[0].id,
                top - 1
            );
        }
        // The manifest's order: the level's indicators in the order of
        // `[[indicators]]`, its nodes in the order of `[[nodes]]`.
        let mut targets: Vec<usize> = (1..framework.nodes.len()).filter(|&p| levels[p] == level).collect();
        targets.sort_by_key(|&p| {
            let n = &framework.nodes[p];
            match n.indicator {
                Some(i) => (0, i),
                None => (
                    1,
                    manifest.nodes.iter().position(|m| m.id == n.id).unwrap_or(usize::MAX),
                ),
            }
        });
        if targets.len() < 2 {
            bail!(
                "pipeline.weights.level: level {level} has {} node{} ({}); optimising needs at least two",
                targets.len(),
                if targets.len() == 1 { "" } else { "s" },
                targets
                    .iter()
                    .map(|&p| format!("`{}`", framework.nodes[p].id))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let mut above: Vec<usize> = framework
            .bottom_up()
            .into_iter()
            .filter(|&p| levels[p] > level)
            .collect();
        above.sort_by_key(|&p| levels[p]);
        if let Some(&p) = above.iter().find(|&&p| {
            framework.nodes[p]
                .aggregate
                .as_ref()
                .is_none_or(|a| native_method(a).is_none())
        }) {
            bail!(
                "pipeline.weights: optimising the weights of level {level} re-aggregates the nodes above it at every \
                 step, but `{}` aggregates with the plugin's own method; give it a standard method or optimise each \
                 node's children (no `level`)",
                framework.nodes[p].id
            );
        }
        Ok(LevelPlan {
            level,
            levels,
            targets,
            above,
        })
    }

    /// Whether node `p` is aggregated after the optimisation (it is above the level).
    pub fn is_above(&self, p: usize) -> bool {
        self.levels[p] > self.level
    }
}

/// The search's settings, from the spec.
pub(super) struct Search {
    pub objective: OptimiseObjective,
    pub reltol: f64,
    pub max_evaluations: usize,
}

/// Optimises the weights of the plan's level and writes them into `weights`.
/// `column(p)` is the column of node `p` at or below the level (the normalised
/// indicator, or the node's aggregate).
pub(super) fn optimise<'a>(
    plan: &LevelPlan,
    framework: &Framework,
    search: &Search,
    policy: MissingPolicy,
    column: &dyn Fn(usize) -> &'a [f64],
    weights: &mut [f64],
) -> Result<(LevelOptimisation, Vec<String>)> {
    let n = framework.nodes.len();
    let children: Vec<&[f64]> = plan.targets.iter().map(|&t| column(t)).collect();
    let current: Vec<f64> = plan.targets.iter().map(|&t| weights[t]).collect();
    let options = wt::OptimiseOptions {
        correlation: Correlation::Pearson,
        reltol: search.reltol,
        max_evaluations: search.max_evaluations,
        objective: search.objective.into(),
        candidates: Candidates::Signed,
        trace: false,
    };
    let mut trial = weights.to_vec();
    let mut scratch: Vec<Vec<f64>> = vec![Vec::new(); n];
    let result = wt::optimise_for_correlation(&children, None, &current, &options, |w| {
        for (&t, &wt) in plan.targets.iter().zip(w) {
            trial[t] = wt;
        }
        for &p in &plan.above {
            let node = &framework.nodes[p];
            let method =
                node.aggregate
                    .as_ref()
                    .and_then(native_method)
                    .ok_or_else(|| StepError::InvalidParameter {
                        name: "aggregate".into(),
                        expected: format!("a standard aggregation method for `{}`", node.id),
                    })?;
            let out = {
                let kids: Vec<&[f64]> = node
                    .children
                    .iter()
                    .map(|&c| {
                        if plan.is_above(c) {
                            scratch[c].as_slice()
                        } else {
                            column(c)
                        }
                    })
                    .collect();
                let w: Vec<f64> = node.children.iter().map(|&c| trial[c]).collect();
                let units = kids.first().map_or(0, |k| k.len());
                // A candidate whose weights this node cannot take (they sum to 0, or
                // are negative for a method that refuses them) has no index: its
                // correlations are undefined and the search takes it as the worst.
                match agg::aggregate(method, &kids, &w, policy) {
                    Ok(col) => col,
                    Err(StepError::InvalidParameter { name, .. }) if name == "weights" => vec![f64::NAN; units],
                    Err(e) => return Err(e),
                }
            };
            scratch[p] = out;
        }
        Ok(std::mem::take(&mut scratch[0]))
    })
    .map_err(|e| level_error(plan, framework, search.objective, e))?;
    let mut warnings = Vec::new();
    for (&t, &w) in plan.targets.iter().zip(&result.weights) {
        weights[t] = w;
    }
    let ids: Vec<String> = plan.targets.iter().map(|&t| framework.nodes[t].id.clone()).collect();
    if !result.converged {
        warnings.push(format!(
            "optimised weights of level {}: Nelder–Mead stopped after {} evaluations without meeting its tolerance \
             (reltol {}); the weights are the best it found. Raise `max_evaluations` or `reltol`",
            plan.level, result.evaluations, search.reltol
        ));
    }
    let negative: Vec<String> = ids
        .iter()
        .zip(&result.weights)
        .filter(|(_, w)| **w < 0.0)
        .map(|(id, w)| {
            if w.abs() < 1e-4 {
                format!("`{id}` ({w:.3e})")
            } else {
                format!("`{id}` ({w:.4})")
            }
        })
        .collect();
    // The search stopped at its first simplex (the start and one step along each
    // weight): at COINr's default tolerance, 0.1, it usually does, and the
    // "optimised" weights are the start with one weight moved by 10%.
    if result.converged && result.evaluations <= plan.targets.len() + 1 {
        warnings.push(format!(
            "optimised weights of level {}: the search stopped after its first {} evaluations (its first simplex: \
             the start with one weight moved), as COINr's get_opt_weights does at its default tolerance; for an \
             optimum, set `reltol = 1e-8` (and `max_evaluations = 5000`)",
            plan.level, result.evaluations
        ));
    }
    // A parent whose children's weights nearly cancel: its mean divides by almost
    // nothing, and rounding decides its score.
    let mut parents: Vec<usize> = plan.targets.iter().filter_map(|&t| framework.nodes[t].parent).collect();
    parents.sort_unstable();
    parents.dedup();
    for q in parents {
        let children = &framework.nodes[q].children;
        let sum: f64 = children.iter().map(|&c| weights[c]).sum();
        let size: f64 = children.iter().map(|&c| weights[c].abs()).sum();
        if sum <= 1e-6 * size {
            warnings.push(format!(
                "optimised weights of level {}: the weights of `{}`'s children sum to {sum:.3e} (their sizes to \
                 {size:.3e}): its score divides by almost nothing, so rounding decides it and its children's \
                 effective weights can change sign; constrain the search (fewer nodes at the level) or use another \
                 weighting",
                plan.level, framework.nodes[q].id
            ));
        }
    }
    if !negative.is_empty() {
        warnings.push(format!(
            "optimised weights of level {}: {} {} a negative weight, which subtracts {} from {}: as COINr's \
             get_opt_weights, the search does not keep weights positive",
            plan.level,
            negative.join(", "),
            if negative.len() == 1 { "gets" } else { "get" },
            if negative.len() == 1 { "it" } else { "them" },
            if negative.len() == 1 {
                "its parent"
            } else {
                "their parents"
            },
        ));
    }
    Ok((
        LevelOptimisation {
            level: plan.level,
            nodes: ids,
            weights: result.weights,
            correlations: result.correlations,
            objective: result.objective,
            evaluations: result.evaluations,
            converged: result.converged,
        },
        warnings,
    ))
}

/// The search's error, naming the level's node (and its parent) a column error is about.
fn level_error(plan: &LevelPlan, framework: &Framework, objective: OptimiseObjective, e: StepError) -> anyhow::Error {
    let at = |column: usize| -> String {
        plan.targets.get(column).map_or("?".to_string(), |&t| {
            let node = &framework.nodes[t];
            let parent = node.parent.map_or("", |q| framework.nodes[q].id.as_str());
            format!("`{}` (under `{parent}`)", node.id)
        })
    };
    let index = &framework.nodes[0].id;
    match e {
        StepError::Degenerate { column, .. } => {
            let id = plan
                .targets
                .get(column)
                .map_or("?", |&t| framework.nodes[t].id.as_str());
            let kind = match plan.targets.get(column).map(|&t| framework.nodes[t].kind) {
                Some(NodeKind::Indicator) => "indicator",
                _ => "node",
            };
            anyhow!(
                "optimised weights of level {}: {} is constant over the units, so its correlation with `{index}` \
                 is undefined and no weights can {} it; leave the {kind} out (a variant with `drop = [\"{id}\"]`) \
                 or fix its data",
                plan.level,
                at(column),
                match objective {
                    OptimiseObjective::Balance => "balance",
                    OptimiseObjective::Infomax => "maximise",
                }
            )
        }
        e => anyhow!("optimised weights of level {}: {e}", plan.level),
    }
}

/// The spec's search settings and level, if the weights are optimised by level.
/// Checks the optimised weights of a level that `manifest` asks for against its
/// tree, without searching (the level is below the index's, its nodes can be
/// aggregated): what `cityrank validate` reports before a run. `Ok` when no level
/// is asked for.
///
/// # Errors
/// As a run would report them, keyed `pipeline.weights.level`.
pub fn check_level(manifest: &Manifest, framework: &Framework) -> Result<()> {
    match level_spec(manifest) {
        Some((level, _)) => LevelPlan::new(manifest, framework, level).map(|_| ()),
        None => Ok(()),
    }
}

pub(super) fn level_spec(manifest: &Manifest) -> Option<(usize, Search)> {
    match &manifest.pipeline.weights {
        crate::methodology::WeightSpec::Optimised {
            level: Some(level),
            objective,
            reltol,
            max_evaluations,
        } => Some((
            *level,
            Search {
                objective: *objective,
                reltol: *reltol,
                max_evaluations: *max_evaluations,
            },
        )),
        _ => None,
    }
}
