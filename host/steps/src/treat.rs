//! Outlier treatment: winsorisation and non-linear transforms, as COINr's `Treat`.
//!
//! The default rule ([`Treatment::Coinr`]) reproduces COINr 1.1's default
//! `Treat()` (`f1 = "winsorise"`, `f2 = "log_CT"`, `f_pass = "check_SkewKurt"`):
//!
//! 1. An indicator *passes* when `|skew| < skew` **or** `kurtosis < kurt` (so it is
//!    treated only when `|skew| ≥ skew` and `kurtosis ≥ kurt`), with the
//!    bias-corrected sample moments of [`stats::skew_kurt`]. A passing indicator is
//!    left alone.
//! 2. Otherwise it is winsorised one step at a time: if the current skewness is
//!    `≥ 0`, every point equal to the current maximum is set to the largest *other*
//!    value; if negative, every point equal to the minimum is set to the smallest
//!    other value. After each step the pass test is repeated; the loop stops when it
//!    passes or when `nwin ≥ winmax`, where `nwin` is the size of the latest group
//!    of tied maxima plus that of the latest group of tied minima (COINr's count:
//!    since winsorised points join the next maximum's tie group, this counts the
//!    points winsorised so far, and a step can overshoot `winmax` on ties).
//! 3. If the winsorised indicator still fails, winsorisation is discarded and the
//!    *original* values are log-transformed instead, whatever the skew's sign:
//!    `ln(x − min + 0.01·(max − min))` (COINr `log_CT`), with the portable
//!    [`lanes::ln`] (within an ulp of R's, the same bits on every platform and in a
//!    plugin). The result is returned even if it still fails the test.
//!
//! Where COINr cannot decide (fewer than four values, a constant column, or
//! winsorisation that makes the column constant) its test returns `NA` and it
//! returns the indicator untreated; so does [`treat`].

use crate::{StepError, is_missing, lanes, present, stats};

/// How to treat one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Treatment {
    /// Leave the values as they are.
    None,
    /// COINr's default rule (see the module documentation): winsorise up to
    /// `winmax` points while `|skew| ≥ skew` and `kurtosis ≥ kurt`, else fall back
    /// to `log_CT` on the original values. COINr's defaults are
    /// [`Treatment::COINR_DEFAULT`].
    Coinr {
        /// Maximum number of points to winsorise.
        winmax: usize,
        /// Absolute skewness threshold.
        skew: f64,
        /// Kurtosis threshold.
        kurt: f64,
    },
    /// As [`Treatment::Coinr`], but the fallback log follows the sign of the skew
    /// (COINr's `log_CT_plus`): `ln(x − min + a)` when the skewness is `> 0`,
    /// `−ln(max + a − x)` otherwise, with `a = 0.01·(max − min)`. COINr's default
    /// `log_CT` ignores the sign, which makes a negatively skewed indicator *more*
    /// skewed; this variant does not.
    CoinrSkewAware {
        /// Maximum number of points to winsorise.
        winmax: usize,
        /// Absolute skewness threshold.
        skew: f64,
        /// Kurtosis threshold.
        kurt: f64,
    },
    /// Clip every value to `mean ± k·sd` (sample standard deviation of the present
    /// values); a single pass, no test.
    WinsoriseSd {
        /// Number of standard deviations, `> 0`.
        k: f64,
    },
    /// Box-Cox transform `(x^λ − 1)/λ`, or `ln x` when `λ = 0`; needs every present
    /// value `> 0`.
    BoxCox {
        /// The exponent λ.
        lambda: f64,
    },
    /// COINr's `boxcox(makepos = TRUE)`: shift to `x − min + 1` (so the minimum
    /// becomes 1), then Box-Cox with `λ`.
    BoxCoxShifted {
        /// The exponent λ.
        lambda: f64,
    },
}

impl Treatment {
    /// COINr's default treatment: winsorise up to 5 points while `|skew| ≥ 2` and
    /// `kurtosis ≥ 3.5`, else `log_CT`.
    pub const COINR_DEFAULT: Treatment = Treatment::Coinr {
        winmax: 5,
        skew: 2.0,
        kurt: 3.5,
    };
}

