//! Variance-based sensitivity indices from a Saltelli design, with the estimators
//! COINr uses (`SA_estimate`): first order by Saltelli (2010), total order by
//! Jansen (1999), the output variance from the stacked `A` and `B` outputs with
//! denominator n − 1; bootstrap confidence intervals by resampling the
//! per-point terms. Pure functions, no I/O.

use super::design::Rng;

/// Sensitivity indices of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Indices {
    /// First-order index `S_i`.
    pub first: f64,
    /// Total-order index `S_Ti`.
    pub total: f64,
    /// 5th and 95th bootstrap percentiles of `S_i` (NaN without bootstrap).
    pub first_ci: (f64, f64),
    /// 5th and 95th bootstrap percentiles of `S_Ti`.
    pub total_ci: (f64, f64),
}

/// The indices of all inputs and the output variance.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Variance of the stacked `A` and `B` outputs (n − 1).
    pub variance: f64,
    /// One entry per input.
    pub indices: Vec<Indices>,
}

/// Estimates first- and total-order indices from outputs `y` of a Saltelli design
/// (`n·(d + 2)` values: `A`, `B`, then `A_B^(i)` for each input; see
/// [`super::design::saltelli`]). Missing outputs (NaN) are not allowed.
///
/// With `yA`, `yB`, `yC = y(A_B^(i))` and `V = var(c(yA, yB))`:
/// `S_i = mean(yB·(yC − yA)) / V` and `S_Ti = Σ(yA − yC)² / (2n·V)`.
pub fn sobol_indices(y: &[f64], n: usize, d: usize, bootstrap: usize, seed: u64) -> Estimate {
    assert_eq!(y.len(), n * (d + 2), "a Saltelli design has n(d + 2) outputs");
    let ya = &y[..n];
    let yb = &y[n..2 * n];
    let variance = sample_variance(&y[..2 * n]);
    if variance == 0.0 {
        // The target never varies: no input has any effect. (The estimators would
        // divide 0 by 0.)
        let zero = Indices {
            first: 0.0,
            total: 0.0,
            first_ci: (0.0, 0.0),
            total_ci: (0.0, 0.0),
        };
        return Estimate {
            variance,
            indices: vec![zero; d],
        };
    }
    let mut rng = Rng::new(seed, 0xB007);
    let indices = (0..d)
        .map(|i| {
            let yc = &y[(2 + i) * n..(3 + i) * n];
            let first_terms: Vec<f64> = (0..n).map(|r| yb[r] * (yc[r] - ya[r])).collect();
            let total_terms: Vec<f64> = (0..n).map(|r| (ya[r] - yc[r]).powi(2)).collect();
            let first = first_terms.iter().sum::<f64>() / n as f64 / variance;
            let total = total_terms.iter().sum::<f64>() / (2.0 * n as f64 * variance);
            let (first_ci, total_ci) = if bootstrap == 0 {
                ((f64::NAN, f64::NAN), (f64::NAN, f64::NAN))
            } else {
                let mut fb = Vec::with_capacity(bootstrap);
                let mut tb = Vec::with_capacity(bootstrap);
                for _ in 0..bootstrap {
                    let (mut fs, mut ts) = (0.0, 0.0);
                    for _ in 0..n {
                        fs += first_terms[rng.below(n)];
                    }
                    for _ in 0..n {
                        ts += total_terms[rng.below(n)];
                    }
                    fb.push(fs / n as f64 / variance);
                    tb.push(ts / (2.0 * n as f64 * variance));
                }
                (
                    (quantile(&fb, 0.05), quantile(&fb, 0.95)),
                    (quantile(&tb, 0.05), quantile(&tb, 0.95)),
                )
            };
            Indices {
                first,
                total,
                first_ci,
                total_ci,
            }
        })
        .collect();
    Estimate { variance, indices }
}

/// Sample variance with denominator n − 1 (R's `var`).
pub fn sample_variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// Quantile of the values (R's default type 7: linear interpolation between order
/// statistics at `h = (n − 1)p`). NaN for no values.
pub fn quantile(x: &[f64], p: f64) -> f64 {
    let mut v: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, p)
}

/// As [`quantile`], for values already sorted ascending and without NaN.
pub fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    cityrank_steps::stats::quantile_sorted(v, p)
}

