//! Nelder–Mead minimisation, a port of R's `optim(method = "Nelder-Mead")` (the C
//! routine `nmmin`, after Nash's *Compact Numerical Methods*), so that weight
//! optimisation follows the same search as COINr's `get_opt_weights()`.
//!
//! Coefficients are R's defaults: reflection 1, contraction 0.5, expansion 2. The
//! initial simplex steps every coordinate by 10% of the largest starting
//! coordinate (0.1 if all are 0). The search stops when the spread of function
//! values in the simplex falls below `reltol·(|f₀| + reltol)` (`f₀` the starting
//! value), when the simplex stops shrinking, or after `max_evaluations`.

/// Value used in place of a non-finite function value (R's `big`).
const BIG: f64 = 1.0e35;

/// Outcome of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NmResult {
    /// Best point found.
    pub x: Vec<f64>,
    /// Function value there.
    pub value: f64,
    /// Function evaluations used.
    pub evaluations: usize,
    /// Whether the tolerance was met (rather than the evaluation limit or a failed shrink).
    pub converged: bool,
}

/// Minimises `f` from `x0`. `f` may fail; the first error aborts the search.
pub(crate) fn nelder_mead<E>(
    mut f: impl FnMut(&[f64]) -> Result<f64, E>,
    x0: &[f64],
    reltol: f64,
    max_evaluations: usize,
) -> Result<NmResult, E> {
    let n = x0.len();
    let mut eval = |x: &[f64], count: &mut usize| -> Result<f64, E> {
        *count += 1;
        let v = f(x)?;
        Ok(if v.is_finite() { v } else { BIG })
    };
    let mut count = 0usize;
    let f0 = eval(x0, &mut count)?;
    if n == 0 || max_evaluations == 0 {
        return Ok(NmResult {
            x: x0.to_vec(),
            value: f0,
            evaluations: count,
            converged: true,
        });
    }
    let convtol = reltol * (f0.abs() + reltol);
    // Simplex vertices (n + 1 points) with their values; one extra slot for the centroid.
    let mut p: Vec<Vec<f64>> = vec![x0.to_vec(); n + 1];
    let mut fv = vec![f0; n + 1];
    let mut step = x0.iter().fold(0.0f64, |s, v| s.max(0.1 * v.abs()));
    if step == 0.0 {
        step = 0.1;
    }
    let mut size = 0.0;
    for j in 1..=n {
        let mut trystep = step;
        while p[j][j - 1] == x0[j - 1] {
            p[j][j - 1] = x0[j - 1] + trystep;
            trystep *= 10.0;
        }
        size += trystep;
    }
    let mut oldsize = size;
    let mut calcvert = true;
    let mut lo = 0usize;
    let mut bvec = vec![0.0; n];
    let mut centroid = vec![0.0; n];
    let mut converged = false;
    loop {
        if calcvert {
            for (j, (v, vertex)) in fv.iter_mut().zip(&p).enumerate() {
                if j != lo {
                    *v = eval(vertex, &mut count)?;
                }
            }
            calcvert = false;
        }
        let mut vl = fv[lo];
        let mut vh = vl;
        let mut hi = lo;
        // As R: `lo` may move during the scan and is skipped from then on.
        for (j, &f) in fv.iter().enumerate() {
            if j != lo {
                if f < vl {
                    lo = j;
                    vl = f;
                }
                if f > vh {
                    hi = j;
                    vh = f;
                }
            }
        }
        if vh <= vl + convtol {
            converged = true;
            break;
        }
        // As R: −P_H first, then every vertex in index order (P_H included), so
        // that the centroid has R's bits.
        for i in 0..n {
            let mut s = -p[hi][i];
            for vertex in &p {
                s += vertex[i];
            }
            centroid[i] = s / n as f64;
        }
        for i in 0..n {
            bvec[i] = 2.0 * centroid[i] - p[hi][i];
        }
        let vr = eval(&bvec, &mut count)?;
        if vr < vl {
            // Try extending further.
            let ext: Vec<f64> = (0..n).map(|i| 2.0 * bvec[i] - centroid[i]).collect();
            let fe = eval(&ext, &mut count)?;
            if fe < vr {
                p[hi] = ext;
                fv[hi] = fe;
            } else {
                p[hi].copy_from_slice(&bvec);
                fv[hi] = vr;
            }
        } else {
            if vr < vh {
                p[hi].copy_from_slice(&bvec);
                fv[hi] = vr;
            }
            for i in 0..n {
                bvec[i] = 0.5 * p[hi][i] + 0.5 * centroid[i];
            }
            let fc = eval(&bvec, &mut count)?;
            if fc < fv[hi] {
                p[hi].copy_from_slice(&bvec);
                fv[hi] = fc;
            } else if vr >= vh {
                // Shrink towards the best vertex.
                calcvert = true;
                size = 0.0;
                let best = p[lo].clone();
                for (j, vertex) in p.iter_mut().enumerate() {
                    if j != lo {
                        for i in 0..n {
                            vertex[i] = 0.5 * (vertex[i] - best[i]) + best[i];
                            size += (vertex[i] - best[i]).abs();
                        }
                    }
                }
                if size < oldsize {
                    oldsize = size;
                } else {
                    break;
                }
            }
        }
        if count > max_evaluations {
            break;
        }
    }
    Ok(NmResult {
        x: p[lo].clone(),
        value: fv[lo],
        evaluations: count,
        converged,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_quadratic_minimum() {
        // (x − 1)² + 10(y + 2)² has its minimum 0 at (1, −2).
        let r = nelder_mead(
            |x| Ok::<f64, ()>((x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2)),
            &[0.0, 0.0],
            1e-12,
            2000,
        )
        .unwrap();
        assert!(r.converged);
        assert!((r.x[0] - 1.0).abs() < 1e-4 && (r.x[1] + 2.0).abs() < 1e-4, "{r:?}");
    }

    #[test]
    fn rosenbrock_and_limits() {
        // R's optim example: fr(x) = 100(x₂ − x₁²)² + (1 − x₁)² from (−1.2, 1); minimum at (1, 1).
        let fr = |x: &[f64]| Ok::<f64, ()>(100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2));
        let r = nelder_mead(fr, &[-1.2, 1.0], 1e-14, 5000).unwrap();
        assert!((r.x[0] - 1.0).abs() < 1e-3 && (r.x[1] - 1.0).abs() < 1e-3, "{r:?}");
        // An evaluation budget stops the search early; errors propagate.
        let r = nelder_mead(fr, &[-1.2, 1.0], 1e-14, 10).unwrap();
        assert!(!r.converged && r.evaluations < 20);
        assert_eq!(nelder_mead(|_| Err::<f64, &str>("boom"), &[0.0], 0.1, 10), Err("boom"));
    }
}
