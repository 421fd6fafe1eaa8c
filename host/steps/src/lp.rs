//! A small dense simplex solver for `max cᵀx  s.t.  A x ≤ b, x ≥ 0` with `b ≥ 0`.
//!
//! With `b ≥ 0` the origin is feasible, so the slack basis starts the primal simplex
//! directly (no phase 1). Pivoting uses Dantzig's rule and falls back to Bland's
//! rule (lowest-index entering and leaving variables), which cannot cycle, after a
//! run of degenerate pivots — benefit-of-the-doubt programmes are often degenerate
//! (many units on the frontier). Sizes here are tiny (tens of constraints, a handful
//! of variables), so a dense tableau is fastest.

/// Why a programme could not be solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LpError {
    /// The objective can grow without bound.
    Unbounded,
    /// Pivot limit reached (should not happen with Bland's rule).
    IterationLimit,
}

/// Reusable tableau storage, so that solving many programmes of the same shape
/// (one per unit) allocates once.
#[derive(Debug, Default)]
pub(crate) struct Simplex {
    tab: Vec<f64>,
    basis: Vec<usize>,
}

const EPS: f64 = 1e-11;

impl Simplex {
    /// Maximises `c·x` subject to `A x ≤ b` and `x ≥ 0`, where `a` is row-major with
    /// `b.len()` rows and `c.len()` columns and every `b[i] ≥ 0`. Returns the optimal
    /// objective value.
    pub(crate) fn maximise(&mut self, c: &[f64], a: &[f64], b: &[f64]) -> Result<f64, LpError> {
        let (m, n) = (b.len(), c.len());
        debug_assert_eq!(a.len(), m * n);
        debug_assert!(b.iter().all(|&v| v >= 0.0));
        // Columns: n decision variables, m slacks, then the right-hand side.
        let w = n + m + 1;
        self.tab.clear();
        self.tab.resize((m + 1) * w, 0.0);
        self.basis.clear();
        for i in 0..m {
            let row = &mut self.tab[i * w..(i + 1) * w];
            row[..n].copy_from_slice(&a[i * n..(i + 1) * n]);
            row[n + i] = 1.0;
            row[w - 1] = b[i];
            self.basis.push(n + i);
        }
        // Objective row holds the reduced costs −c (we maximise).
        let obj = m * w;
        for (t, cj) in self.tab[obj..obj + n].iter_mut().zip(c) {
            *t = -cj;
        }
        let max_pivots = 50 * (m + n) + 100;
        // Dantzig pricing (most negative reduced cost) is fast; after a run of
        // degenerate pivots switch to Bland's rule, which cannot cycle.
        let mut degenerate_run = 0usize;
        for _ in 0..max_pivots {
            let bland = degenerate_run > n + m;
            let mut enter: Option<usize> = None;
            let mut best = -EPS;
            for j in 0..n + m {
                let r = self.tab[obj + j];
                if r < best {
                    enter = Some(j);
                    if bland {
                        break;
                    }
                    best = r;
                }
            }
            let Some(enter) = enter else {
                return Ok(self.tab[obj + w - 1]);
            };
            // Minimum ratio; ties broken by the lowest basic-variable index.
            let mut leave: Option<(usize, f64)> = None;
            for i in 0..m {
                let aij = self.tab[i * w + enter];
                if aij > EPS {
                    let ratio = self.tab[i * w + w - 1] / aij;
                    let better = match leave {
                        None => true,
                        Some((l, r)) => {
                            ratio < r - EPS * r.abs().max(1.0)
                                || (ratio <= r + EPS * r.abs().max(1.0) && self.basis[i] < self.basis[l])
                        }
                    };
                    if better {
                        leave = Some((i, ratio));
                    }
                }
            }
            let Some((pr, ratio)) = leave else {
                return Err(LpError::Unbounded);
            };
            degenerate_run = if ratio <= EPS { degenerate_run + 1 } else { 0 };
            self.pivot(pr, enter, m, w);
        }
        Err(LpError::IterationLimit)
    }

    fn pivot(&mut self, pr: usize, pc: usize, m: usize, w: usize) {
        let p = self.tab[pr * w + pc];
        for j in 0..w {
            self.tab[pr * w + j] /= p;
        }
        for i in 0..=m {
            if i == pr {
                continue;
            }
            let f = self.tab[i * w + pc];
            if f != 0.0 {
                for j in 0..w {
                    let v = self.tab[pr * w + j];
                    self.tab[i * w + j] -= f * v;
                }
            }
        }
        self.basis[pr] = pc;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn textbook_programme() {
        // max 3x + 5y s.t. x ≤ 4, 2y ≤ 12, 3x + 2y ≤ 18: optimum x = 2, y = 6, value 36
        // (the classic Hillier–Lieberman example).
        let mut s = Simplex::default();
        let v = s
            .maximise(&[3.0, 5.0], &[1.0, 0.0, 0.0, 2.0, 3.0, 2.0], &[4.0, 12.0, 18.0])
            .unwrap();
        assert!((v - 36.0).abs() < 1e-12);
    }

    #[test]
    fn unbounded_and_degenerate() {
        let mut s = Simplex::default();
        // max x with only y constrained: unbounded.
        assert_eq!(s.maximise(&[1.0, 0.0], &[0.0, 1.0], &[1.0]), Err(LpError::Unbounded));
        // Degenerate vertex: max x + y s.t. x + y ≤ 1, x ≤ 1, y ≤ 1, x + 2y ≤ 1 → 1.
        let v = s
            .maximise(
                &[1.0, 1.0],
                &[1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 2.0],
                &[1.0, 1.0, 1.0, 1.0],
            )
            .unwrap();
        assert!((v - 1.0).abs() < 1e-12);
    }
}
