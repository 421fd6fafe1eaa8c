//! Statistical analysis of a framework: correlations, Cronbach's alpha, PCA.
//!
//! Correlations use pairwise deletion: a unit enters the correlation of two columns
//! when both of its values are present (R's `use = "pairwise.complete.obs"`).
//! Cronbach's alpha and PCA use listwise deletion: only units with every column
//! present (R's `na.omit`, as COINr's `get_PCA()` does).

use crate::linalg::symmetric_eigen;
use crate::rank::average_ranks;
use crate::{StepError, is_missing};

/// A correlation coefficient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Correlation {
    /// Pearson's product-moment correlation.
    Pearson,
    /// Spearman's rank correlation: Pearson on average ranks (ties share their mean rank).
    Spearman,
    /// Kendall's τ-b, which corrects for ties in either variable.
    Kendall,
}

/// The correlation of `x` and `y` of the given kind, over the units where both are
/// present. `NaN` when either variable is constant over those units (the
/// coefficient is undefined, as R's `cor` returns `NA`).
///
/// Errors if the lengths differ or fewer than two complete pairs remain.
pub fn correlation(x: &[f64], y: &[f64], kind: Correlation) -> Result<f64, StepError> {
    let (a, b) = complete_pairs(x, y)?;
    Ok(match kind {
        Correlation::Pearson => pearson_complete(&a, &b),
        Correlation::Spearman => pearson_complete(&average_ranks(&a), &average_ranks(&b)),
        Correlation::Kendall => kendall_complete(&a, &b),
    })
}

/// Pearson's correlation with pairwise deletion (see [`correlation`]).
pub fn pearson(x: &[f64], y: &[f64]) -> Result<f64, StepError> {
    correlation(x, y, Correlation::Pearson)
}

/// Spearman's rank correlation with pairwise deletion; tied values get average
/// ranks, computed after deletion (see [`correlation`]).
pub fn spearman(x: &[f64], y: &[f64]) -> Result<f64, StepError> {
    correlation(x, y, Correlation::Spearman)
}

/// Kendall's τ-b with pairwise deletion (see [`correlation`]):
/// `τ_b = (n_c − n_d) / √((n₀ − n₁)(n₀ − n₂))` with `n₀ = n(n−1)/2` pairs, `n₁`, `n₂`
/// the pairs tied in `x`, resp. `y`. Computed in O(n log n) (Knight's algorithm).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Result<f64, StepError> {
    correlation(x, y, Correlation::Kendall)
}

/// The correlation matrix of `columns` (row-major, `k × k`), each entry with
/// pairwise deletion; the diagonal is 1 (or `NaN` for a constant column).
pub fn correlation_matrix(columns: &[&[f64]], kind: Correlation) -> Result<Vec<f64>, StepError> {
    let k = columns.len();
    let mut out = vec![0.0; k * k];
    for i in 0..k {
        for j in i..k {
            let r = if i == j {
                // A column with itself: 1 unless it is constant (or too short).
                match correlation(columns[i], columns[i], kind) {
                    Ok(r) if r.is_nan() => f64::NAN,
                    Ok(_) => 1.0,
                    Err(e) => return Err(e),
                }
            } else {
                correlation(columns[i], columns[j], kind)?
            };
            out[i * k + j] = r;
            out[j * k + i] = r;
        }
    }
    Ok(out)
}

fn complete_pairs(x: &[f64], y: &[f64]) -> Result<(Vec<f64>, Vec<f64>), StepError> {
    if x.len() != y.len() {
        return Err(StepError::Shape {
            what: format!("columns of {} and {} units", x.len(), y.len()),
        });
    }
    let (a, b): (Vec<f64>, Vec<f64>) = x
        .iter()
        .zip(y)
        .filter(|(u, v)| !is_missing(**u) && !is_missing(**v))
        .map(|(u, v)| (*u, *v))
        .unzip();
    if a.len() < 2 {
        return Err(StepError::NotEnoughData {
            what: "correlation".into(),
            present: a.len(),
            needed: 2,
        });
    }
    Ok((a, b))
}

