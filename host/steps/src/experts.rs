//! Participatory weighting (OECD/JRC Handbook on Constructing Composite Indicators,
//! 2008, §6.1.5–6.1.6): weights from the judgements of a panel of experts, by the
//! analytic hierarchy process (AHP: pairwise comparisons on Saaty's 1–9 scale) or
//! budget allocation (each expert distributes points), the consistency of each
//! expert's comparisons, the aggregation of the panel's judgements, and the
//! panel's agreement (Kendall's W).
//!
//! Shapes: a pairwise comparison matrix of `n` elements is `n × n`, row-major, in
//! a `&[f64]` of length `n²`; `a[i·n + j]` says how much more important element
//! `i` is than element `j` (a reciprocal matrix: `a[j·n + i] = 1 / a[i·n + j]`,
//! ones on the diagonal). Priorities and shares are vectors of length `n` summing
//! to 1.

use crate::StepError;
use crate::lanes::ln;
use crate::rank::average_ranks;
use libm::exp;

/// The random consistency index RI(n) for `n` = 0…15 (`RANDOM_INDEX[n]`): the
/// mean consistency index of random reciprocal matrices of order `n` on the 1–9
/// scale. For n ≤ 10 Saaty's table (T. L. Saaty, *The Analytic Hierarchy
/// Process*, McGraw-Hill, 1980, p. 21), behind the consistency ratios printed in
/// the literature (Saaty 1990's house example, CR 0.169 with RI(8) = 1.41). For
/// 11 ≤ n ≤ 15 the reproductions of that table disagree (some print 1.48 for
/// n = 12, below RI(11)), so these are Alonso & Lamata's means of 100,000 random
/// matrices (*Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems* 14(4),
/// 2006, 445–459). RI(1) = RI(2) = 0: every 1×1 and 2×2 reciprocal matrix is
/// consistent.
pub const RANDOM_INDEX: [f64; 16] = [
    0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.5141, 1.5365, 1.5551, 1.5713, 1.5838,
];

/// The largest matrix order with a random index (and so a consistency ratio).
pub const MAX_ORDER: usize = RANDOM_INDEX.len() - 1;

/// Saaty's threshold: a consistency ratio above 0.1 calls for the judgements to
/// be revised (Saaty 1980).
pub const CR_THRESHOLD: f64 = 0.1;

/// Checks that `a` is an `n × n` positive reciprocal matrix (within a relative
/// 1e-9, as `1/3` written `0.333…` must pass).
pub fn check_reciprocal(a: &[f64], n: usize) -> Result<(), StepError> {
    if a.len() != n * n {
        return Err(StepError::Shape {
            what: format!("a {n} × {n} matrix needs {} entries, got {}", n * n, a.len()),
        });
    }
    for i in 0..n {
        for j in 0..n {
            let x = a[i * n + j];
            if !(x.is_finite() && x > 0.0) {
                return Err(StepError::InvalidParameter {
                    name: format!("a[{i}][{j}]"),
                    expected: format!("a positive finite judgement, got {x}"),
                });
            }
            let y = a[j * n + i];
            if ((x * y) - 1.0).abs() > 1e-9 {
                return Err(StepError::InvalidParameter {
                    name: format!("a[{i}][{j}]"),
                    expected: format!("the reciprocal of a[{j}][{i}] = {y}, got {x}"),
                });
            }
        }
    }
    Ok(())
}

/// The principal right eigenvector of a positive reciprocal matrix `a` (`n × n`),
/// normalised to sum 1, and its eigenvalue λ_max (Saaty 1980, the eigenvector
/// method). Computed by power iteration, which converges for a positive matrix
/// (Perron–Frobenius: its dominant eigenvalue is simple and strictly largest in
/// modulus), until no entry moves by more than 1e-15 (at most 10,000 steps).
///
/// Returns `(priorities, λ_max)`; for a consistent matrix λ_max = n.
pub fn eigenvector(a: &[f64], n: usize) -> Result<(Vec<f64>, f64), StepError> {
    check_reciprocal(a, n)?;
    if n == 0 {
        return Err(StepError::NotEnoughData {
            what: "AHP priorities".into(),
            present: 0,
            needed: 1,
        });
    }
    // Start from the geometric-mean priorities: already close for most panels.
    let mut w = geometric_mean(a, n)?;
    let mut next = vec![0.0; n];
    let mut lambda = n as f64;
    let mut converged = false;
    for _ in 0..10_000 {
        for i in 0..n {
            next[i] = (0..n).map(|j| a[i * n + j] * w[j]).sum();
        }
        // With w summing to 1, the sum of A·w converges to λ_max.
        lambda = next.iter().sum();
        let mut moved = 0.0f64;
        for i in 0..n {
            let x = next[i] / lambda;
            moved = moved.max((x - w[i]).abs());
            w[i] = x;
        }
        if moved <= 1e-15 {
            converged = true;
            break;
        }
    }
    if !converged {
        return Err(StepError::Shape {
            what: "the principal eigenvector did not converge in 10,000 power iterations".into(),
        });
    }
    Ok((w, lambda))
}