/// What was finally applied to the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// Nothing: the values are returned unchanged.
    None,
    /// Some points were winsorised (or clipped); the others are unchanged.
    Winsorised,
    /// `ln(x − min + 0.01·(max − min))` (COINr `log_CT`).
    Log,
    /// `−ln(max + 0.01·(max − min) − x)`, for negative skew (COINr `log_CT_plus`).
    LogNegative,
    /// A Box-Cox transform (shifted or not).
    BoxCox,
}

impl Transform {
    /// Short name for reports: `"none"`, `"winsorised"`, `"log"`, `"log_neg"`, `"box_cox"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::None => "none",
            Transform::Winsorised => "winsorised",
            Transform::Log => "log",
            Transform::LogNegative => "log_neg",
            Transform::BoxCox => "box_cox",
        }
    }
}

/// Which tail a winsorised point was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Upper tail (COINr `"winhi"`).
    High,
    /// Lower tail (COINr `"winlo"`).
    Low,
}

/// One winsorised point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WinsorisedPoint {
    /// The unit.
    pub unit: usize,
    /// Its tail.
    pub side: Side,
    /// Its original value.
    pub from: f64,
    /// Its treated value.
    pub to: f64,
}

/// Skewness and kurtosis of a version of the indicator, and whether it passes the
/// rule's test (`None` when there is no test, or when it cannot be decided).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapeCheck {
    /// Bias-corrected sample skewness (`NaN` with fewer than 3 values or no spread).
    pub skew: f64,
    /// Bias-corrected sample excess kurtosis (`NaN` with fewer than 4 values or no spread).
    pub kurt: f64,
    /// `|skew| < skew threshold || kurt < kurt threshold`, in R's three-valued logic.
    pub pass: Option<bool>,
}

/// What [`treat`] did to one indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatReport {
    /// What the returned values are.
    pub transform: Transform,
    /// The input (COINr `check_SkewKurt0`).
    pub before: ShapeCheck,
    /// After the winsorisation stage of the COINr rules, when it ran
    /// (COINr `check_SkewKurt1`), even if its result was then discarded for a log.
    pub after_winsorising: Option<ShapeCheck>,
    /// The returned values (for a log fallback, COINr `check_SkewKurt2`).
    pub after: ShapeCheck,
    /// Points winsorised by the winsorisation stage, counted as COINr does
    /// (`winsorise.nwin`), also when it was then discarded for a log; for
    /// [`Treatment::WinsoriseSd`], the number of clipped points.
    pub nwin: usize,
    /// The points winsorised in the returned values, by unit (empty unless
    /// `transform` is [`Transform::Winsorised`]).
    pub winsorised: Vec<WinsorisedPoint>,
}

/// R's `<` with `NA` for a missing operand.
fn lt(v: f64, t: f64) -> Option<bool> {
    if v.is_nan() { None } else { Some(v < t) }
}

/// The pass test of COINr's `check_SkewKurt`: `(|s| < st) | (k < kt)` in R's logic.
fn check(x: &[f64], skew_t: f64, kurt_t: f64) -> ShapeCheck {
    let (skew, kurt) = stats::skew_kurt(x);
    let pass = match (lt(skew.abs(), skew_t), lt(kurt, kurt_t)) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    };
    ShapeCheck { skew, kurt, pass }
}

/// Moments with no test attached.
fn shape(x: &[f64]) -> ShapeCheck {
    let (skew, kurt) = stats::skew_kurt(x);
    ShapeCheck { skew, kurt, pass: None }
}

fn untreated(
    x: &[f64],
    before: ShapeCheck,
    after_winsorising: Option<ShapeCheck>,
    nwin: usize,
) -> (Vec<f64>, TreatReport) {
    let report = TreatReport {
        transform: Transform::None,
        before,
        after_winsorising,
        after: before,
        nwin,
        winsorised: Vec::new(),
    };
    (x.to_vec(), report)
}