fn pearson_complete(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx == 0.0 || syy == 0.0 {
        return f64::NAN;
    }
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

/// Number of pairs within runs of equal values in a sorted sequence.
fn tied_pairs(sorted: impl Iterator<Item = f64>) -> u64 {
    let mut total = 0u64;
    let mut run = 0u64;
    let mut prev: Option<f64> = None;
    for v in sorted {
        if prev == Some(v) {
            run += 1;
        } else {
            total += run * (run.saturating_sub(1)) / 2;
            run = 1;
        }
        prev = Some(v);
    }
    total + run * (run.saturating_sub(1)) / 2
}

fn kendall_complete(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]).then(y[i].total_cmp(&y[j])));
    let n1 = tied_pairs(idx.iter().map(|&i| x[i]));
    // Pairs tied in both x and y.
    let mut n3 = 0u64;
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && x[idx[end]] == x[idx[start]] && y[idx[end]] == y[idx[start]] {
            end += 1;
        }
        let t = (end - start) as u64;
        n3 += t * (t - 1) / 2;
        start = end;
    }
    // Discordant pairs = inversions of y in this order (strict), by merge sort.
    let mut ys: Vec<f64> = idx.iter().map(|&i| y[i]).collect();
    let mut buf = vec![0.0; n];
    let swaps = merge_count(&mut ys, &mut buf);
    let n2 = tied_pairs(ys.iter().copied());
    let n0 = (n as u64) * (n as u64 - 1) / 2;
    let num = n0 as f64 - n1 as f64 - n2 as f64 + n3 as f64 - 2.0 * swaps as f64;
    let den = ((n0 - n1) as f64 * (n0 - n2) as f64).sqrt();
    if den == 0.0 {
        f64::NAN
    } else {
        (num / den).clamp(-1.0, 1.0)
    }
}

/// Sorts `v` ascending and returns the number of strict inversions.
fn merge_count(v: &mut [f64], buf: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = {
        let (l, r) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        merge_count(l, bl) + merge_count(r, br)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[i] <= v[j] {
            buf[k] = v[i];
            i += 1;
        } else {
            buf[k] = v[j];
            count += (mid - i) as u64;
            j += 1;
        }
        k += 1;
    }
    buf[k..k + mid - i].copy_from_slice(&v[i..mid]);
    k += mid - i;
    buf[k..k + n - j].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buf[..n]);
    count
}

/// Rows (units) with every column present.
fn complete_rows(columns: &[&[f64]]) -> Result<Vec<usize>, StepError> {
    let Some(first) = columns.first() else {
        return Err(StepError::Shape {
            what: "no columns".into(),
        });
    };
    let n = first.len();
    if columns.iter().any(|c| c.len() != n) {
        return Err(StepError::Shape {
            what: "columns of different lengths".into(),
        });
    }
    Ok((0..n).filter(|&u| columns.iter().all(|c| !is_missing(c[u]))).collect())
}

/// Cronbach's alpha of the children of a node (the items), over the units with
/// every item present: `α = k/(k−1) · (1 − Σ var(itemᵢ) / var(Σ itemᵢ))`.
///
/// Errors with fewer than two items, fewer than two complete units, or when the
/// total score has no variance.
pub fn cronbach_alpha(items: &[&[f64]]) -> Result<f64, StepError> {
    let k = items.len();
    if k < 2 {
        return Err(StepError::NotEnoughData {
            what: "Cronbach's alpha: items".into(),
            present: k,
            needed: 2,
        });
    }
    let rows = complete_rows(items)?;
    if rows.len() < 2 {
        return Err(StepError::NotEnoughData {
            what: "Cronbach's alpha: units with every item present".into(),
            present: rows.len(),
            needed: 2,
        });
    }
    let var = |v: &mut dyn Iterator<Item = f64>| {
        let vals: Vec<f64> = v.collect();
        let m = vals.iter().sum::<f64>() / vals.len() as f64;
        vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (vals.len() as f64 - 1.0)
    };
    let item_var: f64 = items.iter().map(|c| var(&mut rows.iter().map(|&u| c[u]))).sum();
    let total_var = var(&mut rows.iter().map(|&u| items.iter().map(|c| c[u]).sum::<f64>()));
    if total_var == 0.0 {
        return Err(StepError::Domain {
            method: "Cronbach's alpha".into(),
            units: rows,
            needs: "a total score that varies across units".into(),
            hint: "the items sum to the same value for every unit".into(),
        });
    }
    let kf = k as f64;
    Ok(kf / (kf - 1.0) * (1.0 - item_var / total_var))
}

/// Principal component analysis of standardised columns (the eigen-decomposition
/// of their correlation matrix), as `stats::prcomp(x, center = TRUE, scale = TRUE)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Eigenvalues of the correlation matrix (component variances), largest first.
    pub eigenvalues: Vec<f64>,
    /// Share of the total variance each component explains (`λₖ / Σλ`).
    pub variance_explained: Vec<f64>,
    /// Unit-length eigenvectors, `rotation[k][i]` = weight of column `i` in component
    /// `k` (prcomp's `rotation`; COINr's PCA weights are `rotation[0]`). The sign of
    /// each component is arbitrary in PCA; here it is chosen so that its entries sum
    /// to a non-negative value.
    pub rotation: Vec<Vec<f64>>,
    /// Loadings `rotation[k][i] · √λₖ`: the correlation of column `i` with component `k`.
    pub loadings: Vec<Vec<f64>>,
    /// Number of units used (those with every column present).
    pub units_used: usize,
}