/// Priorities by the geometric-mean (row geometric mean, logarithmic least
/// squares) method (Crawford & Williams 1985): the geometric mean of each row of
/// `a`, normalised to sum 1.
pub fn geometric_mean(a: &[f64], n: usize) -> Result<Vec<f64>, StepError> {
    check_reciprocal(a, n)?;
    let mut w: Vec<f64> = (0..n)
        .map(|i| exp((0..n).map(|j| ln(a[i * n + j])).sum::<f64>() / n as f64))
        .collect();
    let total: f64 = w.iter().sum();
    for x in &mut w {
        *x /= total;
    }
    Ok(w)
}

/// λ_max of `a` for the priorities `w`: the mean over the rows of `(A·w)_i / w_i`
/// (for the principal eigenvector this is its eigenvalue; for other priorities
/// Saaty's approximation).
pub fn lambda_max(a: &[f64], n: usize, w: &[f64]) -> f64 {
    (0..n)
        .map(|i| (0..n).map(|j| a[i * n + j] * w[j]).sum::<f64>() / w[i])
        .sum::<f64>()
        / n as f64
}

/// Saaty's consistency index `CI = (λ_max − n)/(n − 1)` and consistency ratio
/// `CR = CI / RI(n)` ([`RANDOM_INDEX`]). For `n` ≤ 2 both are 0 (such matrices are
/// always consistent); for `n` > [`MAX_ORDER`] the ratio is `None`.
pub fn consistency(lambda_max: f64, n: usize) -> (f64, Option<f64>) {
    if n <= 2 {
        return (0.0, Some(0.0));
    }
    // Round-off can put λ_max a hair below n for a consistent matrix.
    let ci = ((lambda_max - n as f64) / (n as f64 - 1.0)).max(0.0);
    let cr = RANDOM_INDEX.get(n).map(|ri| ci / ri);
    (ci, cr)
}

/// Completes an incomplete pairwise comparison matrix by the logarithmic least
/// squares method (LLSM; Kwiesielewicz 1996, Bozóki, Fülöp & Rónyai 2010): the
/// priorities `w` minimise `Σ (ln a_ij − ln w_i + ln w_j)²` over the judgements
/// given, and each missing entry becomes `w_i / w_j`. For a complete matrix the
/// LLSM priorities are the geometric-mean ones.
///
/// `given` lists `(i, j, a_ij)` with `i ≠ j`, each unordered pair at most once
/// (its reciprocal is implied). Returns the completed `n × n` matrix (row-major).
/// Errors when the comparisons do not connect all `n` elements (then some
/// elements' relative importance is not determined at all): the message names
/// the elements cut off, by index.
pub fn complete_llsm(n: usize, given: &[(usize, usize, f64)]) -> Result<Vec<f64>, StepError> {
    if n == 0 {
        return Err(StepError::NotEnoughData {
            what: "a comparison matrix".into(),
            present: 0,
            needed: 1,
        });
    }
    for &(i, j, x) in given {
        if i >= n || j >= n || i == j || !(x.is_finite() && x > 0.0) {
            return Err(StepError::InvalidParameter {
                name: format!("judgement ({i}, {j})"),
                expected: format!("two different elements below {n} and a positive value, got {x}"),
            });
        }
    }
    // Connected? (a union-find over the given pairs)
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for &(i, j, _) in given {
        let (a, b) = (find(&mut parent, i), find(&mut parent, j));
        parent[a] = b;
    }
    let root = find(&mut parent, 0);
    let cut: Vec<usize> = (0..n).filter(|&i| find(&mut parent, i) != root).collect();
    if !cut.is_empty() {
        return Err(StepError::NotEnoughData {
            what: format!("priorities of elements {cut:?}: their comparisons do not connect them to element 0"),
            present: given.len(),
            needed: n.saturating_sub(1),
        });
    }
    // Normal equations of the least squares problem in x = ln w: L·x = r, with L
    // the Laplacian of the comparison graph and r_i = Σ_j ln a_ij over i's
    // judgements; x is fixed up to a constant, pinned by Σ x = 0 (solved as
    // (L + J)·x = r, J the all-ones matrix, which is non-singular for a connected
    // graph).
    let mut l = vec![1.0; n * n];
    let mut r = vec![0.0; n];
    for &(i, j, x) in given {
        let log = ln(x);
        l[i * n + i] += 1.0;
        l[j * n + j] += 1.0;
        l[i * n + j] -= 1.0;
        l[j * n + i] -= 1.0;
        r[i] += log;
        r[j] -= log;
    }
    let x = solve(&mut l, &mut r, n)?;
    let mut out = vec![1.0; n * n];
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = exp(x[i] - x[j]);
        }
    }
    for &(i, j, v) in given {
        out[i * n + j] = v;
        out[j * n + i] = 1.0 / v;
    }
    Ok(out)
}

