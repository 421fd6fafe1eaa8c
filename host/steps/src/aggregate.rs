//! Aggregation: combine the children of a framework node into the node's score.
//!
//! Row-wise methods (means, weighted median, Mazziotta–Pareto) combine each unit's
//! children on their own; Copeland and benefit-of-the-doubt compare units with each
//! other, so they see the whole node at once. Every method checks its domain over
//! all units *before* computing anything, so an error lists every offending unit.

use crate::lanes::ln;
use crate::lp::{LpError, Simplex};
use crate::{StepError, is_missing};
use libm::{exp, pow};

/// What to do when some children of a node are missing for a unit.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MissingPolicy {
    /// Aggregate over the children present, with their weights rescaled to sum to the
    /// original total; the result is missing when the present children carry less
    /// than `min_share` of the node's total weight (`0.0` accepts any single child).
    Reweight {
        /// Minimum share of the total weight that must be present, in `[0, 1]`.
        min_share: f64,
    },
    /// The result is missing as soon as any child is missing.
    Propagate,
    /// Any missing child is an error that names the units.
    Fail,
}

/// Which way the Mazziotta–Pareto penalty for unbalanced children points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MpiPenalty {
    /// The composite is "positive" (higher = better, e.g. well-being): imbalance is
    /// penalised, `M − S·cv`. Compind's `ci_mpi(penalty = "POS")`.
    Positive,
    /// The composite is "negative" (higher = worse, e.g. poverty): `M + S·cv`.
    /// Compind's `ci_mpi(penalty = "NEG")`.
    Negative,
}

/// How a node combines its children.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Method {
    /// Weighted arithmetic mean `Σ wᵢxᵢ / Σ wᵢ` (COINr `a_amean`). Weights may be
    /// negative, as in COINr (the optimised weights of a level can be): they must
    /// not sum to 0, and a unit whose present children's weights sum to 0 gets a
    /// missing value.
    Arithmetic,
    /// Weighted geometric mean `exp(Σ wᵢ ln xᵢ / Σ wᵢ)`; needs every value > 0
    /// (COINr `a_gmean`).
    Geometric,
    /// Weighted harmonic mean `Σ wᵢ / Σ (wᵢ/xᵢ)`; needs every value > 0
    /// (COINr `a_hmean`, which only rejects zeros).
    Harmonic,
    /// Weighted generalised (power) mean `(Σ wᵢxᵢᵖ / Σ wᵢ)^(1/p)` (COINr `a_genmean`);
    /// `p ≠ 0` (use [`Method::Geometric`] for the limit `p → 0`). Needs values ≥ 0,
    /// or > 0 when `p < 0`.
    Generalised {
        /// The power `p` (1 = arithmetic, −1 = harmonic, 2 = quadratic).
        p: f64,
    },
    /// Weighted median as COINr computes it in its aggregation vignette,
    /// `matrixStats::weightedMedian(x, w, na.rm = TRUE)` with its default linear
    /// interpolation: with the children sorted by value and normalised weights `ŵ`,
    /// the midpoint cumulative weights are `Wₖ = Σ_{i≤k} ŵᵢ − ŵₖ/2`, and the median
    /// interpolates linearly between the two values whose `W` bracket ½. Children
    /// with zero weight are ignored.
    WeightedMedian,
    /// Weighted median by the classical definition the COINr vignette states: the
    /// value `x_m` of the sorted children with at most half the (normalised) weight
    /// below it and at most half above it (matrixStats `interpolate = FALSE`). When
    /// exactly half the weight lies below a value, it and its predecessor both
    /// qualify and their mean is returned. Children with zero weight are ignored.
    WeightedMedianClassical,
    /// Copeland scores from the weighted outranking matrix (COINr `a_copeland`): for
    /// each pair of units, unit `i` outranks `j` when the weights of the children
    /// where `i` is higher, plus half those where they tie, exceed half the weight
    /// compared; the score is wins − losses. Missing children are left out of a
    /// pair's comparison (COINr counts them for one side only, in an order-dependent way).
    Copeland,
    /// Mazziotta–Pareto index: `M ∓ S·cv` with `M` the weighted mean of the children,
    /// `S` their weighted *population* standard deviation and `cv = S/M` (De Muro,
    /// Mazziotta & Pareto 2011; equal weights give the published MPI). The children
    /// should first be standardised to mean 100, sd 10
    /// ([`crate::normalise::Normaliser::ZScore`]) for the MPI, or rescaled with
    /// [`crate::normalise::Normaliser::AmpiGoalposts`] for the adjusted MPI.
    /// Compind's `ci_mpi` uses the sample sd (n − 1) here; its `ci_ampi` the population sd.
    MazziottaPareto {
        /// Direction of the penalty.
        penalty: MpiPenalty,
    },
    /// Benefit of the doubt (Compind `ci_bod`, i.e. CRS DEA with a unit input): each
    /// unit gets the weights most favourable to it, `max Σ wᵢ yᵤᵢ` subject to
    /// `Σ wᵢ yⱼᵢ ≤ 1` for every unit `j` and `w ≥ 0`; scores lie in `[0, 1]`. The
    /// node's weights are *not* used. Needs values ≥ 0. Under `Reweight`, a missing
    /// child counts as 0 (it earns the unit nothing and constrains no one).
    BenefitOfTheDoubt,
}

impl Method {
    /// A short name of the method, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Method::Arithmetic => "weighted arithmetic mean",
            Method::Geometric => "weighted geometric mean",
            Method::Harmonic => "weighted harmonic mean",
            Method::Generalised { .. } => "weighted generalised mean",
            Method::WeightedMedian => "weighted median",
            Method::WeightedMedianClassical => "weighted median (classical)",
            Method::Copeland => "Copeland method",
            Method::MazziottaPareto { .. } => "Mazziotta–Pareto index",
            Method::BenefitOfTheDoubt => "benefit of the doubt",
        }
    }
}