/// The error of a constant column `c` in a PCA.
fn constant_for_pca(c: usize) -> StepError {
    StepError::Degenerate {
        column: c,
        why: "is constant over the units with every column present: its correlations, and so the PCA, are \
              undefined"
            .into(),
    }
}

/// PCA of `columns` over the units with every column present.
///
/// Errors with no columns, fewer than two complete units, or a constant column.
pub fn pca(columns: &[&[f64]]) -> Result<Pca, StepError> {
    let rows = complete_rows(columns)?;
    if rows.len() < 2 {
        return Err(StepError::NotEnoughData {
            what: "PCA: units with every column present".into(),
            present: rows.len(),
            needed: 2,
        });
    }
    let k = columns.len();
    let cols: Vec<Vec<f64>> = columns.iter().map(|c| rows.iter().map(|&u| c[u]).collect()).collect();
    let mut corr = vec![0.0; k * k];
    for i in 0..k {
        for j in i..k {
            let r = if i == j {
                1.0
            } else {
                pearson_complete(&cols[i], &cols[j])
            };
            if r.is_nan() {
                let c = if cols[i].iter().all(|v| *v == cols[i][0]) { i } else { j };
                return Err(constant_for_pca(c));
            }
            corr[i * k + j] = r;
            corr[j * k + i] = r;
        }
    }
    // A constant column has a zero sum of squares even though r(i, i) was set to 1.
    if let Some(c) = (0..k).find(|&i| cols[i].iter().all(|v| *v == cols[i][0])) {
        return Err(constant_for_pca(c));
    }
    let eig = symmetric_eigen(&corr, k);
    let total: f64 = eig.values.iter().sum();
    let rotation: Vec<Vec<f64>> = eig
        .vectors
        .into_iter()
        .map(|v| {
            if v.iter().sum::<f64>() < 0.0 {
                v.into_iter().map(|a| -a).collect()
            } else {
                v
            }
        })
        .collect();
    let loadings = rotation
        .iter()
        .zip(&eig.values)
        .map(|(v, l)| v.iter().map(|a| a * l.max(0.0).sqrt()).collect())
        .collect();
    Ok(Pca {
        variance_explained: eig.values.iter().map(|l| l / total).collect(),
        eigenvalues: eig.values,
        rotation,
        loadings,
        units_used: rows.len(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn pearson_by_hand_with_pairwise_deletion() {
        // x = 1..4, y = 2, 4, 5, 9: dx = −1.5, −.5, .5, 1.5; dy = −3, −1, 0, 4;
        // Σdxdy = 4.5 + .5 + 0 + 6 = 11; Σdx² = 5; Σdy² = 26 → r = 11/√130.
        let x = [1.0, 2.0, NAN, 3.0, 4.0, 7.0];
        let y = [2.0, 4.0, 1.0, 5.0, 9.0, NAN];
        assert!(close(pearson(&x, &y).unwrap(), 11.0 / 130f64.sqrt()));
        assert!(pearson(&[1.0, NAN], &[NAN, 2.0]).is_err());
        assert!(pearson(&[1.0], &[1.0, 2.0]).is_err());
        assert!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).unwrap().is_nan());
    }

    #[test]
    fn spearman_and_kendall_on_a_tied_example() {
        // x = 1, 2, 2, 3; y = 1, 3, 2, 2 (plus a unit missing y, dropped).
        // Pairs: (0,1) C, (0,2) C, (0,3) C, (1,2) tied in x, (1,3) D, (2,3) tied in y.
        // n0 = 6, n1 = 1, n2 = 1, nc − nd = 3 − 1 → τ_b = 2/√(5·5) = 0.4.
        let x = [1.0, 2.0, 2.0, 3.0, 9.0];
        let y = [1.0, 3.0, 2.0, 2.0, NAN];
        assert!(close(kendall_tau_b(&x, &y).unwrap(), 0.4));
        // Average ranks: x → 1, 2.5, 2.5, 4; y → 1, 4, 2.5, 2.5. Deviations from 2.5:
        // dx = −1.5, 0, 0, 1.5; dy = −1.5, 1.5, 0, 0 → Σdxdy = 2.25, Σdx² = Σdy² = 4.5
        // → ρ = 0.5.
        assert!(close(spearman(&x, &y).unwrap(), 0.5));
        // Perfect agreement and reversal; no ties.
        let a = [3.0, 1.0, 2.0, 5.0, 4.0];
        let b = [30.0, 10.0, 20.0, 50.0, 40.0];
        let c: Vec<f64> = b.iter().map(|v| -v).collect();
        assert!(close(kendall_tau_b(&a, &b).unwrap(), 1.0));
        assert!(close(kendall_tau_b(&a, &c).unwrap(), -1.0));
        assert!(close(spearman(&a, &c).unwrap(), -1.0));
        // Constant y: undefined.
        assert!(kendall_tau_b(&a, &[1.0; 5]).unwrap().is_nan());
    }

    #[test]
    fn kendall_matches_brute_force() {
        // Knight's algorithm against the O(n²) definition on a tie-heavy sequence.
        let x: Vec<f64> = (0..40).map(|i| ((i * 7) % 11) as f64).collect();
        let y: Vec<f64> = (0..40).map(|i| ((i * 5) % 7) as f64).collect();
        let (mut c, mut d, mut tx, mut ty) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for i in 0..40 {
            for j in i + 1..40 {
                let s = (x[i] - x[j]) * (y[i] - y[j]);
                if x[i] == x[j] {
                    tx += 1.0;
                }
                if y[i] == y[j] {
                    ty += 1.0;
                }
                if s > 0.0 {
                    c += 1.0;
                } else if s < 0.0 {
                    d += 1.0;
                }
            }
        }
        let n0 = 40.0 * 39.0 / 2.0;
        let want = (c - d) / ((n0 - tx) * (n0 - ty)).sqrt();
        assert!(close(kendall_tau_b(&x, &y).unwrap(), want));
    }

    #[test]
    fn cronbach_alpha_by_hand() {
        // Items (1, 2, 3, 4) and (2, 1, 4, 3): each has Σd² = 5 → var 5/3; totals
        // 3, 3, 7, 7 (mean 5, Σd² = 16) → var 16/3. α = 2·(1 − (10/3)/(16/3)) = 0.75.
        // A fifth unit missing an item is dropped (listwise).
        let a = [1.0, 2.0, 3.0, 4.0, 9.0];
        let b = [2.0, 1.0, 4.0, 3.0, NAN];
        assert!(close(cronbach_alpha(&[&a, &b]).unwrap(), 0.75));
        // Items x and 2x: vars 1 and 4, total 3x has var 9 → α = 2·(1 − 5/9) = 8/9.
        assert!(close(
            cronbach_alpha(&[&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]]).unwrap(),
            8.0 / 9.0
        ));
        assert!(cronbach_alpha(&[&a]).is_err());
        assert!(cronbach_alpha(&[&[1.0, 2.0], &[2.0, 1.0]]).is_err());
    }

    #[test]
    fn pca_of_two_and_three_columns() {
        // Two columns with correlation r: eigenvalues 1 ± r, first component (1, 1)/√2.
        // x = 1..4, y = 2, 4, 5, 9: r = 11/√130 (see the Pearson test).
        let x = [1.0, 2.0, 3.0, 4.0, NAN];
        let y = [2.0, 4.0, 5.0, 9.0, 1.0];
        let p = pca(&[&x, &y]).unwrap();
        let r = 11.0 / 130f64.sqrt();
        assert_eq!(p.units_used, 4);
        assert!(close(p.eigenvalues[0], 1.0 + r) && close(p.eigenvalues[1], 1.0 - r));
        assert!(close(p.variance_explained[0], (1.0 + r) / 2.0));
        let h = 0.5f64.sqrt();
        assert!(close(p.rotation[0][0], h) && close(p.rotation[0][1], h));
        assert!(close(p.loadings[0][0], h * (1.0 + r).sqrt()));
        // Three columns where c = a + b exactly and a ⟂ b: a = (1, −1, 1, −1),
        // b = (1, 1, −1, −1), c = (2, 0, 0, −2). r(a, b) = 0, r(a, c) = r(b, c) = 1/√2.
        // Correlation matrix [[1, 0, h], [0, 1, h], [h, h, 1]]: eigenvalues 2, 1, 0.
        let a = [1.0, -1.0, 1.0, -1.0];
        let b = [1.0, 1.0, -1.0, -1.0];
        let c = [2.0, 0.0, 0.0, -2.0];
        let p = pca(&[&a, &b, &c]).unwrap();
        for (got, want) in p.eigenvalues.iter().zip([2.0, 1.0, 0.0]) {
            assert!((got - want).abs() < 1e-12, "{p:?}");
        }
        // First component (1/2, 1/2, 1/√2).
        assert!(close(p.rotation[0][0], 0.5) && close(p.rotation[0][1], 0.5) && close(p.rotation[0][2], h));
        assert!(pca(&[&a, &[1.0; 4]]).is_err());
        assert!(pca(&[&[1.0, NAN], &[NAN, 1.0]]).is_err());
    }

    #[test]
    fn correlation_matrix_is_symmetric() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [2.0, 4.0, 5.0, 9.0];
        let m = correlation_matrix(&[&x, &y], Correlation::Pearson).unwrap();
        assert_eq!(m[0], 1.0);
        assert_eq!(m[3], 1.0);
        assert_eq!(m[1], m[2]);
        assert!(close(m[1], 11.0 / 130f64.sqrt()));
    }
}
