//! A small dense simplex solver for `max cᵀx  s.t.  A x ≤ b, x ≥ 0` with `b ≥ 0`.
//!
//! With `b ≥ 0` the origin is feasible, so the slack basis starts the primal simplex
//! directly (no phase 1). Pivoting uses Dantzig's rule and falls back to Bland's
//! rule (lowest-label entering and leaving variables), which cannot cycle, after a
//! run of degenerate pivots — benefit-of-the-doubt programmes are often degenerate
//! (many units on the frontier). Sizes here are tiny (tens of constraints, a handful
//! of variables), so a dense condensed tableau is fastest.

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
///
/// The tableau is *condensed* (Tucker form): one row per basic variable, one column
/// per non-basic variable, plus the right-hand side; a pivot exchanges a row and a
/// column label. With the slacks never stored as columns, a pivot costs
/// `(m + 1)(n + 1)` operations instead of `(m + 1)(n + m + 1)`.
#[derive(Debug, Default)]
pub(crate) struct Simplex {
    tab: Vec<f64>,
    /// Variable labels of the rows (basic) and columns (non-basic); decision
    /// variables are `0..n`, slacks `n..n + m`.
    row_label: Vec<usize>,
    col_label: Vec<usize>,
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
        // Row i: sᵢ = bᵢ − Σ aᵢₖ xₖ, stored as [aᵢ₁ … aᵢₙ | bᵢ]; the objective row
        // holds the reduced costs [−c | z].
        let w = n + 1;
        self.tab.clear();
        self.tab.reserve((m + 1) * w);
        for i in 0..m {
            self.tab.extend_from_slice(&a[i * n..(i + 1) * n]);
            self.tab.push(b[i]);
        }
        self.tab.extend(c.iter().map(|v| -v));
        self.tab.push(0.0);
        self.row_label.clear();
        self.row_label.extend(n..n + m);
        self.col_label.clear();
        self.col_label.extend(0..n);
        let obj = m * w;
        let max_pivots = 50 * (m + n) + 100;
        // Dantzig pricing (most negative reduced cost) is fast; after a run of
        // degenerate pivots switch to Bland's rule, which cannot cycle.
        let mut degenerate_run = 0usize;
        for _ in 0..max_pivots {
            let bland = degenerate_run > n + m;
            let mut enter: Option<usize> = None;
            for k in 0..n {
                let r = self.tab[obj + k];
                if r < -EPS {
                    let better = match enter {
                        None => true,
                        Some(e) if bland => self.col_label[k] < self.col_label[e],
                        Some(e) => r < self.tab[obj + e],
                    };
                    if better {
                        enter = Some(k);
                    }
                }
            }
            let Some(s) = enter else {
                return Ok(self.tab[obj + n]);
            };
            // Minimum ratio; ties broken by the lowest variable label.
            let mut leave: Option<(usize, f64)> = None;
            for i in 0..m {
                let ais = self.tab[i * w + s];
                if ais > EPS {
                    let ratio = self.tab[i * w + n] / ais;
                    let better = match leave {
                        None => true,
                        Some((l, r)) => {
                            let tol = EPS * r.abs().max(1.0);
                            ratio < r - tol || (ratio <= r + tol && self.row_label[i] < self.row_label[l])
                        }
                    };
                    if better {
                        leave = Some((i, ratio));
                    }
                }
            }
            let Some((r, ratio)) = leave else {
                return Err(LpError::Unbounded);
            };
            degenerate_run = if ratio <= EPS { degenerate_run + 1 } else { 0 };
            self.pivot(r, s, m, w);
        }
        Err(LpError::IterationLimit)
    }

    /// Exchanges basic row `r` with non-basic column `s`.
    fn pivot(&mut self, r: usize, s: usize, m: usize, w: usize) {
        let p = self.tab[r * w + s];
        for j in 0..w {
            if j != s {
                self.tab[r * w + j] /= p;
            }
        }
        for i in 0..=m {
            if i == r {
                continue;
            }
            let f = self.tab[i * w + s];
            if f != 0.0 {
                for j in 0..w {
                    if j != s {
                        let v = self.tab[r * w + j];
                        self.tab[i * w + j] -= f * v;
                    }
                }
                self.tab[i * w + s] = -f / p;
            }
        }
        self.tab[r * w + s] = 1.0 / p;
        std::mem::swap(&mut self.row_label[r], &mut self.col_label[s]);
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
    fn beale_cycling_example() {
        // Beale (1955): Dantzig's rule with naive tie-breaking cycles here.
        // max ¾x₁ − 20x₂ + ½x₃ − 6x₄ s.t. ¼x₁ − 8x₂ − x₃ + 9x₄ ≤ 0,
        // ½x₁ − 12x₂ − ½x₃ + 3x₄ ≤ 0, x₃ ≤ 1; optimum 5/4 at x₁ = x₃ = 1.
        let mut s = Simplex::default();
        let a = [0.25, -8.0, -1.0, 9.0, 0.5, -12.0, -0.5, 3.0, 0.0, 0.0, 1.0, 0.0];
        let v = s.maximise(&[0.75, -20.0, 0.5, -6.0], &a, &[0.0, 0.0, 1.0]).unwrap();
        assert!((v - 1.25).abs() < 1e-12);
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