/// Aggregates `children` (one column per child, one entry per unit) with `weights`
/// (one per child) into one column, following `policy` for missing children.
///
/// The domain of the method is checked over all units before anything is
/// computed, so the error lists every offending unit at once.
pub fn aggregate(
    method: Method,
    children: &[&[f64]],
    weights: &[f64],
    policy: MissingPolicy,
) -> Result<Vec<f64>, StepError> {
    check_inputs(method, children, weights)?;
    if let MissingPolicy::Reweight { min_share } = policy
        && !(0.0..=1.0).contains(&min_share)
    {
        return Err(StepError::InvalidParameter {
            name: "min_share".into(),
            expected: format!("a share in [0, 1], got {min_share}"),
        });
    }
    if let Method::Generalised { p } = method
        && (!p.is_finite() || p == 0.0)
    {
        return Err(StepError::InvalidParameter {
            name: "p".into(),
            expected: format!("a finite, non-zero power, got {p} (p → 0 is the geometric mean: use that method)"),
        });
    }
    let n = children[0].len();
    check_domain(method, children, weights, n)?;
    // A share of the weight means nothing when weights have mixed signs (optimised
    // weights of a level may be negative): a unit with every child present could
    // hold "less than" the whole. Refused rather than answered wrongly.
    if let MissingPolicy::Reweight { min_share } = policy
        && min_share > 0.0
        && weights.iter().any(|&w| w < 0.0)
    {
        return Err(StepError::InvalidParameter {
            name: "min_share".into(),
            expected: format!(
                "0 when weights are negative (a share {min_share} of weights with mixed signs has no meaning); \
                 set the missing-value policy's min_share to 0, or use weights that are not negative"
            ),
        });
    }
    if policy == MissingPolicy::Fail {
        let bad: Vec<usize> = (0..n).filter(|&u| children.iter().any(|c| is_missing(c[u]))).collect();
        if !bad.is_empty() {
            return Err(StepError::Domain {
                method: method.name().into(),
                units: bad,
                needs: "every child present (missing policy `fail`)".into(),
                hint: "impute the missing values or declare a `reweight` policy".into(),
            });
        }
    }
    match method {
        Method::Copeland => Ok(copeland(children, weights, policy)),
        Method::BenefitOfTheDoubt => benefit_of_the_doubt(children, weights, policy),
        _ => Ok(row_wise(method, children, weights, policy)),
    }
}

/// Whether a unit's present children are enough under `policy`; `wsum` is the weight
/// present, `total` the node's total weight.
fn accepted(policy: MissingPolicy, any_missing: bool, wsum: f64, total: f64) -> bool {
    match policy {
        MissingPolicy::Propagate => !any_missing,
        // (With non-negative weights `wsum ≠ 0` is `wsum > 0`; the arithmetic mean's
        // weights may be negative, and any non-zero present weight is a mean.)
        MissingPolicy::Reweight { min_share } => wsum != 0.0 && (min_share == 0.0 || wsum >= min_share * total),
        MissingPolicy::Fail => true,
    }
}

fn row_wise(method: Method, children: &[&[f64]], weights: &[f64], policy: MissingPolicy) -> Vec<f64> {
    let n = children[0].len();
    let total: f64 = weights.iter().sum();
    // Fast path: arithmetic and geometric means of complete data, accumulated child
    // by child over all units (contiguous, vectorisable). The additions happen in the
    // same order as in the row-wise loop, so the results are bit-identical.
    if matches!(method, Method::Arithmetic | Method::Geometric)
        && total > 0.0
        && children.iter().all(|c| c.iter().all(|v| !is_missing(*v)))
    {
        let mut acc = vec![-0.0f64; n];
        for (c, &w) in children.iter().zip(weights) {
            if method == Method::Arithmetic {
                acc.iter_mut().zip(c.iter()).for_each(|(a, &v)| *a += w * v);
            } else {
                acc.iter_mut().zip(c.iter()).for_each(|(a, &v)| *a += w * ln(v));
            }
        }
        let mut wsum = 0.0;
        for &w in weights {
            wsum += w;
        }
        if method == Method::Arithmetic {
            acc.iter_mut().for_each(|a| *a /= wsum);
        } else {
            acc.iter_mut().for_each(|a| *a = exp(*a / wsum));
        }
        return acc;
    }
    // Arithmetic and geometric means with missing values: still child by child
    // over all units, keeping per unit the weighted sum of the present children,
    // the weight present and whether one was missing. A unit's terms are added in
    // child order, as the row-wise loop adds them (bit-identical results); a
    // missing child adds nothing (not even a zero, which could turn a −0 sum into
    // +0).
    if matches!(method, Method::Arithmetic | Method::Geometric) {
        let mut acc = vec![-0.0f64; n];
        let mut present = vec![0.0f64; n];
        let mut missing = vec![false; n];
        for (c, &w) in children.iter().zip(weights) {
            for (((a, p), m), &v) in acc
                .iter_mut()
                .zip(present.iter_mut())
                .zip(missing.iter_mut())
                .zip(c.iter())
            {
                if is_missing(v) {
                    *m = true;
                } else {
                    *a += w * if method == Method::Arithmetic { v } else { ln(v) };
                    *p += w;
                }
            }
        }
        return acc
            .iter()
            .zip(&present)
            .zip(&missing)
            .map(|((&a, &wsum), &m)| {
                if !accepted(policy, m, wsum, total) || wsum == 0.0 {
                    f64::NAN
                } else if method == Method::Arithmetic {
                    a / wsum
                } else {
                    exp(a / wsum)
                }
            })
            .collect();
    }
    let mut out = Vec::with_capacity(n);
    // (value, weight) of the present children of one unit; reused across units.
    let mut row: Vec<(f64, f64)> = Vec::with_capacity(children.len());
    for u in 0..n {
        row.clear();
        let (mut wsum, mut any_missing) = (0.0, false);
        for (c, &w) in children.iter().zip(weights) {
            let v = c[u];
            if is_missing(v) {
                any_missing = true;
            } else {
                row.push((v, w));
                wsum += w;
            }
        }
        if !accepted(policy, any_missing, wsum, total) || wsum == 0.0 {
            out.push(f64::NAN);
            continue;
        }
        out.push(combine(method, &mut row, wsum));
    }
    out
}