/// Treats one indicator for outliers with `t`, returning the treated values (missing
/// values stay missing, in place) and a report of what was done.
///
/// See the module documentation for COINr's rule. Errors: parameters out of range
/// ([`StepError::InvalidParameter`]) and, for [`Treatment::BoxCox`], present values
/// `≤ 0` ([`StepError::Domain`], listing the units).
pub fn treat(x: &[f64], t: &Treatment) -> Result<(Vec<f64>, TreatReport), StepError> {
    match *t {
        Treatment::None => {
            let before = shape(x);
            Ok(untreated(x, before, None, 0))
        }
        Treatment::Coinr { winmax, skew, kurt } => {
            check_thresholds(skew, kurt)?;
            Ok(coinr(x, winmax, skew, kurt, false))
        }
        Treatment::CoinrSkewAware { winmax, skew, kurt } => {
            check_thresholds(skew, kurt)?;
            Ok(coinr(x, winmax, skew, kurt, true))
        }
        Treatment::WinsoriseSd { k } => {
            if !(k.is_finite() && k > 0.0) {
                return Err(StepError::InvalidParameter {
                    name: "k".into(),
                    expected: format!("a finite number of standard deviations > 0, got {k}"),
                });
            }
            Ok(winsorise_sd(x, k))
        }
        Treatment::BoxCox { lambda } => box_cox(x, lambda, false),
        Treatment::BoxCoxShifted { lambda } => box_cox(x, lambda, true),
    }
}

fn check_thresholds(skew: f64, kurt: f64) -> Result<(), StepError> {
    if !(skew.is_finite() && skew > 0.0) {
        return Err(StepError::InvalidParameter {
            name: "skew".into(),
            expected: format!("a finite absolute-skewness threshold > 0, got {skew}"),
        });
    }
    if !kurt.is_finite() {
        return Err(StepError::InvalidParameter {
            name: "kurt".into(),
            expected: format!("a finite kurtosis threshold, got {kurt}"),
        });
    }
    Ok(())
}

/// Largest and smallest present values.
fn extremes(x: &[f64]) -> (f64, f64) {
    // Comparisons rather than `f64::max`/`min`, which a plugin would call as functions.
    present(x).fold((f64::NEG_INFINITY, f64::INFINITY), |(hi, lo), v| {
        (if v > hi { v } else { hi }, if v < lo { v } else { lo })
    })
}

/// COINr's default rule (`log_plus` selects `log_CT_plus` for the fallback).
fn coinr(x: &[f64], winmax: usize, skew_t: f64, kurt_t: f64, log_plus: bool) -> (Vec<f64>, TreatReport) {
    let before = check(x, skew_t, kurt_t);
    if before.pass != Some(false) {
        return untreated(x, before, None, 0);
    }
    // Stage 1: winsorise, exactly as COINr's `winsorise()`.
    let mut y = x.to_vec();
    let mut imax: Vec<usize> = Vec::new();
    let mut imin: Vec<usize> = Vec::new();
    let mut nwin = 0usize;
    let mut current = before;
    while current.pass == Some(false) && nwin < winmax {
        let high = current.skew >= 0.0;
        // One pass on the skewed side (values flipped for the low tail, exactly): the
        // extreme value and the runner-up among the other values.
        // (Negation is a sign flip, not arithmetic: exact, and free in the sandbox.)
        let (mut top, mut next) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for w in present(&y).map(|v| if high { v } else { -v }) {
            if w > top {
                next = top;
                top = w;
            } else if w < top && w > next {
                next = w;
            }
        }
        let (target, replacement) = if high { (top, next) } else { (-top, -next) };
        let group = if high { &mut imax } else { &mut imin };
        group.clear();
        group.extend((0..y.len()).filter(|&u| y[u] == target));
        if replacement.is_infinite() {
            // Every present value is tied: COINr's test becomes NA and it gives up.
            return untreated(x, before, None, 0);
        }
        for &u in group.iter() {
            y[u] = replacement;
        }
        nwin = imax.len() + imin.len();
        current = check(&y, skew_t, kurt_t);
    }
    let after_winsorising = current;
    match after_winsorising.pass {
        None => untreated(x, before, Some(after_winsorising), nwin),
        Some(true) => {
            let mut winsorised: Vec<WinsorisedPoint> = imax
                .iter()
                .map(|&u| (u, Side::High))
                .chain(imin.iter().map(|&u| (u, Side::Low)))
                .map(|(unit, side)| WinsorisedPoint {
                    unit,
                    side,
                    from: x[unit],
                    to: y[unit],
                })
                .collect();
            winsorised.sort_by_key(|p| p.unit);
            let report = TreatReport {
                transform: if nwin > 0 {
                    Transform::Winsorised
                } else {
                    Transform::None
                },
                before,
                after_winsorising: Some(after_winsorising),
                after: after_winsorising,
                nwin,
                winsorised,
            };
            (y, report)
        }
        Some(false) => {
            // Stage 2: log-transform the original values.
            let (hi, lo) = extremes(x);
            let a = 0.01 * (hi - lo);
            let negative = log_plus && before.skew <= 0.0;
            // The arguments, then their logarithms two at a time (the portable `ln`:
            // the same bits natively and in a plugin); a missing value stays missing.
            let mut z: Vec<f64> = x
                .iter()
                .map(|&v| {
                    if is_missing(v) {
                        v
                    } else if negative {
                        hi + a - v
                    } else {
                        v - lo + a
                    }
                })
                .collect();
            lanes::ln_in_place(&mut z);
            if negative {
                z.iter_mut().filter(|v| !v.is_nan()).for_each(|v| *v = -*v);
            }
            let after = check(&z, skew_t, kurt_t);
            let report = TreatReport {
                transform: if negative {
                    Transform::LogNegative
                } else {
                    Transform::Log
                },
                before,
                after_winsorising: Some(after_winsorising),
                after,
                nwin,
                winsorised: Vec::new(),
            };
            (z, report)
        }
    }
}