#[cfg(test)]
mod tests {
    use super::super::design::{Sampler, saltelli};
    use super::*;

    #[test]
    fn hand_computed_on_a_fixed_design() {
        // n = 2, d = 2. yA = [1, 3], yB = [2, 6], yC1 = [2, 3], yC2 = [1, 7].
        // V = var(1, 3, 2, 6) = mean 3, squares 4 + 0 + 1 + 9 = 14, /3 = 14/3.
        // S_1 = mean(yB·(yC1 − yA)) / V = mean(2·1, 6·0) / V = 1 / (14/3) = 3/14.
        // S_T1 = Σ(yA − yC1)² / (2nV) = (1 + 0) / (4 · 14/3) = 3/56.
        // S_2 = mean(2·0, 6·4) / V = 12 / (14/3) = 36/14 = 18/7.
        // S_T2 = (0 + 16) / (4 · 14/3) = 48/56 = 6/7.
        let y = [1.0, 3.0, 2.0, 6.0, 2.0, 3.0, 1.0, 7.0];
        let e = sobol_indices(&y, 2, 2, 0, 0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(e.variance, 14.0 / 3.0));
        assert!(close(e.indices[0].first, 3.0 / 14.0));
        assert!(close(e.indices[0].total, 3.0 / 56.0));
        assert!(close(e.indices[1].first, 18.0 / 7.0));
        assert!(close(e.indices[1].total, 6.0 / 7.0));
        assert!(e.indices[0].first_ci.0.is_nan());
    }

    /// The Ishigami function on [−π, π]³ with a = 7, b = 0.1.
    fn ishigami(x: &[f64]) -> f64 {
        let p = |u: f64| -std::f64::consts::PI + 2.0 * std::f64::consts::PI * u;
        let (x1, x2, x3) = (p(x[0]), p(x[1]), p(x[2]));
        x1.sin() + 7.0 * x2.sin().powi(2) + 0.1 * x3.powi(4) * x1.sin()
    }

    #[test]
    fn ishigami_indices_converge_to_the_analytic_values() {
        // Analytic values (Saltelli et al. 2008, Global Sensitivity Analysis: The
        // Primer, §4.6; a = 7, b = 0.1): V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2 = 13.8446;
        // V1 = bπ⁴/5 + b²π⁸/50 + 1/2 = 4.3459, V2 = a²/8 = 6.125, V3 = 0,
        // V13 = 8b²π⁸/225 = 3.3742 → S = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437).
        let s = [0.3139, 0.4424, 0.0];
        let st = [0.5576, 0.4424, 0.2437];
        for (sampler, n, tol) in [(Sampler::Sobol, 1 << 14, 0.02), (Sampler::MonteCarlo, 1 << 15, 0.04)] {
            let d = 3;
            let x = saltelli(n, d, 11, sampler);
            let y: Vec<f64> = x.chunks(d).map(ishigami).collect();
            let e = sobol_indices(&y, n, d, 200, 5);
            for i in 0..d {
                let got = &e.indices[i];
                assert!(
                    (got.first - s[i]).abs() < tol,
                    "{sampler:?} S{i} = {} vs {}",
                    got.first,
                    s[i]
                );
                assert!(
                    (got.total - st[i]).abs() < tol,
                    "{sampler:?} ST{i} = {} vs {}",
                    got.total,
                    st[i]
                );
                assert!(
                    got.total_ci.0 <= got.total && got.total <= got.total_ci.1,
                    "{sampler:?} ST{i} CI"
                );
            }
        }
    }

    #[test]
    fn a_constant_target_has_zero_indices() {
        let e = sobol_indices(&[2.0; 8], 2, 2, 10, 0);
        assert_eq!(e.variance, 0.0);
        assert!(e.indices.iter().all(|i| i.first == 0.0 && i.total == 0.0));
    }

    #[test]
    fn quantiles_follow_r_type_7() {
        // x = 1..5: h = 4p; p = 0.05 → h = 0.2 → 1 + 0.2·1 = 1.2; p = 0.95 → h = 3.8 → 4.8.
        let x = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert!((quantile(&x, 0.05) - 1.2).abs() < 1e-12);
        assert!((quantile(&x, 0.95) - 4.8).abs() < 1e-12);
        assert_eq!(quantile(&x, 0.5), 3.0);
    }
}