/// Solves `m·x = b` (`m` `n × n`, row-major, overwritten) by Gaussian elimination
/// with partial pivoting.
fn solve(m: &mut [f64], b: &mut [f64], n: usize) -> Result<Vec<f64>, StepError> {
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&p, &q| m[p * n + col].abs().total_cmp(&m[q * n + col].abs()))
            .unwrap_or(col);
        if m[pivot * n + col].abs() < 1e-12 {
            return Err(StepError::Shape {
                what: "the least-squares system is singular".into(),
            });
        }
        if pivot != col {
            for k in 0..n {
                m.swap(col * n + k, pivot * n + k);
            }
            b.swap(col, pivot);
        }
        for row in col + 1..n {
            let f = m[row * n + col] / m[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    m[row * n + k] -= f * m[col * n + k];
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| m[row * n + k] * x[k]).sum();
        x[row] = (b[row] - s) / m[row * n + row];
    }
    Ok(x)
}

/// Aggregation of individual judgements (AIJ; Forman & Peniwati 1998): the
/// element-wise geometric mean of the experts' matrices (each `n × n`), itself a
/// reciprocal matrix; every expert counts equally.
pub fn aggregate_judgements(matrices: &[&[f64]], n: usize) -> Result<Vec<f64>, StepError> {
    if matrices.is_empty() {
        return Err(StepError::NotEnoughData {
            what: "aggregation of judgements".into(),
            present: 0,
            needed: 1,
        });
    }
    for m in matrices {
        check_reciprocal(m, n)?;
    }
    let k = matrices.len() as f64;
    Ok((0..n * n)
        .map(|e| exp(matrices.iter().map(|m| ln(m[e])).sum::<f64>() / k))
        .collect())
}

/// How individual priorities or shares are combined into the panel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Arithmetic mean per element.
    Mean,
    /// Median per element (the mean of the two middle values for an even count).
    Median,
    /// Geometric mean per element (aggregation of individual priorities, AIP,
    /// Forman & Peniwati 1998).
    Geometric,
}

/// Combines the experts' vectors (`vectors[k]` the k-th expert's, each of length
/// `n` summing to 1) element by element, then renormalises to sum 1 (a median or
/// geometric mean of vectors summing to 1 need not sum to 1).
pub fn combine(vectors: &[&[f64]], n: usize, how: Combine) -> Result<Vec<f64>, StepError> {
    if vectors.is_empty() {
        return Err(StepError::NotEnoughData {
            what: "panel weights".into(),
            present: 0,
            needed: 1,
        });
    }
    if let Some(v) = vectors.iter().find(|v| v.len() != n) {
        return Err(StepError::Shape {
            what: format!("vectors of {n} elements, got one of {}", v.len()),
        });
    }
    let k = vectors.len() as f64;
    let mut out: Vec<f64> = (0..n)
        .map(|e| {
            let mut xs: Vec<f64> = vectors.iter().map(|v| v[e]).collect();
            match how {
                Combine::Mean => xs.iter().sum::<f64>() / k,
                Combine::Geometric => exp(xs.iter().map(|&x| ln(x)).sum::<f64>() / k),
                Combine::Median => {
                    xs.sort_by(f64::total_cmp);
                    let m = xs.len();
                    if m % 2 == 1 {
                        xs[m / 2]
                    } else {
                        (xs[m / 2 - 1] + xs[m / 2]) / 2.0
                    }
                }
            }
        })
        .collect();
    let total: f64 = out.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(StepError::Domain {
            method: "combining the panel's weights".into(),
            units: Vec::new(),
            needs: "some positive weight".into(),
            hint: "every expert gave every element 0".into(),
        });
    }
    for x in &mut out {
        *x /= total;
    }
    Ok(out)
}

/// Shares of a budget allocation (or of ratings): each value over their sum.
/// Errors when a value is negative or not finite, or all are 0.
pub fn shares(points: &[f64]) -> Result<Vec<f64>, StepError> {
    if points.iter().any(|p| !(p.is_finite() && *p >= 0.0)) {
        return Err(StepError::InvalidParameter {
            name: "points".into(),
            expected: "finite, non-negative points".into(),
        });
    }
    let total: f64 = points.iter().sum();
    if total <= 0.0 {
        return Err(StepError::InvalidParameter {
            name: "points".into(),
            expected: "at least one positive value".into(),
        });
    }
    Ok(points.iter().map(|p| p / total).collect())
}

