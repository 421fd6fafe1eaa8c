//! Weighting: effective weights down a framework tree, equal weights, PCA weights,
//! weights optimised for a target correlation structure, and noisy weights for
//! sensitivity analysis.
//!
//! Manual weights are data (one number per node) and need no function here. A
//! framework tree is given as a parent-index list: `parents[i]` is the index of node
//! `i`'s parent, `None` for a root (the index).

use crate::StepError;
use crate::aggregate::{self, Method, MissingPolicy};
use crate::analysis::{self, Correlation};
use crate::optimise::nelder_mead;

/// Effective weights: each node's weight normalised among its siblings (so the
/// children of a node sum to 1), multiplied by its parent's effective weight, down
/// from the root(s) (COINr `get_eff_wts`). The effective weights of the indicators
/// then sum to 1 (per root), and each node's effective weight equals the sum of
/// its children's.
///
/// Roots are normalised among themselves (a single root gets 1). Errors on a parent
/// index out of range, a cycle, negative or non-finite weights, or siblings whose
/// weights sum to 0.
pub fn effective(parents: &[Option<usize>], weights: &[f64]) -> Result<Vec<f64>, StepError> {
    let n = parents.len();
    if weights.len() != n {
        return Err(StepError::Shape {
            what: format!("{n} nodes but {} weights", weights.len()),
        });
    }
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(StepError::InvalidParameter {
            name: "weights".into(),
            expected: "finite, non-negative weights".into(),
        });
    }
    if let Some(i) = (0..n).find(|&i| parents[i].is_some_and(|p| p >= n || p == i)) {
        return Err(StepError::InvalidParameter {
            name: "parents".into(),
            expected: format!("parent indices of other nodes below {n}; node {i} has {:?}", parents[i]),
        });
    }
    // Sum of weights per parent (slot n collects the roots).
    let mut sibling_sum = vec![0.0; n + 1];
    for i in 0..n {
        sibling_sum[parents[i].unwrap_or(n)] += weights[i];
    }
    let mut eff = vec![f64::NAN; n];
    let mut state = vec![0u8; n]; // 0 = to do, 1 = on the current path, 2 = done
    let mut path = Vec::new();
    for start in 0..n {
        // Walk up until a finished node or a root, then fill in downwards.
        let mut node = start;
        while state[node] == 0 {
            state[node] = 1;
            path.push(node);
            match parents[node] {
                Some(p) => node = p,
                None => break,
            }
        }
        if state[node] == 1 && parents[node].is_some() {
            return Err(StepError::InvalidParameter {
                name: "parents".into(),
                expected: format!("a tree; node {node} is its own ancestor"),
            });
        }
        while let Some(i) = path.pop() {
            let slot = parents[i].unwrap_or(n);
            let s = sibling_sum[slot];
            if s <= 0.0 {
                return Err(StepError::InvalidParameter {
                    name: "weights".into(),
                    expected: format!("siblings with a positive total weight (node {i}'s siblings sum to 0)"),
                });
            }
            let parent_eff = parents[i].map_or(1.0, |p| eff[p]);
            eff[i] = weights[i] / s * parent_eff;
            state[i] = 2;
        }
    }
    Ok(eff)
}

/// Equal weights for `n` children: `1/n` each.
pub fn equal(n: usize) -> Vec<f64> {
    vec![1.0 / n as f64; n]
}

/// How PCA loadings become weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PcaWeighting {
    /// The entries of the first principal component (unit-length eigenvector of the
    /// correlation matrix), as COINr's `get_PCA()` uses them — they may be negative
    /// and do not sum to 1. Sign convention: the entries sum to a non-negative value.
    Loadings,
    /// The squared entries of the first component, which sum to 1 (the OECD/JRC
    /// Handbook's "squared factor loadings scaled to unity sum", one factor).
    SquaredLoadings,
}