/// Clips to `mean ± k·sd`.
fn winsorise_sd(x: &[f64], k: f64) -> (Vec<f64>, TreatReport) {
    let before = shape(x);
    let m = stats::mean(x);
    let s = stats::sd(x);
    if s.is_nan() {
        return untreated(x, before, None, 0);
    }
    let (lo, hi) = (m - k * s, m + k * s);
    let mut winsorised = Vec::new();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(unit, &v)| {
            if v > hi {
                winsorised.push(WinsorisedPoint {
                    unit,
                    side: Side::High,
                    from: v,
                    to: hi,
                });
                hi
            } else if v < lo {
                winsorised.push(WinsorisedPoint {
                    unit,
                    side: Side::Low,
                    from: v,
                    to: lo,
                });
                lo
            } else {
                v
            }
        })
        .collect();
    let report = TreatReport {
        transform: if winsorised.is_empty() {
            Transform::None
        } else {
            Transform::Winsorised
        },
        before,
        after_winsorising: None,
        after: shape(&y),
        nwin: winsorised.len(),
        winsorised,
    };
    (y, report)
}

/// Box-Cox, optionally after COINr's shift `x − min + 1`.
fn box_cox(x: &[f64], lambda: f64, shifted: bool) -> Result<(Vec<f64>, TreatReport), StepError> {
    if !lambda.is_finite() {
        return Err(StepError::InvalidParameter {
            name: "lambda".into(),
            expected: format!("a finite exponent, got {lambda}"),
        });
    }
    let (_, lo) = extremes(x);
    let shift = |v: f64| if shifted { v - lo + 1.0 } else { v };
    if !shifted {
        let bad: Vec<usize> = (0..x.len()).filter(|&u| !is_missing(x[u]) && x[u] <= 0.0).collect();
        if !bad.is_empty() {
            return Err(StepError::Domain {
                method: if lambda == 0.0 {
                    "log transform".into()
                } else {
                    "Box-Cox transform".into()
                },
                units: bad,
                needs: "every value > 0".into(),
                hint: "shift the indicator first, or use the shifted Box-Cox (COINr's \
                       `boxcox(makepos = TRUE)`, which maps the minimum to 1)"
                    .into(),
            });
        }
    }
    let y: Vec<f64> = x
        .iter()
        .map(|&v| {
            if is_missing(v) {
                v
            } else if lambda == 0.0 {
                lanes::ln(shift(v))
            } else {
                (libm::pow(shift(v), lambda) - 1.0) / lambda
            }
        })
        .collect();
    let report = TreatReport {
        transform: Transform::BoxCox,
        before: shape(x),
        after_winsorising: None,
        after: shape(&y),
        nwin: 0,
        winsorised: Vec::new(),
    };
    Ok((y, report))
}