/// Kendall's coefficient of concordance W of `m` raters over `n` objects, with the
/// correction for ties (Kendall & Babington Smith 1939; Siegel & Castellan 1988,
/// §9.4): `scores[k]` are rater k's values of the n objects (higher = ranked
/// higher; only the order matters), turned into ranks with ties sharing their
/// mean rank. `W = 12·S / (m²(n³ − n) − m·Σ T)`, with S the sum of squared
/// deviations of the objects' rank sums from their mean and `T = Σ (t³ − t)` over
/// each rater's groups of t tied ranks. 1 = complete agreement, 0 = none.
///
/// Returns `None` with fewer than 2 raters or 2 objects, or when every rater ties
/// every object (W undefined).
pub fn kendall_w(scores: &[&[f64]], n: usize) -> Option<f64> {
    let m = scores.len();
    if m < 2 || n < 2 || scores.iter().any(|s| s.len() != n) {
        return None;
    }
    let mut sums = vec![0.0; n];
    let mut ties = 0.0;
    for s in scores {
        let r = average_ranks(s);
        for (sum, x) in sums.iter_mut().zip(&r) {
            *sum += x;
        }
        // Tie groups: equal ranks.
        let mut sorted = r.clone();
        sorted.sort_by(f64::total_cmp);
        let mut i = 0;
        while i < n {
            let mut j = i;
            while j + 1 < n && sorted[j + 1] == sorted[i] {
                j += 1;
            }
            let t = (j - i + 1) as f64;
            ties += t * t * t - t;
            i = j + 1;
        }
    }
    let (m, nf) = (m as f64, n as f64);
    let mean = sums.iter().sum::<f64>() / nf;
    let s: f64 = sums.iter().map(|r| (r - mean).powi(2)).sum();
    let denominator = m * m * (nf * nf * nf - nf) - m * ties;
    (denominator > 0.0).then(|| 12.0 * s / denominator)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A consistent matrix from priorities: a_ij = w_i / w_j.
    fn consistent(w: &[f64]) -> Vec<f64> {
        let n = w.len();
        (0..n * n).map(|e| w[e / n] / w[e % n]).collect()
    }

    #[test]
    fn a_consistent_matrix_gives_back_its_priorities() {
        let w = [0.5, 0.3, 0.2];
        let a = consistent(&w);
        let (p, lambda) = eigenvector(&a, 3).unwrap();
        for (x, y) in p.iter().zip(w) {
            assert!((x - y).abs() < 1e-14);
        }
        assert!((lambda - 3.0).abs() < 1e-12);
        let (ci, cr) = consistency(lambda, 3);
        assert!(ci.abs() < 1e-12 && cr.unwrap().abs() < 1e-12);
    }

    #[test]
    fn reciprocity_is_checked() {
        let a = [1.0, 3.0, 0.5, 1.0];
        assert!(check_reciprocal(&a, 2).is_err());
        assert!(check_reciprocal(&[1.0, 3.0, 0.333_333_333_333, 1.0], 2).is_ok());
    }

    #[test]
    fn completion_of_a_consistent_incomplete_matrix_is_exact() {
        // w = (8, 4, 2, 1)/15: given three of six pairs, the rest follow.
        let a = complete_llsm(4, &[(0, 1, 2.0), (1, 2, 2.0), (2, 3, 2.0)]).unwrap();
        assert!((a[3] - 8.0).abs() < 1e-12, "a[0][3] = {}", a[3]);
        assert!((a[2] - 4.0).abs() < 1e-12);
        // Unconnected elements are refused.
        let e = complete_llsm(4, &[(0, 1, 2.0), (2, 3, 2.0)]).unwrap_err();
        assert!(e.to_string().contains("[2, 3]"), "{e}");
    }

    #[test]
    fn kendall_w_is_1_for_identical_orders_and_0_for_opposite_pairs() {
        let a = [3.0, 2.0, 1.0];
        assert_eq!(kendall_w(&[&a, &a, &a], 3), Some(1.0));
        // Two raters in opposite orders: rank sums all equal, W = 0.
        let b = [1.0, 2.0, 3.0];
        assert_eq!(kendall_w(&[&a, &b], 3), Some(0.0));
        assert_eq!(kendall_w(&[&a], 3), None);
    }

    #[test]
    fn median_of_shares_is_renormalised() {
        let a = [0.6, 0.3, 0.1];
        let b = [0.2, 0.5, 0.3];
        let c = [0.3, 0.2, 0.5];
        // Medians 0.3, 0.3, 0.3 sum to 0.9: renormalised to ⅓ each.
        let m = combine(&[&a, &b, &c], 3, Combine::Median).unwrap();
        for x in m {
            assert!((x - 1.0 / 3.0).abs() < 1e-15);
        }
    }
}