/// PCA weights for the children of a node, from the first principal component of
/// their correlation matrix over the units with every child present (see
/// [`analysis::pca`]).
///
/// Errors as [`analysis::pca`] (e.g. a constant child: [`StepError::Degenerate`]),
/// and, for [`PcaWeighting::Loadings`], when the loadings have mixed signs
/// ([`StepError::MixedLoadings`]): a negative weight would subtract the child, and
/// is almost always a child whose direction is the wrong way round. (Squared
/// loadings hide the sign: see [`first_component`] to say so.)
pub fn pca(children: &[&[f64]], how: PcaWeighting) -> Result<Vec<f64>, StepError> {
    let first = first_component(children)?;
    Ok(match how {
        PcaWeighting::Loadings if first.iter().any(|a| *a < 0.0) => {
            return Err(StepError::MixedLoadings { loadings: first });
        }
        PcaWeighting::Loadings => first,
        PcaWeighting::SquaredLoadings => first.iter().map(|a| a * a).collect(),
    })
}

/// The loadings of the first principal component of `children` (sign convention of
/// [`analysis::pca`]: they sum to a non-negative value).
///
/// Errors as [`analysis::pca`].
pub fn first_component(children: &[&[f64]]) -> Result<Vec<f64>, StepError> {
    Ok(analysis::pca(children)?.rotation.into_iter().next().unwrap_or_default())
}

/// Weights with multiplicative noise for sensitivity analysis (COINr
/// `get_noisy_weights`): `wᵢ' = wᵢ · (1 + φ·(2uᵢ − 1))`, i.e. each weight moves by up
/// to ±φ of itself. `draws` are the caller's U(0, 1) draws, one per weight, so the
/// result is deterministic (this crate has no random number generator).
///
/// Errors unless `0 ≤ φ ≤ 1` (so weights stay non-negative) and every draw is in `[0, 1]`.
pub fn noisy(weights: &[f64], noise_factor: f64, draws: &[f64]) -> Result<Vec<f64>, StepError> {
    let mut out = Vec::with_capacity(weights.len());
    noisy_into(weights, noise_factor, draws, &mut out)?;
    Ok(out)
}

/// As [`noisy`], writing into `out` (cleared first).
pub fn noisy_into(weights: &[f64], noise_factor: f64, draws: &[f64], out: &mut Vec<f64>) -> Result<(), StepError> {
    if draws.len() != weights.len() {
        return Err(StepError::Shape {
            what: format!("{} weights but {} draws", weights.len(), draws.len()),
        });
    }
    if !(0.0..=1.0).contains(&noise_factor) {
        return Err(StepError::InvalidParameter {
            name: "noise_factor".into(),
            expected: format!("a factor in [0, 1], got {noise_factor}"),
        });
    }
    if let Some(d) = draws.iter().find(|d| !(0.0..=1.0).contains(*d)) {
        return Err(StepError::InvalidParameter {
            name: "draws".into(),
            expected: format!("uniform draws in [0, 1], got {d}"),
        });
    }
    out.clear();
    out.extend(
        weights
            .iter()
            .zip(draws)
            .map(|(w, u)| w + (u * 2.0 - 1.0) * noise_factor * w),
    );
    Ok(())
}

/// What optimised weights aim for (COINr `get_opt_weights(optype = …)`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Objective {
    /// Each child's correlation with the aggregate, as a share of the children's
    /// correlations, matches its target share: with `cᵢ` the correlations and `tᵢ`
    /// the targets (both summing to 1), minimise `ln(Σ (tᵢ − cᵢ/Σc)² / k)` (COINr
    /// `optype = "balance"`). Nelder–Mead starts from the targets.
    #[default]
    Balance,
    /// The children's correlations with the aggregate sum to as much as possible:
    /// minimise `−Σ cᵢ` (COINr `optype = "infomax"`). Nelder–Mead starts from the
    /// children's current weights.
    Infomax,
}

/// How a Nelder–Mead candidate `p` (free real numbers) becomes weights.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Candidates {
    /// `|pᵢ| / Σ|pⱼ|`: the weights never go negative.
    #[default]
    NonNegative,
    /// `pᵢ / Σpⱼ`, as COINr's `get_opt_weights` does: nothing keeps a weight from
    /// going negative (the aggregate then subtracts that child), and a candidate
    /// whose entries sum to 0 has no weights (its objective is the worst).
    Signed,
}