/// Combines one unit's present `(value, weight)` pairs; `wsum` = Σ weights > 0.
fn combine(method: Method, row: &mut [(f64, f64)], wsum: f64) -> f64 {
    match method {
        Method::Arithmetic => row.iter().map(|&(v, w)| w * v).sum::<f64>() / wsum,
        Method::Geometric => exp(row.iter().map(|&(v, w)| w * ln(v)).sum::<f64>() / wsum),
        Method::Harmonic => wsum / row.iter().map(|&(v, w)| w / v).sum::<f64>(),
        Method::Generalised { p } => pow(row.iter().map(|&(v, w)| w * pow(v, p)).sum::<f64>() / wsum, 1.0 / p),
        Method::WeightedMedian => weighted_median(row, true),
        Method::WeightedMedianClassical => weighted_median(row, false),
        Method::MazziottaPareto { penalty } => {
            let m = row.iter().map(|&(v, w)| w * v).sum::<f64>() / wsum;
            let s = (row.iter().map(|&(v, w)| w * (v - m) * (v - m)).sum::<f64>() / wsum).sqrt();
            let cv = s / m;
            match penalty {
                MpiPenalty::Positive => m - s * cv,
                MpiPenalty::Negative => m + s * cv,
            }
        }
        // Whole-node methods are dispatched before reaching here.
        Method::Copeland | Method::BenefitOfTheDoubt => f64::NAN,
    }
}

/// Weighted median as `matrixStats::weightedMedian(x, w, interpolate = …)` (ties
/// "weighted", its default). Sorts `row` in place.
fn weighted_median(row: &mut [(f64, f64)], interpolate: bool) -> f64 {
    // Zero weights are dropped (matrixStats drops non-positive weights).
    let mut len = 0;
    for i in 0..row.len() {
        if row[i].1 > 0.0 {
            row[len] = row[i];
            len += 1;
        }
    }
    let row = &mut row[..len];
    match row.len() {
        0 => return f64::NAN,
        1 => return row[0].0,
        _ => {}
    }
    row.sort_by(|a, b| a.0.total_cmp(&b.0));
    let wtotal: f64 = row.iter().map(|p| p.1).sum();
    if interpolate {
        let (mut cum, mut prev_wcum) = (0.0, 0.0);
        for (k, &(x, w)) in row.iter().enumerate() {
            let t = w / wtotal;
            cum += t;
            let wcum = cum - t / 2.0;
            if wcum >= 0.5 {
                if k == 0 {
                    return x;
                }
                let dx = x - row[k - 1].0;
                let dy = 0.5 - wcum;
                return (dy / (wcum - prev_wcum)) * dx + x;
            }
            prev_wcum = wcum;
        }
    } else {
        // First value whose cumulative weight exceeds half the total (compared as
        // 2·cum > total, exact for integer weights).
        let mut cum = 0.0;
        for (k, &(x, w)) in row.iter().enumerate() {
            let below = cum;
            cum += w;
            if 2.0 * cum > wtotal {
                if k > 0 && 2.0 * below == wtotal {
                    // Exactly half the weight lies below x: x and its predecessor tie.
                    return (row[k - 1].0 + x) / 2.0;
                }
                return x;
            }
        }
    }
    // Unreachable in exact arithmetic (the scan always finds a value).
    row[row.len() - 1].0
}

/// Which units take part in a whole-node method, per `policy`.
fn participants(children: &[&[f64]], weights: &[f64], policy: MissingPolicy) -> Vec<bool> {
    let n = children[0].len();
    let total: f64 = weights.iter().sum();
    (0..n)
        .map(|u| {
            let (mut wsum, mut any_missing) = (0.0, false);
            for (c, &w) in children.iter().zip(weights) {
                if is_missing(c[u]) {
                    any_missing = true;
                } else {
                    wsum += w;
                }
            }
            accepted(policy, any_missing, wsum, total)
        })
        .collect()
}

fn copeland(children: &[&[f64]], weights: &[f64], policy: MissingPolicy) -> Vec<f64> {
    let n = children[0].len();
    let m = children.len();
    let inside = participants(children, weights, policy);
    // Row-major copy so that each pair compares two contiguous rows.
    let mut rows = Vec::with_capacity(n * m);
    for u in 0..n {
        rows.extend(children.iter().map(|c| c[u]));
    }
    let complete: Vec<bool> = (0..n)
        .map(|u| rows[u * m..(u + 1) * m].iter().all(|v| !is_missing(*v)))
        .collect();
    let wsum: f64 = weights.iter().sum();
    let mut score = vec![0.0; n];
    for i in 0..n {
        if !inside[i] {
            continue;
        }
        let ri = &rows[i * m..(i + 1) * m];
        for j in i + 1..n {
            if !inside[j] {
                continue;
            }
            let rj = &rows[j * m..(j + 1) * m];
            // Weight where i is higher (a), tied (t), and compared at all (total).
            let (mut a, mut t) = (0.0, 0.0);
            let total = if complete[i] && complete[j] {
                for ((x, y), w) in ri.iter().zip(rj).zip(weights) {
                    if x > y {
                        a += w;
                    } else if x == y {
                        t += w;
                    }
                }
                wsum
            } else {
                let mut total = 0.0;
                for ((x, y), w) in ri.iter().zip(rj).zip(weights) {
                    if is_missing(*x) || is_missing(*y) {
                        continue;
                    }
                    total += w;
                    if x > y {
                        a += w;
                    } else if x == y {
                        t += w;
                    }
                }
                total
            };
            // i outranks j when (a + t/2)/total > 1/2, i.e. 2a + t > total (exact for
            // integer weights, no division).
            let lhs = 2.0 * a + t;
            if lhs > total {
                score[i] += 1.0;
                score[j] -= 1.0;
            } else if lhs < total {
                score[i] -= 1.0;
                score[j] += 1.0;
            }
        }
    }
    (0..n).map(|u| if inside[u] { score[u] } else { f64::NAN }).collect()
}

