//! Descriptive statistics over the present values of a column.

use crate::lanes::F64x2;
use crate::present;

/// Number of present values.
pub fn count(x: &[f64]) -> usize {
    present(x).count()
}

/// Arithmetic mean of the present values (`NaN` when none).
pub fn mean(x: &[f64]) -> f64 {
    let (s, n) = present(x).fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Sample standard deviation (denominator n − 1) of the present values
/// (`NaN` with fewer than two).
pub fn sd(x: &[f64]) -> f64 {
    let m = mean(x);
    let (ss, n) = present(x).fold((0.0, 0usize), |(s, n), v| (s + (v - m) * (v - m), n + 1));
    if n < 2 {
        f64::NAN
    } else {
        (ss / (n as f64 - 1.0)).sqrt()
    }
}

/// The `p`-quantile of values sorted ascending, without NaN, by linear
/// interpolation between order statistics (Hyndman & Fan's type 7, R's default):
/// position `(n − 1)·p`. NaN for no values.
pub fn quantile_sorted(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let h = (v.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(v.len() - 1);
    v[lo] + (h - lo as f64) * (v[hi] - v[lo])
}

/// Median of the present values (`NaN` when none).
pub fn median(x: &[f64]) -> f64 {
    let mut v: Vec<f64> = present(x).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Bias-corrected sample skewness (as R's `e1071::skewness(type = 2)` and scipy's
/// `skew(bias=False)`): `G1 = √(n(n−1))/(n−2) · m3/m2^{3/2}` with central moments
/// `m_k = Σ(x−x̄)^k / n`. `NaN` with fewer than three values.
pub fn skewness(x: &[f64]) -> f64 {
    let v: Vec<f64> = present(x).collect();
    let n = v.len() as f64;
    if v.len() < 3 {
        return f64::NAN;
    }
    let m = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n;
    let m3 = v.iter().map(|a| (a - m).powi(3)).sum::<f64>() / n;
    (n * (n - 1.0)).sqrt() / (n - 2.0) * m3 / libm::pow(m2, 1.5)
}

/// Bias-corrected sample excess kurtosis (as R's `e1071::kurtosis(type = 2)` and
/// scipy's `kurtosis(bias=False)`):
/// `G2 = (n−1)/((n−2)(n−3)) · ((n+1)·m4/m2² − 3(n−1))`. `NaN` with fewer than four values.
pub fn kurtosis(x: &[f64]) -> f64 {
    let v: Vec<f64> = present(x).collect();
    let n = v.len() as f64;
    if v.len() < 4 {
        return f64::NAN;
    }
    let m = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n;
    let m4 = v.iter().map(|a| (a - m).powi(4)).sum::<f64>() / n;
    (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * m4 / (m2 * m2) - 3.0 * (n - 1.0))
}

/// A Neumaier-compensated running sum: `(sum, carry)` holds the exact sum of the
/// values added to about twice `f64` precision.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum {
    s: f64,
    c: f64,
    /// How many values were added.
    pub(crate) n: usize,
}

impl Sum {
    /// Adds `v`.
    #[inline]
    pub(crate) fn add(&mut self, v: f64) {
        let t = self.s + v;
        self.c += if self.s.abs() >= v.abs() {
            (self.s - t) + v
        } else {
            (v - t) + self.s
        };
        self.s = t;
        self.n += 1;
    }

    /// The mean, rounded once (`NaN` when empty): the quotient `q = s/n` corrected
    /// by the exact residual `s − q·n` (an fma) plus the carry. This is the exact
    /// mean to within an ulp, as R's `mean()` (extended-precision sum, then a
    /// refinement pass) gives it.
    #[inline]
    pub(crate) fn mean(&self) -> f64 {
        if self.n == 0 {
            return f64::NAN;
        }
        let nf = self.n as f64;
        let q = self.s / nf;
        if !q.is_finite() {
            return (self.s + self.c) / nf;
        }
        q + ((-q).mul_add(nf, self.s) + self.c) / nf
    }
}

/// Mean of the values yielded by `values` (none may be missing) from a compensated
/// sum, rounded once (see `Sum::mean`). `NaN` when there are none. Used where results
/// must match COINr to the last bit (imputation, moments).
pub(crate) fn accurate_mean(values: impl Iterator<Item = f64>) -> f64 {
    let mut sum = Sum::default();
    values.for_each(|v| sum.add(v));
    sum.mean()
}

/// Bias-corrected sample skewness and excess kurtosis of the present values in one
/// go, without allocating: the same quantities as [`skewness`] and [`kurtosis`],
/// computed as COINr 1.1's `skew()`/`kurt()` (from `e1071`, type 2) with `d = x − x̄`:
///
/// - skewness `√n·Σd³/(Σd²)^{3/2} · √(n(n−1))/(n−2)` (`NaN` with fewer than 3 values),
/// - kurtosis `((n+1)(r−3)+6)(n−1)/((n−2)(n−3))` with `r = n·Σd⁴/(Σd²)²`
///   (`NaN` with fewer than 4 values).
///
/// Both are `NaN` for a constant column (`Σd² = 0`). As in R, `x̄` is the mean
/// rounded once (a compensated sum, refined as R's `mean()` does) and the deviations
/// `d` are taken from that rounded mean — which matters for data far from zero,
/// where the deviations' own rounding shows (COINr's decisions follow it). Two
/// branch-free passes over two lanes of values (see `crate::lanes`): the compensated
/// sum, then plain sums of the powers of `d`; the results agree with COINr's to about
/// 1e-14.
pub fn skew_kurt(x: &[f64]) -> (f64, f64) {
    // Values at even and odd positions go to separate lanes; an odd last value is
    // paired with a missing one.
    let pairs = x.chunks_exact(2);
    let last = match pairs.remainder() {
        [v] => Some(F64x2::new(*v, f64::NAN)),
        _ => None,
    };
    // Pass 1: count and a Neumaier-compensated sum per lane (a missing value adds 0).
    let zero = F64x2::splat(0.0);
    let one = F64x2::splat(1.0);
    let (mut s, mut c, mut count) = (zero, zero, zero);
    let mut first = |v: F64x2| {
        let v0 = v.where_present(v);
        let t = s.add(v0);
        let (big_s, big_v) = (s.sub(t).add(v0), v0.sub(t).add(s));
        c = c.add(s.abs().ge_select(v0.abs(), big_s, big_v));
        s = t;
        count = count.add(v.where_present(one));
    };
    // (Plain loops, not a chained iterator: the sandbox's compiler keeps the
    // accumulators of a simple loop in registers.)
    for p in pairs.clone() {
        first(F64x2::new(p[0], p[1]));
    }
    last.into_iter().for_each(&mut first);
    let ([s0, s1], [c0, c1], [n0, n1]) = (s.lanes(), c.lanes(), count.lanes());
    let nf = n0 + n1;
    let n = nf as usize;
    if n < 3 {
        return (f64::NAN, f64::NAN);
    }
    // The two lanes' exact sums, combined: lane 1's sum added to lane 0's with
    // Neumaier's correction, both carries kept.
    let mut sum = Sum {
        s: s0,
        c: c0 + c1,
        n: 0,
    };
    sum.add(s1);
    sum.n = n;
    let m = F64x2::splat(sum.mean());
    // Pass 2: sums of the powers of the deviations (0 for a missing value).
    let (mut e2, mut e3, mut e4) = (zero, zero, zero);
    let mut second = |v: F64x2| {
        let d = v.where_present(v.sub(m));
        let d2 = d.mul(d);
        e2 = e2.add(d2);
        e3 = e3.add(d2.mul(d));
        e4 = e4.add(d2.mul(d2));
    };
    for p in pairs {
        second(F64x2::new(p[0], p[1]));
    }
    last.into_iter().for_each(&mut second);
    let [s2, s3, s4] = [e2, e3, e4].map(|e| {
        let [a, b] = e.lanes();
        a + b
    });
    // s2^1.5 as s2·√s2: a correctly rounded square root instead of `powf`.
    let skew = nf.sqrt() * s3 / (s2 * s2.sqrt()) * (nf * (nf - 1.0)).sqrt() / (nf - 2.0);
    let kurt = if n < 4 {
        f64::NAN
    } else {
        let r = nf * s4 / (s2 * s2);
        ((nf + 1.0) * (r - 3.0) + 6.0) * (nf - 1.0) / ((nf - 2.0) * (nf - 3.0))
    };
    (skew, kurt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_by_hand() {
        // x = 1, 2, 3, 4, 10: mean 4; deviations −3 −2 −1 0 6;
        // Σd² = 9+4+1+0+36 = 50 → sd = √(50/4) = √12.5.
        let x = [1.0, 2.0, 3.0, 4.0, 10.0, f64::NAN];
        assert_eq!(mean(&x), 4.0);
        assert!((sd(&x) - 12.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(median(&x), 3.0);
        assert_eq!(median(&[1.0, 2.0, 3.0, 10.0]), 2.5);
        // m2 = 50/5 = 10, m3 = (−27−8−1+0+216)/5 = 36, m4 = (81+16+1+0+1296)/5 = 278.8.
        // G1 = √20/3 · 36/10^1.5 = 1.6970562748477140.
        assert!((skewness(&x) - 1.697_056_274_847_714).abs() < 1e-12);
        // G2 = 4/(3·2) · (6·278.8/100 − 12) = (2/3)·4.728 = 3.152.
        assert!((kurtosis(&x) - 3.152).abs() < 1e-12);
    }

    #[test]
    fn skew_kurt_matches_the_separate_functions() {
        // Same x as above: G1 = 1.697056274847714, G2 = 3.152 (worked out by hand there).
        let x = [1.0, 2.0, 3.0, 4.0, 10.0, f64::NAN];
        let (s, k) = skew_kurt(&x);
        assert!((s - 1.697_056_274_847_714).abs() < 1e-12);
        assert!((k - 3.152).abs() < 1e-12);
        // Too few values, a constant column, nothing present.
        let (s, k) = skew_kurt(&[1.0, 5.0, 9.0]);
        assert_eq!(s, 0.0); // symmetric: Σd³ = (−4)³ + 0 + 4³ = 0
        assert!(k.is_nan());
        let (s, k) = skew_kurt(&[2.0, 2.0, 2.0, 2.0]);
        assert!(s.is_nan() && k.is_nan());
        let (s, k) = skew_kurt(&[f64::NAN; 3]);
        assert!(s.is_nan() && k.is_nan());
        // A constant column among missing values, at odd and even lengths.
        let (s, k) = skew_kurt(&[0.1, f64::NAN, 0.1, 0.1, 0.1, 0.1]);
        assert!(s.is_nan() && k.is_nan());
    }

    #[test]
    fn skew_kurt_takes_deviations_from_the_rounded_mean_as_r_does() {
        // Far from zero the deviations' own rounding shows, and COINr's decisions follow
        // R, which takes them from the mean rounded to a double: x = (10¹² + 0.3) +
        // k·2⁻¹³ for k = 3, 13, 21, 1, 1, 0, 5, 40, 1, 0. Computed as R does (correctly
        // rounded mean, deviations rounded to doubles, exact sums of their powers with
        // Python's fractions): skew 2.066667254647648, kurt 3.9541030880028147 — a
        // column COINr treats, although the exact moments of the data (skew 1.9276)
        // would pass its |skew| < 2 test.
        let base = 1e12 + 0.3;
        let x: Vec<f64> = [3.0, 13.0, 21.0, 1.0, 1.0, 0.0, 5.0, 40.0, 1.0, 0.0]
            .iter()
            .map(|k| base + k * 2f64.powi(-13))
            .collect();
        let (s, k) = skew_kurt(&x);
        assert!((s - 2.066_667_254_647_648).abs() < 1e-9, "{s}");
        assert!((k - 3.954_103_088_002_815).abs() < 1e-9, "{k}");
        // Near-constant: 9,999 × 0.1 and one value an ulp u above. The rounded mean is
        // 0.1, so every deviation is 0 but one (u): Σd² = u², Σd³ = u³, Σd⁴ = u⁴, r = n,
        // skew = n·√(n−1)/(n−2), kurt = ((n+1)(n−3)+6)(n−1)/((n−2)(n−3)) with n = 10⁴.
        let mut y = vec![0.1; 9_999];
        y.push(f64::from_bits(0.1f64.to_bits() + 1));
        let n = 10_000.0f64;
        let (s, k) = skew_kurt(&y);
        assert!((s - n * (n - 1.0).sqrt() / (n - 2.0)).abs() < 1e-9, "{s}");
        assert!(
            (k - ((n + 1.0) * (n - 3.0) + 6.0) * (n - 1.0) / ((n - 2.0) * (n - 3.0))).abs() < 1e-9,
            "{k}"
        );
    }

    #[test]
    fn skew_kurt_is_shift_invariant_and_free_of_missing_positions() {
        // Moments do not move with a shift: 10⁶ + (1, 2, 3, 4, 10) has the same G1 and G2
        // as the example worked by hand above (every value and deviation is exact).
        let x: Vec<f64> = [1.0, 2.0, 3.0, 4.0, 10.0].iter().map(|v| 1e6 + v).collect();
        let (s, k) = skew_kurt(&x);
        assert!((s - 1.697_056_274_847_714).abs() < 1e-9, "{s}");
        assert!((k - 3.152).abs() < 1e-9, "{k}");
        // Missing values in either lane and an odd remainder change nothing.
        let gappy = [f64::NAN, 1.0, 2.0, f64::NAN, f64::NAN, 3.0, 4.0, 10.0, f64::NAN];
        let (s, k) = skew_kurt(&gappy);
        assert!((s - 1.697_056_274_847_714).abs() < 1e-12);
        assert!((k - 3.152).abs() < 1e-12);
    }

    #[test]
    fn accurate_mean_refines() {
        // 0.1 + 0.2 + 0.3 naively sums to 0.6000000000000001 (mean 0.20000000000000004);
        // the exact sum of the three doubles is 0.60000000000000000555, whose third
        // rounds to the double 0.2.
        assert_eq!(accurate_mean([0.1, 0.2, 0.3].into_iter()), 0.2);
        assert!(accurate_mean(std::iter::empty()).is_nan());
        // 1e16 + 1 − 1e16 is lost by a naive sum but kept by the compensated one: mean 1/3.
        assert_eq!(accurate_mean([1e16, 1.0, -1e16].into_iter()), 1.0 / 3.0);
    }
}