/// Settings of [`optimise_for_correlation`]; the defaults are COINr's (but for
/// [`Candidates`], whose default keeps weights non-negative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimiseOptions {
    /// Correlation between each child and the aggregate (COINr `cortype`, default Pearson).
    pub correlation: Correlation,
    /// Relative convergence tolerance of Nelder–Mead (COINr `toler`, default 0.1;
    /// lower it for a closer fit).
    pub reltol: f64,
    /// Maximum number of objective evaluations (COINr `maxiter`, default 500).
    pub max_evaluations: usize,
    /// What the weights aim for (COINr `optype`, default balance).
    pub objective: Objective,
    /// How candidates become weights.
    pub candidates: Candidates,
    /// Keep every evaluation in [`OptimisedWeights::trace`] (to check the search
    /// step by step, e.g. against R's).
    pub trace: bool,
}

impl Default for OptimiseOptions {
    fn default() -> Self {
        OptimiseOptions {
            correlation: Correlation::Pearson,
            reltol: 0.1,
            max_evaluations: 500,
            objective: Objective::Balance,
            candidates: Candidates::NonNegative,
            trace: false,
        }
    }
}

/// One evaluation of the objective during the search.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The candidate Nelder–Mead evaluated (before it became weights).
    pub parameters: Vec<f64>,
    /// The objective's value there (non-finite when the candidate has no weights
    /// or a correlation is undefined; Nelder–Mead takes it as 10³⁵).
    pub value: f64,
}

/// Result of a weight optimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimisedWeights {
    /// Optimised weights, summing to 1.
    pub weights: Vec<f64>,
    /// The best candidate Nelder–Mead found, of which `weights` are the normalised
    /// form (COINr's `OptResults$par`).
    pub parameters: Vec<f64>,
    /// The correlation of each child with the aggregate at these weights (COINr
    /// reports them normalised to sum to 1 for balance).
    pub correlations: Vec<f64>,
    /// The objective at these weights (COINr's `OptResults$value`).
    pub objective: f64,
    /// Objective evaluations used (COINr's `OptResults$counts["function"]`).
    pub evaluations: usize,
    /// Whether Nelder–Mead met its tolerance (rather than the evaluation limit or a
    /// failed shrink).
    pub converged: bool,
    /// Every evaluation in order, when [`OptimiseOptions::trace`] is set.
    pub trace: Vec<Evaluation>,
}