#[cfg(test)]
// The platform's functions are an independent reference in tests.
#[allow(clippy::disallowed_methods)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NA: f64 = f64::NAN;

    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x.is_nan() && y.is_nan()) || (x - y).abs() < 1e-12)
    }

    #[test]
    fn passing_indicator_is_untouched() {
        // 1..10 is symmetric: skew 0 < 2 → passes, nothing done.
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(y, x);
        assert_eq!(r.transform, Transform::None);
        assert_eq!(r.before.pass, Some(true));
        assert!(r.before.skew.abs() < 1e-12);
        assert_eq!(r.after_winsorising, None);
    }

    #[test]
    fn one_high_outlier_is_winsorised_to_the_next_value() {
        // 1..10 and 1000 (plus a missing unit): one huge outlier among 11 values gives
        // skewness near √11 ≈ 3.3 and kurtosis near 11 → fails. Skew ≥ 0: the maximum
        // (1000, unit 10) becomes the next largest value, 10. Then 1..10, 10 is close
        // to uniform (|skew| well below 2) → passes after one point.
        let mut x: Vec<f64> = (1..=10).map(f64::from).collect();
        x.push(1000.0);
        x.push(NA);
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        let mut expected: Vec<f64> = (1..=10).map(f64::from).collect();
        expected.push(10.0);
        expected.push(NA);
        assert!(same(&y, &expected));
        assert!(r.before.skew > 2.0 && r.before.kurt > 3.5);
        assert_eq!(r.before.pass, Some(false));
        assert_eq!(r.transform, Transform::Winsorised);
        assert_eq!(r.nwin, 1);
        assert_eq!(
            r.winsorised,
            vec![WinsorisedPoint {
                unit: 10,
                side: Side::High,
                from: 1000.0,
                to: 10.0
            }]
        );
        let after = r.after_winsorising.unwrap();
        assert_eq!(after.pass, Some(true));
        assert!((after.skew - stats::skewness(&expected)).abs() < 1e-12);
        assert_eq!(r.after, after);
    }

    #[test]
    fn negative_skew_winsorises_the_low_tail() {
        // Mirror image: −1000 and 1..10 → the minimum becomes the next lowest, 1.
        let mut x = vec![-1000.0];
        x.extend((1..=10).map(f64::from));
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(y[0], 1.0);
        assert_eq!(&y[1..], &x[1..]);
        assert!(r.before.skew < -2.0);
        assert_eq!(
            r.winsorised,
            vec![WinsorisedPoint {
                unit: 0,
                side: Side::Low,
                from: -1000.0,
                to: 1.0
            }]
        );
    }

    #[test]
    fn tied_maxima_are_winsorised_together_and_counted() {
        // 1..20 and 1000 twice. Near a two-point shape with p = 2/22 = 1/11:
        // g1 ≈ (1−2p)/√(p(1−p)) = 9/√10 ≈ 2.85, g2 ≈ (1−6p(1−p))/(p(1−p)) = 6.1 → fails.
        // Both maxima form one tie group, set to 20 in one step; COINr counts
        // nwin = 2. 1..20, 20, 20 then passes (mild skew).
        let mut x: Vec<f64> = (1..=20).map(f64::from).collect();
        x.extend([1000.0, 1000.0]);
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(r.before.pass, Some(false));
        assert_eq!(&y[20..], &[20.0, 20.0]);
        assert_eq!(&y[..20], &x[..20]);
        assert_eq!(r.nwin, 2);
        assert_eq!(r.winsorised.iter().map(|p| p.unit).collect::<Vec<_>>(), vec![20, 21]);
        // With winmax 1 the step still happens (0 < 1) and overshoots to nwin = 2.
        let t = Treatment::Coinr {
            winmax: 1,
            skew: 2.0,
            kurt: 3.5,
        };
        assert_eq!(treat(&x, &t).unwrap().1.nwin, 2);
    }

    #[test]
    fn falls_back_to_log_of_the_original_values() {
        // Nine zeros and 100: one outlier among n = 10 gives (two-point distribution,
        // p = 1/10) g1 = (1−2p)/√(p(1−p)) = 0.8/0.3 = 8/3, G1 = g1·√(n(n−1))/(n−2)
        // = (8/3)·√90/8 = √10; g2 = (1−6p(1−p))/(p(1−p)) = 0.46/0.09 = 46/9,
        // G2 = (n−1)/((n−2)(n−3))·((n+1)g2 + 6) = 9/56·(506/9 + 54/9) = 10 → fails.
        // winmax 0: no winsorisation allowed → log_CT with min 0, max 100, a = 1:
        // ln(x + 1) → zeros stay 0, 100 → ln 101. The logged values have the same
        // two-point shape, so they still fail, and are returned anyway.
        let mut x = vec![0.0; 9];
        x.push(100.0);
        let t = Treatment::Coinr {
            winmax: 0,
            skew: 2.0,
            kurt: 3.5,
        };
        let (y, r) = treat(&x, &t).unwrap();
        assert!((r.before.skew - 10f64.sqrt()).abs() < 1e-12);
        assert!((r.before.kurt - 10.0).abs() < 1e-12);
        assert_eq!(r.transform, Transform::Log);
        assert_eq!(r.nwin, 0);
        assert!(same(&y[..9], &[0.0; 9]));
        assert!((y[9] - 101f64.ln()).abs() < 1e-15);
        assert_eq!(r.after.pass, Some(false));
        assert!((r.after.skew - 10f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn log_after_insufficient_winsorisation() {
        // 90 zeros and ten outliers 1000..1009. Winsorising five points leaves six at
        // 1004 plus 1000..1003: still ~10 % of the units far above the rest — a
        // two-point shape with p = 0.1: skew ≈ 0.8/0.3 = 2.7, kurtosis ≈ 5 → still
        // fails after winmax = 5 → log_CT of the *original* values: min 0, max 1009,
        // a = 10.09 → ln(x + 10.09).
        let mut x = vec![0.0; 90];
        x.extend((0..10).map(|i| 1000.0 + f64::from(i)));
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(r.transform, Transform::Log);
        assert_eq!(r.nwin, 5);
        assert_eq!(r.after_winsorising.unwrap().pass, Some(false));
        assert!(r.winsorised.is_empty());
        assert!((y[0] - 10.09f64.ln()).abs() < 1e-14);
        assert!((y[99] - 1019.09f64.ln()).abs() < 1e-14);
        // The skew-aware variant logs the mirror image with −ln(max + a − x):
        // max 0, min −1009, a = 10.09 → −ln(10.09 − x).
        let xm: Vec<f64> = x.iter().map(|v| -v).collect();
        let t = Treatment::CoinrSkewAware {
            winmax: 5,
            skew: 2.0,
            kurt: 3.5,
        };
        let (ym, rm) = treat(&xm, &t).unwrap();
        assert_eq!(rm.transform, Transform::LogNegative);
        assert!((ym[0] + 10.09f64.ln()).abs() < 1e-14);
        assert!((ym[99] + 1019.09f64.ln()).abs() < 1e-14);
        // The default rule logs the mirror image the naive way: ln(x + 1009 + 10.09).
        let (yd, rd) = treat(&xm, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(rd.transform, Transform::Log);
        assert!((yd[99] - 10.09f64.ln()).abs() < 1e-14);
    }

    #[test]
    fn undecidable_cases_are_left_untreated() {
        // Constant column: no spread → skew and kurtosis NaN → untreated.
        let (y, r) = treat(&[3.0, 3.0, 3.0, 3.0, 3.0], &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(y, vec![3.0; 5]);
        assert_eq!((r.transform, r.before.pass), (Transform::None, None));
        // Single unit, all missing, empty.
        assert_eq!(treat(&[7.0], &Treatment::COINR_DEFAULT).unwrap().0, vec![7.0]);
        let (y, r) = treat(&[NA, NA], &Treatment::COINR_DEFAULT).unwrap();
        assert!(y.iter().all(|v| v.is_nan()) && r.transform == Transform::None);
        assert!(treat(&[], &Treatment::COINR_DEFAULT).unwrap().0.is_empty());
        // Nine zeros and 100 fail (see above); winsorising 100 → 0 makes the column
        // constant, COINr's test turns NA and it returns the indicator untreated.
        let mut x = vec![0.0; 9];
        x.push(100.0);
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!(y, x);
        assert_eq!(r.transform, Transform::None);
    }

    #[test]
    fn winsorise_at_k_sd() {
        // 1, 2, 3, 4, 10: mean 4, sd √12.5 = 3.5355339. k = 1 → bounds 0.4645, 7.5355:
        // 10 is clipped to 4 + √12.5; the others are inside.
        let x = [1.0, 2.0, 3.0, 4.0, 10.0, NA];
        let (y, r) = treat(&x, &Treatment::WinsoriseSd { k: 1.0 }).unwrap();
        let hi = 4.0 + 12.5f64.sqrt();
        assert!(same(&y, &[1.0, 2.0, 3.0, 4.0, hi, NA]));
        assert_eq!(r.nwin, 1);
        assert_eq!(
            r.winsorised,
            vec![WinsorisedPoint {
                unit: 4,
                side: Side::High,
                from: 10.0,
                to: hi
            }]
        );
        // k = 2 → bounds −3.07, 11.07: nothing to clip.
        let (y, r) = treat(&x, &Treatment::WinsoriseSd { k: 2.0 }).unwrap();
        assert!(same(&y, &x));
        assert_eq!(r.transform, Transform::None);
        // Low side: −10, 1, 2, 3, 4 has mean 0, Σd² = 100+1+4+9+16 = 130, sd = √32.5;
        // k = 1 → −10 is clipped to −√32.5 ≈ −5.70, nothing is above +5.70.
        let (y, _) = treat(&[-10.0, 1.0, 2.0, 3.0, 4.0], &Treatment::WinsoriseSd { k: 1.0 }).unwrap();
        assert!((y[0] + 32.5f64.sqrt()).abs() < 1e-12);
        // Constant column and single unit: nothing clipped.
        assert_eq!(
            treat(&[2.0, 2.0], &Treatment::WinsoriseSd { k: 1.0 }).unwrap().0,
            vec![2.0, 2.0]
        );
        assert_eq!(treat(&[2.0], &Treatment::WinsoriseSd { k: 1.0 }).unwrap().0, vec![2.0]);
        assert!(treat(&x, &Treatment::WinsoriseSd { k: 0.0 }).is_err());
    }

    #[test]
    fn box_cox_values_and_domain() {
        // λ = 2: (x² − 1)/2 → 1 → 0, 2 → 1.5, 4 → 7.5.
        let (y, r) = treat(&[1.0, 2.0, NA, 4.0], &Treatment::BoxCox { lambda: 2.0 }).unwrap();
        assert!(same(&y, &[0.0, 1.5, NA, 7.5]));
        assert_eq!(r.transform, Transform::BoxCox);
        // λ = 0 is the natural log: 1, e, e² → 0, 1, 2.
        let e = std::f64::consts::E;
        let (y, _) = treat(&[1.0, e, e * e], &Treatment::BoxCox { lambda: 0.0 }).unwrap();
        assert!(same(&y, &[0.0, 1.0, 2.0]));
        // λ = 0.5: (√x − 1)/0.5 → 4 → 2.
        let (y, _) = treat(&[4.0], &Treatment::BoxCox { lambda: 0.5 }).unwrap();
        assert_eq!(y, vec![2.0]);
        // Zero and negative values: a domain error naming the units, with a hint.
        match treat(&[1.0, 0.0, -3.0, NA], &Treatment::BoxCox { lambda: 0.0 }) {
            Err(StepError::Domain {
                units, hint, method, ..
            }) => {
                assert_eq!(units, vec![1, 2]);
                assert_eq!(method, "log transform");
                assert!(hint.contains("shift"));
            }
            other => panic!("expected a domain error, got {other:?}"),
        }
        // Shifted (COINr makepos): −1, 0, 2 → x − (−1) + 1 = 1, 2, 4 → λ = 1: 0, 1, 3.
        let (y, _) = treat(&[-1.0, 0.0, 2.0], &Treatment::BoxCoxShifted { lambda: 1.0 }).unwrap();
        assert!(same(&y, &[0.0, 1.0, 3.0]));
        assert!(treat(&[1.0], &Treatment::BoxCox { lambda: f64::NAN }).is_err());
    }

    #[test]
    fn none_and_parameter_checks() {
        let (y, r) = treat(&[1.0, NA], &Treatment::None).unwrap();
        assert!(same(&y, &[1.0, NA]));
        assert_eq!((r.transform, r.nwin), (Transform::None, 0));
        assert!(
            treat(
                &[1.0],
                &Treatment::Coinr {
                    winmax: 5,
                    skew: 0.0,
                    kurt: 3.5
                }
            )
            .is_err()
        );
        assert!(
            treat(
                &[1.0],
                &Treatment::Coinr {
                    winmax: 5,
                    skew: 2.0,
                    kurt: f64::NAN
                }
            )
            .is_err()
        );
        assert_eq!(Transform::LogNegative.as_str(), "log_neg");
    }
}