fn benefit_of_the_doubt(children: &[&[f64]], weights: &[f64], policy: MissingPolicy) -> Result<Vec<f64>, StepError> {
    let n = children[0].len();
    let m = children.len();
    let inside = participants(children, weights, policy);
    // Values of the participating units, missing as 0, row-major.
    let rows: Vec<usize> = (0..n).filter(|&u| inside[u]).collect();
    let mut y = Vec::with_capacity(rows.len() * m);
    for &j in &rows {
        y.extend(children.iter().map(|c| if is_missing(c[j]) { 0.0 } else { c[j] }));
    }
    let row = |r: usize| &y[r * m..(r + 1) * m];
    // Only non-dominated units constrain the weights: if y_j ≤ y_k componentwise,
    // then w·y_j ≤ w·y_k ≤ 1 for any w ≥ 0. (Of identical rows the first is kept.)
    let frontier: Vec<usize> = (0..rows.len())
        .filter(|&j| {
            !(0..rows.len())
                .any(|k| k != j && row(j).iter().zip(row(k)).all(|(a, b)| a <= b) && (row(j) != row(k) || k < j))
        })
        .collect();
    let mut a = Vec::with_capacity(frontier.len() * m);
    for &k in &frontier {
        a.extend_from_slice(row(k));
    }
    let b = vec![1.0; frontier.len()];
    let mut lp = Simplex::default();
    let mut out = vec![f64::NAN; n];
    for (r, &u) in rows.iter().enumerate() {
        match lp.maximise(row(r), &a, &b) {
            Ok(v) => out[u] = v.min(1.0),
            Err(e) => {
                // Cannot happen for non-negative data (each unit is bounded by a
                // frontier row), but report rather than panic.
                return Err(StepError::Domain {
                    method: Method::BenefitOfTheDoubt.name().into(),
                    units: vec![u],
                    needs: "a bounded linear programme".into(),
                    hint: match e {
                        LpError::Unbounded => "check the children for non-finite values".into(),
                        LpError::IterationLimit => "the simplex did not converge".into(),
                    },
                });
            }
        }
    }
    Ok(out)
}

/// Checks the values every method needs, over all units, before computing.
fn check_domain(method: Method, children: &[&[f64]], weights: &[f64], n: usize) -> Result<(), StepError> {
    let any_present = |u: usize, bad: &dyn Fn(f64) -> bool| children.iter().any(|c| !is_missing(c[u]) && bad(c[u]));
    let (bad, needs, hint): (Vec<usize>, &str, &str) = match method {
        Method::Geometric | Method::Harmonic => (
            (0..n).filter(|&u| any_present(u, &|v| v <= 0.0)).collect(),
            "every value > 0",
            "normalise onto a strictly positive range, e.g. min-max onto [1, 100]",
        ),
        Method::Generalised { p } if p < 0.0 => (
            (0..n).filter(|&u| any_present(u, &|v| v <= 0.0)).collect(),
            "every value > 0 (negative power)",
            "normalise onto a strictly positive range, e.g. min-max onto [1, 100]",
        ),
        Method::Generalised { .. } => (
            (0..n).filter(|&u| any_present(u, &|v| v < 0.0)).collect(),
            "every value ≥ 0",
            "normalise onto a non-negative range, e.g. min-max onto [0, 100]",
        ),
        Method::BenefitOfTheDoubt => (
            (0..n).filter(|&u| any_present(u, &|v| v < 0.0)).collect(),
            "every value ≥ 0",
            "normalise onto a non-negative range, e.g. min-max onto [0, 100]",
        ),
        Method::MazziottaPareto { .. } => (
            (0..n)
                .filter(|&u| {
                    let (s, w) = children.iter().zip(weights).fold((0.0, 0.0), |(s, ws), (c, &w)| {
                        if is_missing(c[u]) {
                            (s, ws)
                        } else {
                            (s + w * c[u], ws + w)
                        }
                    });
                    w > 0.0 && s / w <= 0.0
                })
                .collect(),
            "a positive mean of the children (the penalty divides by it)",
            "standardise the children to mean 100, sd 10 (z-score) or use AMPI goalposts",
        ),
        _ => (Vec::new(), "", ""),
    };
    if bad.is_empty() {
        Ok(())
    } else {
        Err(StepError::Domain {
            method: method.name().into(),
            units: bad,
            needs: needs.into(),
            hint: hint.into(),
        })
    }
}