/// Weights optimised for the correlations of `children` with an aggregate (COINr
/// `get_opt_weights`): either so that each child's share of the correlations matches
/// a target share ([`Objective::Balance`]) or so that the correlations are as large
/// as possible ([`Objective::Infomax`]).
///
/// For candidate weights `w` (normalised to sum to 1, see [`Candidates`])
/// `aggregate_of(w)` returns the column to correlate against: the node itself, or
/// the index, re-aggregated with these weights as COINr does. `target` are the
/// balance's target shares (normalised to sum to 1; equal shares when `None`);
/// `current` are the children's current weights, where the infomax search starts
/// (the balance search starts from the normalised targets, as COINr's). Nelder–Mead
/// is R's `optim()` (see [`crate::optimise`]), with `options.reltol` and
/// `options.max_evaluations`.
///
/// Errors on fewer than two children, bad targets or tolerance, and a constant child
/// ([`StepError::Degenerate`]: its correlation is undefined for every candidate, so
/// the start would come back as the "optimum"); errors of `aggregate_of` end the search.
pub fn optimise_for_correlation<F>(
    children: &[&[f64]],
    target: Option<&[f64]>,
    current: &[f64],
    options: &OptimiseOptions,
    mut aggregate_of: F,
) -> Result<OptimisedWeights, StepError>
where
    F: FnMut(&[f64]) -> Result<Vec<f64>, StepError>,
{
    let k = children.len();
    if k < 2 {
        return Err(StepError::NotEnoughData {
            what: "weight optimisation: children".into(),
            present: k,
            needed: 2,
        });
    }
    if current.len() != k {
        return Err(StepError::Shape {
            what: format!("{k} children but {} current weights", current.len()),
        });
    }
    let t: Vec<f64> = match target {
        None => vec![1.0 / k as f64; k],
        Some(t) => {
            let s: f64 = t.iter().sum();
            if t.len() != k || t.iter().any(|v| !v.is_finite() || *v < 0.0) || s <= 0.0 {
                return Err(StepError::InvalidParameter {
                    name: "target".into(),
                    expected: format!("{k} non-negative target shares with a positive sum, got {t:?}"),
                });
            }
            t.iter().map(|v| v / s).collect()
        }
    };
    if !(options.reltol.is_finite() && options.reltol > 0.0) {
        return Err(StepError::InvalidParameter {
            name: "reltol".into(),
            expected: format!("a positive tolerance, got {}", options.reltol),
        });
    }
    let start: &[f64] = match options.objective {
        Objective::Balance => &t,
        Objective::Infomax => {
            if current.iter().any(|v| !v.is_finite()) || current.iter().sum::<f64>() == 0.0 {
                return Err(StepError::InvalidParameter {
                    name: "current".into(),
                    expected: format!("finite current weights with a non-zero sum, got {current:?}"),
                });
            }
            current
        }
    };
    // A constant child has no correlation with anything: every candidate would be
    // as good as the start, which would come back as the "optimum".
    if let Some(c) = children.iter().position(|col| {
        let mut present = col.iter().filter(|v| !v.is_nan());
        present.next().is_none_or(|first| present.all(|v| v == first))
    }) {
        return Err(StepError::Degenerate {
            column: c,
            why: match options.objective {
                Objective::Balance => {
                    "is constant over the units: its correlation with the aggregate is undefined, so \
                                       no weights can balance it"
                }
                Objective::Infomax => {
                    "is constant over the units: its correlation with the aggregate is undefined, so \
                                       no weights can maximise it"
                }
            }
            .into(),
        });
    }
    let mut w = vec![0.0; k];
    let mut corr = vec![0.0; k];
    let mut trace = Vec::new();
    // Evaluates the objective at candidate p, leaving weights in `w` and the
    // correlations in `corr`.
    let mut objective = |p: &[f64], w: &mut Vec<f64>, corr: &mut Vec<f64>| -> Result<f64, StepError> {
        let s: f64 = match options.candidates {
            Candidates::NonNegative => p.iter().map(|v| v.abs()).sum(),
            Candidates::Signed => p.iter().sum(),
        };
        if !(s != 0.0 && s.is_finite()) {
            corr.iter_mut().for_each(|c| *c = f64::NAN);
            return Ok(f64::INFINITY);
        }
        for (wi, pi) in w.iter_mut().zip(p) {
            *wi = match options.candidates {
                Candidates::NonNegative => pi.abs() / s,
                Candidates::Signed => pi / s,
            };
        }
        let parent = aggregate_of(w)?;
        for (ci, child) in corr.iter_mut().zip(children) {
            *ci = match analysis::correlation(child, &parent, options.correlation) {
                Ok(r) => r,
                Err(StepError::NotEnoughData { .. }) => f64::NAN,
                Err(e) => return Err(e),
            };
        }
        let value = match options.objective {
            Objective::Balance => {
                let cs: f64 = corr.iter().sum();
                let ss: f64 = t
                    .iter()
                    .zip(corr.iter())
                    .map(|(a, c)| (a - c / cs) * (a - c / cs))
                    .sum();
                // An undefined fit (a correlation that could not be computed) is the
                // worst, never the best: `NaN.max(x)` would be `x`.
                if ss.is_nan() {
                    f64::INFINITY
                } else {
                    // ln(0) on a perfect fit would be −∞, which Nelder–Mead (as R's)
                    // would take for the worst value.
                    crate::lanes::ln((ss / k as f64).max(1e-300))
                }
            }
            Objective::Infomax => -corr.iter().sum::<f64>(),
        };
        Ok(value)
    };
    let nm = nelder_mead(
        |p| {
            let v = objective(p, &mut w, &mut corr)?;
            if options.trace {
                trace.push(Evaluation {
                    parameters: p.to_vec(),
                    value: v,
                });
            }
            Ok(v)
        },
        start,
        options.reltol,
        options.max_evaluations,
    )?;
    // Recompute at the optimum to report its weights and correlations.
    let value = objective(&nm.x, &mut w, &mut corr)?;
    Ok(OptimisedWeights {
        weights: w,
        parameters: nm.x,
        correlations: corr,
        objective: value,
        evaluations: nm.evaluations,
        converged: nm.converged,
        trace,
    })
}

/// [`optimise_for_correlation`] for one node: the aggregate is the node itself,
/// computed from `children` with `method` and `policy`.
pub fn optimise_node(
    children: &[&[f64]],
    target: Option<&[f64]>,
    current: &[f64],
    method: Method,
    policy: MissingPolicy,
    options: &OptimiseOptions,
) -> Result<OptimisedWeights, StepError> {
    optimise_for_correlation(children, target, current, options, |w| {
        aggregate::aggregate(method, children, w, policy)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn effective_weights_by_hand() {
        // Index (0) ← A (1, w 1), B (2, w 3); A ← a1 (3, w 1), a2 (4, w 1);
        // B ← b1 (5, w 2). Normalised: A 1/4, B 3/4; a1, a2 1/2 each; b1 1.
        // Effective: index 1; A .25, B .75; a1 = a2 = .125; b1 = .75.
        let parents = [None, Some(0), Some(0), Some(1), Some(1), Some(2)];
        let w = [1.0, 1.0, 3.0, 1.0, 1.0, 2.0];
        let e = effective(&parents, &w).unwrap();
        for (got, want) in e.iter().zip([1.0, 0.25, 0.75, 0.125, 0.125, 0.75]) {
            assert!(close(*got, want), "{e:?}");
        }
        // Children listed before their parents work the same.
        let parents = [Some(1), None];
        assert_eq!(effective(&parents, &[5.0, 2.0]).unwrap(), vec![1.0, 1.0]);
    }

    #[test]
    fn effective_weights_reject_bad_trees() {
        assert!(effective(&[Some(1), Some(0)], &[1.0, 1.0]).is_err()); // cycle
        assert!(effective(&[Some(0)], &[1.0]).is_err()); // self-parent
        assert!(effective(&[Some(5)], &[1.0]).is_err()); // out of range
        assert!(effective(&[None, Some(0)], &[1.0, 0.0]).is_err()); // zero siblings
        assert!(effective(&[None], &[1.0, 2.0]).is_err()); // shape
    }

    #[test]
    fn equal_and_noisy_weights() {
        assert_eq!(equal(4), vec![0.25; 4]);
        // φ = 0.2: u = 0 → w·0.8, u = 1 → w·1.2, u = 0.5 → w.
        let y = noisy(&[1.0, 2.0, 3.0], 0.2, &[0.0, 1.0, 0.5]).unwrap();
        assert!(close(y[0], 0.8) && close(y[1], 2.4) && close(y[2], 3.0));
        assert!(noisy(&[1.0], 1.5, &[0.5]).is_err());
        assert!(noisy(&[1.0], 0.2, &[1.5]).is_err());
        assert!(noisy(&[1.0], 0.2, &[]).is_err());
    }

    #[test]
    fn pca_weights() {
        // a ⟂ b and c = a + b (see analysis tests): first component (1/2, 1/2, 1/√2).
        let a = [1.0, -1.0, 1.0, -1.0];
        let b = [1.0, 1.0, -1.0, -1.0];
        let c = [2.0, 0.0, 0.0, -2.0];
        let w = pca(&[&a, &b, &c], PcaWeighting::Loadings).unwrap();
        assert!(close(w[0], 0.5) && close(w[1], 0.5) && close(w[2], 0.5f64.sqrt()));
        let w = pca(&[&a, &b, &c], PcaWeighting::SquaredLoadings).unwrap();
        assert!(close(w[0], 0.25) && close(w[1], 0.25) && close(w[2], 0.5));
    }

    #[test]
    fn optimised_weights_balance_correlations() {
        // Symmetric children: y is x mirrored, so equal weights give equal
        // correlations with the mean and the equal-target optimum is (½, ½).
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let y = [6.0, 1.0, 5.0, 2.0, 4.0, 3.0];
        let reweight = MissingPolicy::Reweight { min_share: 0.0 };
        let opts = OptimiseOptions {
            reltol: 1e-10,
            ..OptimiseOptions::default()
        };
        let ones = [1.0, 1.0];
        let r = optimise_node(&[&x, &y], None, &ones, Method::Arithmetic, reweight, &opts).unwrap();
        assert!((r.weights[0] - 0.5).abs() < 1e-6, "{r:?}");
        assert!((r.correlations[0] - r.correlations[1]).abs() < 1e-6, "{r:?}");
        // A 2:1 target on an asymmetric pair: the fit reaches the target shares.
        let z = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0];
        let target = [2.0, 1.0];
        let r = optimise_node(&[&y, &z], Some(&target), &ones, Method::Arithmetic, reweight, &opts).unwrap();
        let share = r.correlations[0] / (r.correlations[0] + r.correlations[1]);
        assert!((share - 2.0 / 3.0).abs() < 1e-4, "{r:?}");
        assert!((r.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(r.weights.iter().all(|w| *w >= 0.0) && r.trace.is_empty());
        // Bad targets.
        assert!(optimise_node(&[&x, &y], Some(&[1.0]), &ones, Method::Arithmetic, reweight, &opts).is_err());
        assert!(optimise_node(&[&x], None, &[1.0], Method::Arithmetic, reweight, &opts).is_err());
    }

    #[test]
    fn infomax_maximises_the_sum_of_the_correlations() {
        // For children of equal spread the sum of their correlations with a·x + b·y is
        // (a + b)(1 + r)/√(a² + b² + 2abr), largest at a = b; x is twice the spread
        // of the other (a permutation of the same values), so the optimum weights x
        // by 1/3 and y by 2/3.
        let x = [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0];
        let y = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 7.0];
        let opts = OptimiseOptions {
            reltol: 1e-14,
            objective: Objective::Infomax,
            trace: true,
            ..OptimiseOptions::default()
        };
        let reweight = MissingPolicy::Reweight { min_share: 0.0 };
        let start = [1.0, 1.0];
        let r = optimise_node(&[&x, &y], None, &start, Method::Arithmetic, reweight, &opts).unwrap();
        assert!((r.weights[0] - 1.0 / 3.0).abs() < 1e-6 && r.converged, "{r:?}");
        assert!((r.correlations[0] - r.correlations[1]).abs() < 1e-7, "{r:?}");
        assert_eq!(r.objective, -(r.correlations[0] + r.correlations[1]));
        // The trace starts at the current weights, then the initial simplex (+10%).
        assert_eq!(r.trace.len(), r.evaluations);
        assert_eq!(r.trace[0].parameters, start);
        assert_eq!(r.trace[1].parameters, [1.1, 1.0]);
        assert_eq!(r.trace[2].parameters, [1.0, 1.1]);
        let mean: Vec<f64> = (0..7).map(|u| (x[u] + y[u]) / 2.0).collect();
        let at_start = -(analysis::pearson(&x, &mean).unwrap() + analysis::pearson(&y, &mean).unwrap());
        assert_eq!(r.trace[0].value, at_start);
        assert!(r.objective < at_start);
    }

    #[test]
    fn signed_candidates_keep_their_signs() {
        // COINr's mapping p / Σp: the weights the aggregate sees are the candidate
        // normalised with its signs; |p| / Σ|p| keeps them non-negative.
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let z = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0];
        for candidates in [Candidates::Signed, Candidates::NonNegative] {
            let opts = OptimiseOptions {
                reltol: 1e-12,
                candidates,
                trace: true,
                ..OptimiseOptions::default()
            };
            let mut seen = Vec::new();
            let r = optimise_for_correlation(&[&x, &z], None, &[1.0, 1.0], &opts, |w| {
                seen.push(w.to_vec());
                Ok((0..6).map(|u| (w[0] * x[u] + w[1] * z[u]) / (w[0] + w[1])).collect())
            })
            .unwrap();
            // One call per evaluation, and one more at the optimum.
            assert_eq!(seen.len(), r.trace.len() + 1);
            for (e, w) in r.trace.iter().zip(&seen) {
                let p = &e.parameters;
                let expected: Vec<f64> = match candidates {
                    Candidates::Signed => p.iter().map(|v| v / (p[0] + p[1])).collect(),
                    Candidates::NonNegative => p.iter().map(|v| v.abs() / (p[0].abs() + p[1].abs())).collect(),
                };
                assert_eq!(w, &expected);
            }
            assert_eq!(seen.last(), Some(&r.weights));
        }
        // Infomax cannot start from current weights that sum to 0.
        let opts = OptimiseOptions {
            objective: Objective::Infomax,
            candidates: Candidates::Signed,
            ..OptimiseOptions::default()
        };
        let r = optimise_for_correlation(&[&x, &z], None, &[1.0, -1.0], &opts, |w| {
            Ok((0..6).map(|u| w[0] * x[u] + w[1] * z[u]).collect())
        });
        assert!(matches!(r, Err(StepError::InvalidParameter { .. })), "{r:?}");
    }
}