fn check_inputs(method: Method, children: &[&[f64]], weights: &[f64]) -> Result<(), StepError> {
    if children.len() != weights.len() {
        return Err(StepError::Shape {
            what: format!("{} children but {} weights", children.len(), weights.len()),
        });
    }
    if children.is_empty() {
        return Err(StepError::Shape {
            what: "a node with no children".into(),
        });
    }
    let n = children[0].len();
    if children.iter().any(|c| c.len() != n) {
        return Err(StepError::Shape {
            what: "children of different lengths".into(),
        });
    }
    // The arithmetic mean takes weights of either sign, as COINr's `a_amean` (the
    // optimised weights of a level can be negative); the other methods need
    // non-negative ones.
    if method == Method::Arithmetic {
        if weights.iter().any(|w| !w.is_finite()) {
            return Err(StepError::InvalidParameter {
                name: "weights".into(),
                expected: "finite weights".into(),
            });
        }
        if weights.iter().sum::<f64>() == 0.0 {
            return Err(StepError::InvalidParameter {
                name: "weights".into(),
                expected: "weights with a non-zero sum".into(),
            });
        }
        return Ok(());
    }
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(StepError::InvalidParameter {
            name: "weights".into(),
            expected: "finite, non-negative weights (only the arithmetic mean takes negative ones)".into(),
        });
    }
    if weights.iter().sum::<f64>() <= 0.0 {
        return Err(StepError::InvalidParameter {
            name: "weights".into(),
            expected: "at least one positive weight".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const REWEIGHT: MissingPolicy = MissingPolicy::Reweight { min_share: 0.0 };

    #[test]
    fn a_share_of_weights_with_mixed_signs_is_refused() {
        let (a, b) = ([1.0, 2.0], [3.0, 4.0]);
        let children: [&[f64]; 2] = [&a, &b];
        // Weights 0.3 and −0.5 sum to −0.2: a unit with both children present would
        // hold −0.2 < 0.5 · −0.2 = −0.1 of the weight and be dropped.
        let err = aggregate(
            Method::Arithmetic,
            &children,
            &[0.3, -0.5],
            MissingPolicy::Reweight { min_share: 0.5 },
        )
        .unwrap_err();
        assert!(err.to_string().contains("min_share"), "{err}");
        // With min_share 0 the mean is defined: (0.3·1 − 0.5·3) / −0.2 = 6.
        let got = aggregate(Method::Arithmetic, &children, &[0.3, -0.5], REWEIGHT).unwrap();
        assert!((got[0] - 6.0).abs() < 1e-12, "{got:?}");
    }

    /// The column-wise means with missing values give the bits of the unit-by-unit
    /// definition (`combine` over each unit's present children, in child order),
    /// for every policy, with zeros of both signs among the values.
    #[test]
    fn column_wise_means_are_the_row_wise_bits() {
        let (n, m) = (500, 7);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let columns: Vec<Vec<f64>> = (0..m)
            .map(|_| {
                (0..n)
                    .map(|_| match next() % 10 {
                        0 => f64::NAN,
                        1 => -0.0,
                        2 => 0.0,
                        _ => (next() % 100_000) as f64 / 997.0 + 0.001,
                    })
                    .collect()
            })
            .collect();
        let children: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let weights = [0.3, 1.0 / 3.0, 2.0, 0.0, 0.7, 1e-3, 5.0];
        let total: f64 = weights.iter().sum();
        for method in [Method::Arithmetic, Method::Geometric] {
            for policy in [
                REWEIGHT,
                MissingPolicy::Reweight { min_share: 0.6 },
                MissingPolicy::Propagate,
            ] {
                // Geometric means need values > 0: zeros are replaced for it.
                let data: Vec<Vec<f64>> = columns
                    .iter()
                    .map(|c| {
                        c.iter()
                            .map(|&v| {
                                if method == Method::Geometric && v == 0.0 {
                                    0.5
                                } else {
                                    v
                                }
                            })
                            .collect()
                    })
                    .collect();
                let refs: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
                let got = aggregate(method, &refs, &weights, policy).unwrap();
                for u in 0..n {
                    let mut row: Vec<(f64, f64)> = Vec::new();
                    let (mut wsum, mut any) = (0.0, false);
                    for (c, &w) in refs.iter().zip(&weights) {
                        if c[u].is_nan() {
                            any = true;
                        } else {
                            row.push((c[u], w));
                            wsum += w;
                        }
                    }
                    let want = if !accepted(policy, any, wsum, total) || wsum == 0.0 {
                        f64::NAN
                    } else {
                        combine(method, &mut row, wsum)
                    };
                    assert_eq!(got[u].to_bits(), want.to_bits(), "{method:?} {policy:?} unit {u}");
                }
            }
        }
        assert_eq!(children.len(), m);
    }

    #[test]
    fn arithmetic_hand_computed() {
        // Unit 0: (1·10 + 3·20)/4 = 70/4 = 17.5; unit 1: (1·0 + 3·4)/4 = 3.
        let a = [10.0, 0.0];
        let b = [20.0, 4.0];
        let y = aggregate(Method::Arithmetic, &[&a, &b], &[1.0, 3.0], REWEIGHT).unwrap();
        assert_eq!(y, vec![17.5, 3.0]);
    }

    #[test]
    fn geometric_hand_computed_and_domain() {
        // (4^1 · 16^1)^(1/2) = 8.
        let y = aggregate(Method::Geometric, &[&[4.0], &[16.0]], &[1.0, 1.0], REWEIGHT).unwrap();
        assert!((y[0] - 8.0).abs() < 1e-12);
        let err = aggregate(
            Method::Geometric,
            &[&[4.0, 0.0, -1.0], &[1.0, 1.0, 1.0]],
            &[1.0, 1.0],
            REWEIGHT,
        )
        .unwrap_err();
        match err {
            StepError::Domain { units, .. } => assert_eq!(units, vec![1, 2]),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn missing_policies() {
        let a = [10.0, f64::NAN];
        let b = [20.0, 4.0];
        // Reweight: unit 1 has only b (weight 3 of 4 = 75%) → 4.
        let y = aggregate(Method::Arithmetic, &[&a, &b], &[1.0, 3.0], REWEIGHT).unwrap();
        assert_eq!(y[1], 4.0);
        // Requiring 80% of the weight makes it missing.
        let y = aggregate(
            Method::Arithmetic,
            &[&a, &b],
            &[1.0, 3.0],
            MissingPolicy::Reweight { min_share: 0.8 },
        )
        .unwrap();
        assert!(y[1].is_nan());
        let y = aggregate(Method::Arithmetic, &[&a, &b], &[1.0, 3.0], MissingPolicy::Propagate).unwrap();
        assert_eq!(y[0], 17.5);
        assert!(y[1].is_nan());
        let err = aggregate(Method::Arithmetic, &[&a, &b], &[1.0, 3.0], MissingPolicy::Fail).unwrap_err();
        assert!(matches!(err, StepError::Domain { ref units, .. } if units == &vec![1]));
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn harmonic_hand_computed() {
        // Equal weights: 2/(1/1 + 1/4) = 2/1.25 = 1.6; weights 1, 3: 4/(1 + 3/4) = 16/7.
        let y = aggregate(Method::Harmonic, &[&[1.0, 1.0], &[4.0, 4.0]], &[1.0, 1.0], REWEIGHT).unwrap();
        assert!(close(y[0], 1.6));
        let y = aggregate(Method::Harmonic, &[&[1.0], &[4.0]], &[1.0, 3.0], REWEIGHT).unwrap();
        assert!(close(y[0], 16.0 / 7.0));
        let err = aggregate(
            Method::Harmonic,
            &[&[1.0, 0.0, 2.0], &[1.0, 1.0, -1.0]],
            &[1.0, 1.0],
            REWEIGHT,
        )
        .unwrap_err();
        assert!(matches!(err, StepError::Domain { ref units, .. } if units == &vec![1, 2]));
    }

    #[test]
    fn generalised_mean_hand_computed() {
        // p = 2: √((1² + 7²)/2) = √25 = 5; p = −1 is the harmonic mean 1.6 of (1, 4);
        // p = 1 the arithmetic mean.
        let g = |p| Method::Generalised { p };
        let y = aggregate(g(2.0), &[&[1.0], &[7.0]], &[1.0, 1.0], REWEIGHT).unwrap();
        assert!(close(y[0], 5.0));
        let y = aggregate(g(-1.0), &[&[1.0], &[4.0]], &[1.0, 1.0], REWEIGHT).unwrap();
        assert!(close(y[0], 1.6));
        let y = aggregate(g(1.0), &[&[10.0], &[20.0]], &[1.0, 3.0], REWEIGHT).unwrap();
        assert!(close(y[0], 17.5));
        assert!(aggregate(g(0.0), &[&[1.0]], &[1.0], REWEIGHT).is_err());
        assert!(aggregate(g(-2.0), &[&[0.0]], &[1.0], REWEIGHT).is_err());
        assert!(aggregate(g(2.0), &[&[-1.0]], &[1.0], REWEIGHT).is_err());
        assert!(aggregate(g(2.0), &[&[0.0]], &[1.0], REWEIGHT).is_ok());
    }

    #[test]
    fn weighted_median_matches_matrixstats() {
        let wm = |x: &[f64], w: &[f64]| {
            let cols: Vec<[f64; 1]> = x.iter().map(|v| [*v]).collect();
            let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
            aggregate(Method::WeightedMedian, &refs, w, REWEIGHT).unwrap()[0]
        };
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        // matrixStats documents weightedMedian(1:10) = 5.5 and, with w[1] = 5,
        // 3.5 (= median of five 0s and 2:10). By hand: total 14, midpoints
        // W = 2.5/14, 5.5/14, 6.5/14, 7.5/14 …: ½ lies between 3 (6.5/14) and 4
        // (7.5/14), half-way → 3.5.
        assert!(close(wm(&x, &[1.0; 10]), 5.5));
        let mut w = vec![1.0; 10];
        w[0] = 5.0;
        assert!(close(wm(&x, &w), 3.5));
        // x = 1, 2, 3 with weights 1, 1, 10: ŵ = 1/12, 1/12, 10/12; W = 1/24, 3/24, 14/24;
        // ½ is between 2 (3/24) and 3 (14/24): 3 − (14/24 − 12/24)/(11/24) = 3 − 2/11.
        assert!(close(wm(&[1.0, 2.0, 3.0], &[1.0, 1.0, 10.0]), 3.0 - 2.0 / 11.0));
        // Odd count, equal weights: the middle value; zero weights are ignored.
        assert!(close(wm(&[3.0, 1.0, 2.0], &[1.0, 1.0, 1.0]), 2.0));
        assert!(close(wm(&[3.0, 1.0, 2.0, 100.0], &[1.0, 1.0, 1.0, 0.0]), 2.0));
        // Missing child, reweighted: median of 1 and 3 → 2.
        assert!(close(wm(&[1.0, f64::NAN, 3.0], &[1.0, 1.0, 1.0]), 2.0));
    }

    #[test]
    fn classical_weighted_median() {
        let wm = |x: &[f64], w: &[f64]| {
            let cols: Vec<[f64; 1]> = x.iter().map(|v| [*v]).collect();
            let refs: Vec<&[f64]> = cols.iter().map(|c| &c[..]).collect();
            aggregate(Method::WeightedMedianClassical, &refs, w, REWEIGHT).unwrap()[0]
        };
        // x = 1, 2, 3 with weights 1, 1, 10: below 3 lies 2/12 ≤ ½, above it 0 → 3.
        assert_eq!(wm(&[1.0, 2.0, 3.0], &[1.0, 1.0, 10.0]), 3.0);
        // x = 1..10, equal weights: exactly half lies below 6, so 5 and 6 tie → 5.5.
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(wm(&x, &[1.0; 10]), 5.5);
        // w₁ = 5 on x = 1: total 14; cumulative 5, 6, 7 (= half) at x = 3, 8 at x = 4
        // → 3 and 4 tie → 3.5.
        let mut w = vec![1.0; 10];
        w[0] = 5.0;
        assert_eq!(wm(&x, &w), 3.5);
        // Odd count: the middle value; weight 3 of 5 on the largest value → it.
        assert_eq!(wm(&[3.0, 1.0, 2.0], &[1.0, 1.0, 1.0]), 2.0);
        assert_eq!(wm(&[3.0, 1.0, 2.0], &[3.0, 1.0, 1.0]), 3.0);
    }

    #[test]
    fn copeland_hand_computed() {
        // Units (ind1, ind2), weights 1 and 2:
        // u0 = (1, 5), u1 = (2, 2), u2 = (3, 1), u3 = (1, 5).
        // u0–u1: u0 wins ind2 (2 of 3) → u0; u0–u2: u0; u1–u2: u1 wins ind2 → u1;
        // u0–u3: identical → tie; u3 beats u1 and u2 like u0.
        // Scores: u0 = +2, u1 = +1 − 2 = −1, u2 = −3, u3 = +2.
        let a = [1.0, 2.0, 3.0, 1.0];
        let b = [5.0, 2.0, 1.0, 5.0];
        let y = aggregate(Method::Copeland, &[&a, &b], &[1.0, 2.0], REWEIGHT).unwrap();
        assert_eq!(y, vec![2.0, -1.0, -3.0, 2.0]);
        // Equal weights: every pair splits one indicator each → all ties → 0.
        let y = aggregate(Method::Copeland, &[&a[..3], &b[..3]], &[1.0, 1.0], REWEIGHT).unwrap();
        assert_eq!(y, vec![0.0, 0.0, 0.0]);
        // Missing: under Propagate u1 drops out (and gets no score); the rest: u0 beats
        // u2 (ind2), ties u3 → u0 = 1, u2 = −2, u3 = 1.
        let a2 = [1.0, f64::NAN, 3.0, 1.0];
        let y = aggregate(Method::Copeland, &[&a2, &b], &[1.0, 2.0], MissingPolicy::Propagate).unwrap();
        assert_eq!([y[0], y[2], y[3]], [1.0, -2.0, 1.0]);
        assert!(y[1].is_nan());
        // Under Reweight u1 is compared on ind2 only: 2 < 5 loses to u0 and u3, 2 > 1
        // beats u2 → u1 = −1 as before.
        let y = aggregate(Method::Copeland, &[&a2, &b], &[1.0, 2.0], REWEIGHT).unwrap();
        assert_eq!(y, vec![2.0, -1.0, -3.0, 2.0]);
    }

    #[test]
    fn mazziotta_pareto_hand_computed() {
        // u0 = (100, 110, 90): M = 100, S² = (0 + 100 + 100)/3 = 200/3,
        // S·cv = S²/M = 2/3 → MPI+ = 99.333…, MPI− = 100.666…
        // u1 = (105, 105, 105): S = 0 → 105 either way.
        let c: [&[f64]; 3] = [&[100.0, 105.0], &[110.0, 105.0], &[90.0, 105.0]];
        let pos = Method::MazziottaPareto {
            penalty: MpiPenalty::Positive,
        };
        let neg = Method::MazziottaPareto {
            penalty: MpiPenalty::Negative,
        };
        let y = aggregate(pos, &c, &[1.0; 3], REWEIGHT).unwrap();
        assert!(close(y[0], 100.0 - 2.0 / 3.0) && close(y[1], 105.0));
        let y = aggregate(neg, &c, &[1.0; 3], REWEIGHT).unwrap();
        assert!(close(y[0], 100.0 + 2.0 / 3.0) && close(y[1], 105.0));
        // Weights 2, 1, 1 on u0: M = (200 + 110 + 90)/4 = 100,
        // S² = (0 + 100 + 100)/4 = 50 → 100 − 0.5.
        let y = aggregate(pos, &c, &[2.0, 1.0, 1.0], REWEIGHT).unwrap();
        assert!(close(y[0], 99.5));
        let err = aggregate(pos, &[&[-1.0], &[0.5]], &[1.0, 1.0], REWEIGHT).unwrap_err();
        assert!(matches!(err, StepError::Domain { ref units, .. } if units == &vec![0]));
    }

    #[test]
    fn benefit_of_the_doubt_hand_computed() {
        // u0 = (1, 0), u1 = (0, 1), u2 = (.5, .5), u3 = (.4, .4), u4 = (.6, .2).
        // Constraints from u0, u1: w1 ≤ 1, w2 ≤ 1 (the others are then slack).
        // u0: max w1 = 1; u1: 1; u2: .5(w1 + w2) = 1; u3: .4·2 = .8;
        // u4: .6 + .2 = .8.
        let a = [1.0, 0.0, 0.5, 0.4, 0.6];
        let b = [0.0, 1.0, 0.5, 0.4, 0.2];
        let y = aggregate(Method::BenefitOfTheDoubt, &[&a, &b], &[1.0, 1.0], REWEIGHT).unwrap();
        for (got, want) in y.iter().zip([1.0, 1.0, 1.0, 0.8, 0.8]) {
            assert!(close(*got, want), "{y:?}");
        }
        // Propagate: u0 drops out and no longer constrains w1, so u4 can put all on
        // w1: its own row .6w1 + .2w2 ≤ 1 binds → 1; u3: w1 + w2 ≤ 2 (from u2) → .8.
        let a2 = [f64::NAN, 0.0, 0.5, 0.4, 0.6];
        let y = aggregate(
            Method::BenefitOfTheDoubt,
            &[&a2, &b],
            &[1.0, 1.0],
            MissingPolicy::Propagate,
        )
        .unwrap();
        assert!(y[0].is_nan());
        for (got, want) in y[1..].iter().zip([1.0, 1.0, 0.8, 1.0]) {
            assert!(close(*got, want), "{y:?}");
        }
        let err = aggregate(Method::BenefitOfTheDoubt, &[&[1.0, -0.1]], &[1.0], REWEIGHT).unwrap_err();
        assert!(matches!(err, StepError::Domain { ref units, .. } if units == &vec![1]));
    }

    #[test]
    fn benefit_of_the_doubt_pruning_matches_the_full_programme() {
        // Pruning dominated units must not change any score: compare with the
        // programme that keeps every unit's constraint, on deterministic
        // pseudo-random data (a small LCG) with ties and zeros.
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % 11) as f64 * 10.0
        };
        let cols: Vec<Vec<f64>> = (0..4).map(|_| (0..40).map(|_| next()).collect()).collect();
        let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
        let y = aggregate(Method::BenefitOfTheDoubt, &refs, &[1.0; 4], REWEIGHT).unwrap();
        let mut a = Vec::new();
        for u in 0..40 {
            a.extend(cols.iter().map(|c| c[u]));
        }
        let b = vec![1.0; 40];
        let mut lp = crate::lp::Simplex::default();
        for u in 0..40 {
            let full = lp.maximise(&a[u * 4..(u + 1) * 4], &a, &b).unwrap();
            assert!((y[u] - full.min(1.0)).abs() < 1e-12, "unit {u}: {} vs {full}", y[u]);
        }
        assert!(y.contains(&1.0) && y.iter().any(|v| *v < 1.0));
    }

    #[test]
    fn single_unit_and_single_child() {
        for m in [
            Method::Arithmetic,
            Method::Geometric,
            Method::Harmonic,
            Method::Generalised { p: 3.0 },
            Method::WeightedMedian,
            Method::WeightedMedianClassical,
            Method::MazziottaPareto {
                penalty: MpiPenalty::Positive,
            },
        ] {
            let y = aggregate(m, &[&[4.0]], &[2.0], REWEIGHT).unwrap();
            assert!(close(y[0], 4.0), "{m:?}");
        }
        assert_eq!(
            aggregate(Method::Copeland, &[&[4.0]], &[1.0], REWEIGHT).unwrap(),
            vec![0.0]
        );
        let y = aggregate(Method::BenefitOfTheDoubt, &[&[4.0]], &[1.0], REWEIGHT).unwrap();
        assert!(close(y[0], 1.0));
        // A whole-node method under `fail` still lists the units with missing children.
        let err = aggregate(Method::Copeland, &[&[1.0, f64::NAN]], &[1.0], MissingPolicy::Fail).unwrap_err();
        assert!(matches!(err, StepError::Domain { ref units, .. } if units == &vec![1]));
    }

    #[test]
    fn rejects_bad_weights() {
        assert!(aggregate(Method::Arithmetic, &[&[1.0]], &[0.0], REWEIGHT).is_err());
        assert!(aggregate(Method::Arithmetic, &[&[1.0], &[2.0]], &[1.0, -1.0], REWEIGHT).is_err());
        assert!(aggregate(Method::Arithmetic, &[&[1.0]], &[f64::NAN], REWEIGHT).is_err());
        assert!(aggregate(Method::Geometric, &[&[1.0]], &[-1.0], REWEIGHT).is_err());
        assert!(aggregate(Method::WeightedMedian, &[&[1.0], &[2.0]], &[2.0, -1.0], REWEIGHT).is_err());
        assert!(aggregate(Method::Arithmetic, &[&[1.0]], &[1.0, 2.0], REWEIGHT).is_err());
    }

    /// The arithmetic mean with a negative weight, as COINr's `a_amean` computes it
    /// (`w/sum(w)` over the present children, then `sum(w*x)`): the optimised
    /// weights of a level can be negative.
    #[test]
    fn arithmetic_means_take_negative_weights() {
        let x: [&[f64]; 3] = [
            &[10.0, 10.0, f64::NAN, 1.0],
            &[20.0, 40.0, 5.0, f64::NAN],
            &[30.0, 0.0, 7.0, f64::NAN],
        ];
        let w = [-0.2, 0.6, 0.6];
        for policy in [REWEIGHT, MissingPolicy::Propagate] {
            let y = aggregate(Method::Arithmetic, &x, &w, policy).unwrap();
            // (−2 + 12 + 18) / 1 = 28; (−2 + 24 + 0) / 1 = 22.
            assert!(close(y[0], 28.0) && close(y[1], 22.0), "{y:?}");
            if policy == REWEIGHT {
                // Unit 3: (3 + 4.2) / 1.2 = 6; unit 4: −0.2·1 / −0.2 = 1, as `a_amean`.
                assert!(close(y[2], 6.0) && close(y[3], 1.0), "{y:?}");
            } else {
                assert!(y[2].is_nan() && y[3].is_nan());
            }
        }
        // Present weights that sum to 0 give no mean.
        let y = aggregate(
            Method::Arithmetic,
            &[&[1.0, 1.0], &[f64::NAN, 2.0], &[3.0, f64::NAN]],
            &[1.0, 1.0, -1.0],
            REWEIGHT,
        )
        .unwrap();
        assert!(y[0].is_nan() && close(y[1], 1.5), "{y:?}");
    }
}
