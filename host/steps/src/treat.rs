//! Outlier treatment: winsorisation and non-linear transforms, as COINr's `Treat`.
//!
//! Sources: COINr 1.1.14 (`github.com/bluefoxr/COINr`, tag `v1.1.14`), `R/treat.R`;
//! the functions are quoted in the repository's `tools/coinr/SOURCE-NOTES.md`.
//!
//! # COINr's treatment loop
//!
//! COINr's `Treat.numeric` (treat.R, lines 591–795) treats an indicator in up to
//! two steps, and [`treat_loop`] does exactly the same with a [`TreatLoop`]:
//!
//! 1. **The check** (COINr `check_SkewKurt`, lines 1213–1228): an indicator *passes*
//!    when `|skew| < skew` **or** `kurtosis < kurt` (so it is treated only when
//!    `|skew| ≥ skew` and `kurtosis ≥ kurt`), with the bias-corrected sample moments
//!    of [`stats::skew_kurt`]. A passing indicator is left alone (COINr
//!    `check_SkewKurt0`).
//! 2. **The first treatment** (COINr `f1`) runs on the values of a failing
//!    indicator, and is checked again (`check_SkewKurt1`). If it passes, its values
//!    are kept and nothing else happens.
//! 3. Otherwise **the second treatment** (COINr `f2`) runs on the *original*
//!    values, the first treatment's work being thrown away; or, with `combine`
//!    (COINr `combine_treat = TRUE`), on the first treatment's output, so the two
//!    stack. Its values are returned **whether or not they pass** the check
//!    (`check_SkewKurt2`).
//!
//! Where the check cannot decide (fewer than four values, a constant column, or a
//! treatment that makes the column constant) COINr's test returns `NA` and COINr
//! returns the indicator untreated; so does [`treat`].
//!
//! The treatments ([`LoopStep`]): winsorisation (COINr `winsorise`, lines
//! 861–927, see [`LoopStep::Winsorise`]); the logs `log_CT`, `log_CT_plus`,
//! `log_CT_orig` and `log_GII`; and Box-Cox (`boxcox`). Every logarithm is the
//! portable [`lanes::ln`] and every power [`libm::pow`] (within an ulp of R's, the
//! same bits on every platform and in a plugin).
//!
//! COINr's default (`f1 = "winsorise"` with `winmax = 5`, `f2 = "log_CT"`) is
//! [`Treatment::COINR_DEFAULT`]; [`Treatment::Coinr`] and
//! [`Treatment::CoinrSkewAware`] are the loop with winsorisation first and
//! `log_CT` or `log_CT_plus` second.

use crate::{StepError, is_missing, lanes, present, stats};

/// How to treat one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Treatment {
    /// Leave the values as they are.
    None,
    /// COINr's default rule (see the module documentation): winsorise up to
    /// `winmax` points while `|skew| ≥ skew` and `kurtosis ≥ kurt`, else fall back
    /// to `log_CT` on the original values. COINr's defaults are
    /// [`Treatment::COINR_DEFAULT`]. The same as [`Treatment::Loop`] with
    /// [`TreatLoop::coinr`].
    Coinr {
        /// Maximum number of points to winsorise.
        winmax: usize,
        /// Absolute skewness threshold.
        skew: f64,
        /// Kurtosis threshold.
        kurt: f64,
    },
    /// As [`Treatment::Coinr`], but the fallback log follows the sign of the skew
    /// (COINr's `log_CT_plus`, [`LoopStep::LogCtPlus`]): `ln(x − min + a)` when the
    /// skewness is `> 0`, `−ln(max + a − x)` otherwise, with `a = 0.01·(max − min)`.
    /// COINr's default `log_CT` ignores the sign, which makes a negatively skewed
    /// indicator *more* skewed; this variant does not.
    CoinrSkewAware {
        /// Maximum number of points to winsorise.
        winmax: usize,
        /// Absolute skewness threshold.
        skew: f64,
        /// Kurtosis threshold.
        kurt: f64,
    },
    /// COINr's treatment loop with any first and second treatment (COINr `Treat`
    /// with `f1`, `f2`, `combine_treat` and winsorisation's `force_win`): see
    /// [`TreatLoop`] and the module documentation.
    Loop(TreatLoop),
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

/// COINr's treatment loop (`Treat.numeric`, treat.R lines 591–795): check, first
/// treatment where the check fails, second treatment where the first one's output
/// still fails (see the module documentation).
///
/// COINr's `Treat(global_specs = list(f1 = …, f1_para = …, f2 = …, f2_para = …),
/// combine_treat = …)` with `f_pass = "check_SkewKurt"` and
/// `f_pass_para = list(skew_thresh = skew, kurt_thresh = kurt)`; winsorisation's own
/// `skew_thresh` and `kurt_thresh` are the same `skew` and `kurt` (as in COINr's
/// defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreatLoop {
    /// The first treatment (COINr `f1`), applied to an indicator that fails the check.
    pub first: LoopStep,
    /// The second treatment (COINr `f2`), applied where the first one's output
    /// still fails; `None`: the first one's output is returned anyway (COINr
    /// `f2 = NULL`). It cannot be [`LoopStep::Winsorise`].
    pub second: Option<LoopStep>,
    /// Apply the second treatment to the first one's output instead of the
    /// original values (COINr `combine_treat = TRUE`; default `FALSE`).
    pub combine: bool,
    /// Absolute skewness threshold of the check (COINr `skew_thresh`, default 2).
    pub skew: f64,
    /// Kurtosis threshold of the check (COINr `kurt_thresh`, default 3.5).
    pub kurt: f64,
}

impl TreatLoop {
    /// COINr's default loop with its thresholds: winsorise up to `winmax` points,
    /// then `log_CT` on the original values ([`Treatment::Coinr`]).
    pub fn coinr(winmax: usize, skew: f64, kurt: f64) -> TreatLoop {
        TreatLoop {
            first: LoopStep::Winsorise { winmax, force: false },
            second: Some(LoopStep::LogCt),
            combine: false,
            skew,
            kurt,
        }
    }
}

/// One treatment inside COINr's loop (a COINr `f1` or `f2`). `min` and `max` are
/// those of the present values the treatment is given; missing values stay missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoopStep {
    /// COINr's `winsorise(winmax, force_win)` (treat.R, lines 861–927), one step at
    /// a time: if the current skewness is `≥ 0`, every point equal to the current
    /// maximum is set to the largest *other* value; if negative, every point equal
    /// to the minimum is set to the smallest other value. After each step the check
    /// is repeated; the loop stops when it passes (unless `force`) or when
    /// `nwin ≥ winmax`, where `nwin` is the size of the latest group of tied maxima
    /// plus that of the latest group of tied minima (COINr's count: since
    /// winsorised points join the next maximum's tie group, this counts the points
    /// winsorised so far, and a step can overshoot `winmax` on ties). `winmax = 0`:
    /// no step at all. Only as the first treatment.
    Winsorise {
        /// Most points winsorised (COINr `winmax`, default 5).
        winmax: usize,
        /// Keep winsorising up to `winmax` points even once the check passes
        /// (COINr `force_win`). In the loop, winsorisation only runs where the
        /// initial check fails, so an indicator that passes is still left alone.
        force: bool,
    },
    /// COINr's `log_CT` (treat.R, lines 987–995), its default second treatment:
    /// `ln(x − min + 0.01·(max − min))`, whatever the skew's sign.
    LogCt,
    /// COINr's `log_CT_plus` (treat.R, lines 1019–1037): with
    /// `a = 0.01·(max − min)`, `ln(x − min + a)` when the skewness of the values it
    /// is given is `> 0`, else `−ln(max + a − x)` (labelled `log_CT_neg`).
    LogCtPlus,
    /// COINr's `log_CT_orig` (treat.R, lines 1055–1063): `ln(x − min + 1)`. Scale
    /// dependent: for an indicator whose range is much smaller than 1 the `+1`
    /// makes it almost linear.
    LogCtOrig,
    /// The GII's log, as COINr's `log_GII` (treat.R, lines 950–967) computes it:
    /// `ln((max − 1)·(x − min)/(max − min) + 1)`, mapping `[min, max]` onto
    /// `[0, ln max]`.
    ///
    /// **COINr 1.1.14 differs here, on purpose:** its `log_GII` computes this but
    /// returns the values *untreated* (a bug), so in COINr an indicator that
    /// reaches `f2 = "log_GII"` keeps its original values (with
    /// `combine_treat = FALSE`), its `check_SkewKurt2` being that of the original
    /// values. This applies the formula as intended.
    ///
    /// The formula assumes `max > 1` (the GII's scales): with `max < 1`, `max − 1`
    /// is negative and the transform **reverses the indicator's order**
    /// ([`TreatReport::reversed`]); `max = 1` makes it constant (the check cannot
    /// decide: left untreated); with `max ≤ 0` it is undefined (a
    /// [`StepError::Domain`]).
    LogGii,
    /// COINr's `boxcox(lambda, makepos)` (treat.R, lines 1089–1105): with `shift`
    /// (COINr `makepos = TRUE`) the values are first shifted to `x − min + 1`, so
    /// the minimum becomes 1; then `(x^λ − 1)/λ`, or `ln x` when `λ = 0` (so
    /// `λ = 0` with `shift` is `log_CT_orig`). Without `shift` every present value
    /// must be `> 0` (else a [`StepError::Domain`]; COINr would take the logarithm
    /// or power of negative numbers and carry on with `NaN`s). `λ > 1` increases
    /// right skew. COINr's `boxcox` returns a bare vector, so COINr records no
    /// per-point labels for it.
    BoxCox {
        /// The exponent λ (finite).
        lambda: f64,
        /// Shift to `x − min + 1` first (COINr `makepos`).
        shift: bool,
    },
}

/// What was finally applied to the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// Nothing: the values are returned unchanged.
    None,
    /// Some points were winsorised (or clipped); the others are unchanged.
    Winsorised,
    /// `ln(x − min + 0.01·(max − min))` (COINr `log_CT`, or `log_CT_plus` for
    /// positive skew).
    Log,
    /// `−ln(max + 0.01·(max − min) − x)`, for negative skew (COINr `log_CT_plus`'s
    /// `log_CT_neg`).
    LogNegative,
    /// `ln(x − min + 1)` (COINr `log_CT_orig`).
    LogOrig,
    /// `ln((max − 1)·(x − min)/(max − min) + 1)` (the formula of COINr's
    /// `log_GII`, applied: see [`LoopStep::LogGii`]).
    LogGii,
    /// A Box-Cox transform (shifted or not).
    BoxCox,
}

impl Transform {
    /// Short name for reports: `"none"`, `"winsorised"`, `"log"`, `"log_neg"`,
    /// `"log_orig"`, `"log_gii"`, `"box_cox"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::None => "none",
            Transform::Winsorised => "winsorised",
            Transform::Log => "log",
            Transform::LogNegative => "log_neg",
            Transform::LogOrig => "log_orig",
            Transform::LogGii => "log_gii",
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
    /// Its winsorised value (when a second treatment was applied on top, the value
    /// it was given, before that treatment).
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

/// What [`treat`] did to one indicator: COINr's `Dets_Table` row.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatReport {
    /// What the returned values are (for a combined treatment, the second one; see
    /// `combined`).
    pub transform: Transform,
    /// When the returned values are `transform` applied to the first treatment's
    /// output (COINr `combine_treat = TRUE`), what that first treatment did.
    pub combined: Option<Transform>,
    /// The input (COINr `check_SkewKurt0`).
    pub before: ShapeCheck,
    /// After the first treatment of COINr's loop, when it ran (COINr
    /// `check_SkewKurt1`), even if its result was then discarded for the second
    /// treatment.
    pub after_first: Option<ShapeCheck>,
    /// The returned values (when the second treatment ran, COINr `check_SkewKurt2`).
    pub after: ShapeCheck,
    /// Points winsorised by the winsorisation stage, counted as COINr does
    /// (`winsorise.nwin`), also when it was then discarded for the second
    /// treatment; for [`Treatment::WinsoriseSd`], the number of clipped points.
    pub nwin: usize,
    /// The points winsorised in the returned values, by unit (empty unless
    /// `transform` is [`Transform::Winsorised`] or `combined` is).
    pub winsorised: Vec<WinsorisedPoint>,
    /// The returned values run in the opposite order of the input: only the
    /// formula of COINr's `log_GII` does that, on an indicator whose maximum is
    /// below 1 (see [`LoopStep::LogGii`]).
    pub reversed: bool,
}

impl TreatReport {
    /// The name of what was applied, for reports: [`Transform::as_str`], or for a
    /// combined treatment both joined by `+` (e.g. `"box_cox+log"`, as COINr joins
    /// the labels of its treated points).
    pub fn label(&self) -> String {
        match self.combined {
            Some(first) => format!("{}+{}", first.as_str(), self.transform.as_str()),
            None => self.transform.as_str().to_string(),
        }
    }
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

fn untreated(x: &[f64], before: ShapeCheck, after_first: Option<ShapeCheck>, nwin: usize) -> (Vec<f64>, TreatReport) {
    let report = TreatReport {
        transform: Transform::None,
        combined: None,
        before,
        after_first,
        after: before,
        nwin,
        winsorised: Vec::new(),
        reversed: false,
    };
    (x.to_vec(), report)
}

/// Treats one indicator for outliers with `t`, returning the treated values (missing
/// values stay missing, in place) and a report of what was done.
///
/// See the module documentation for COINr's rule. Errors: parameters out of range
/// ([`StepError::InvalidParameter`]) and values outside a transform's domain
/// ([`StepError::Domain`], listing the units): for [`Treatment::BoxCox`] and an
/// unshifted [`LoopStep::BoxCox`], present values `≤ 0`; for [`LoopStep::LogGii`],
/// a maximum `≤ 0`.
pub fn treat(x: &[f64], t: &Treatment) -> Result<(Vec<f64>, TreatReport), StepError> {
    match *t {
        Treatment::None => {
            let before = shape(x);
            Ok(untreated(x, before, None, 0))
        }
        Treatment::Coinr { winmax, skew, kurt } => treat_loop(x, &TreatLoop::coinr(winmax, skew, kurt)),
        Treatment::CoinrSkewAware { winmax, skew, kurt } => treat_loop(
            x,
            &TreatLoop {
                second: Some(LoopStep::LogCtPlus),
                ..TreatLoop::coinr(winmax, skew, kurt)
            },
        ),
        Treatment::Loop(l) => treat_loop(x, &l),
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

fn check_lambda(lambda: f64) -> Result<(), StepError> {
    if lambda.is_finite() {
        Ok(())
    } else {
        Err(StepError::InvalidParameter {
            name: "lambda".into(),
            expected: format!("a finite exponent, got {lambda}"),
        })
    }
}

/// Largest and smallest present values.
fn extremes(x: &[f64]) -> (f64, f64) {
    // Comparisons rather than `f64::max`/`min`, which a plugin would call as functions.
    present(x).fold((f64::NEG_INFINITY, f64::INFINITY), |(hi, lo), v| {
        (if v > hi { v } else { hi }, if v < lo { v } else { lo })
    })
}

/// What one treatment of the loop gave.
struct Stepped {
    /// The treated values.
    y: Vec<f64>,
    /// The check of `y`.
    check: ShapeCheck,
    /// What the values are.
    transform: Transform,
    /// COINr's `winsorise.nwin` (0 for a transform).
    nwin: usize,
    /// The winsorised points.
    points: Vec<WinsorisedPoint>,
    /// Whether `y` runs against the input's order.
    reversed: bool,
}

/// COINr's treatment loop (`Treat.numeric`): see the module documentation.
///
/// Errors as [`treat`]'s; a [`LoopStep::Winsorise`] as the second treatment is an
/// [`StepError::InvalidParameter`].
pub fn treat_loop(x: &[f64], l: &TreatLoop) -> Result<(Vec<f64>, TreatReport), StepError> {
    check_thresholds(l.skew, l.kurt)?;
    for s in std::iter::once(&l.first).chain(&l.second) {
        if let LoopStep::BoxCox { lambda, .. } = *s {
            check_lambda(lambda)?;
        }
    }
    if let Some(LoopStep::Winsorise { .. }) = l.second {
        return Err(StepError::InvalidParameter {
            name: "second".into(),
            expected: "a transform: winsorisation can only be the first treatment".into(),
        });
    }
    let before = check(x, l.skew, l.kurt);
    if before.pass != Some(false) {
        return Ok(untreated(x, before, None, 0));
    }
    // First treatment (COINr f1), on the original values.
    let Some(first) = step(x, before, &l.first, l)? else {
        return Ok(untreated(x, before, None, 0));
    };
    let after_first = first.check;
    let kept = |s: Stepped| -> (Vec<f64>, TreatReport) {
        let report = TreatReport {
            transform: s.transform,
            combined: None,
            before,
            after_first: Some(after_first),
            after: after_first,
            nwin: s.nwin,
            winsorised: s.points,
            reversed: s.reversed,
        };
        (s.y, report)
    };
    let second = match (after_first.pass, &l.second) {
        (None, _) => return Ok(untreated(x, before, Some(after_first), first.nwin)),
        (Some(true), _) | (Some(false), None) => return Ok(kept(first)),
        (Some(false), Some(second)) => second,
    };
    // Second treatment (COINr f2): on the original values, or with COINr's
    // combine_treat on the first one's output.
    let out = if l.combine {
        step(&first.y, after_first, second, l)?
    } else {
        step(x, before, second, l)?
    };
    let Some(out) = out.filter(|o| o.check.pass.is_some()) else {
        return Ok(untreated(x, before, Some(after_first), first.nwin));
    };
    let combined = (l.combine && first.transform != Transform::None).then_some(first.transform);
    let report = TreatReport {
        transform: out.transform,
        combined,
        before,
        after_first: Some(after_first),
        after: out.check,
        nwin: first.nwin,
        winsorised: if combined.is_some() { first.points } else { Vec::new() },
        reversed: out.reversed,
    };
    Ok((out.y, report))
}

/// One treatment of the loop on `x` (whose check is `start`): `None` where COINr
/// gives up on the indicator (and returns it untreated).
fn step(x: &[f64], start: ShapeCheck, s: &LoopStep, l: &TreatLoop) -> Result<Option<Stepped>, StepError> {
    let (y, transform, reversed) = match *s {
        LoopStep::Winsorise { winmax, force } => return Ok(winsorise(x, start, winmax, force, l.skew, l.kurt)),
        LoopStep::LogCt => (log_ct(x, false), Transform::Log, false),
        LoopStep::LogCtPlus => {
            // COINr's `skew(x) > 0`: the skewness of the values it is given.
            let negative = start.skew <= 0.0;
            let t = if negative {
                Transform::LogNegative
            } else {
                Transform::Log
            };
            (log_ct(x, negative), t, false)
        }
        LoopStep::LogCtOrig => {
            let (_, lo) = extremes(x);
            (ln_of(x, |v| v - lo + 1.0), Transform::LogOrig, false)
        }
        LoopStep::LogGii => {
            let (hi, lo) = extremes(x);
            if hi <= 0.0 {
                let units: Vec<usize> = (0..x.len())
                    .filter(|&u| !is_missing(x[u]) && gii_argument(x[u], hi, lo) <= 0.0)
                    .collect();
                return Err(StepError::Domain {
                    method: "the GII log (log-gii)".into(),
                    units,
                    needs: "a largest value > 0 (its formula takes the logarithm of values down to it)".into(),
                    hint: "use another log (log-ct, log-ct-orig) or shift the indicator first".into(),
                });
            }
            (ln_of(x, |v| gii_argument(v, hi, lo)), Transform::LogGii, hi < 1.0)
        }
        LoopStep::BoxCox { lambda, shift } => (box_cox_values(x, lambda, shift)?, Transform::BoxCox, false),
    };
    let check = check(&y, l.skew, l.kurt);
    Ok(Some(Stepped {
        y,
        check,
        transform,
        nwin: 0,
        points: Vec::new(),
        reversed,
    }))
}

/// The argument of the GII's log, in COINr's order of operations:
/// `(mx − 1)·(x − mn)/(mx − mn) + 1`.
fn gii_argument(v: f64, hi: f64, lo: f64) -> f64 {
    (hi - 1.0) * (v - lo) / (hi - lo) + 1.0
}

/// `ln(arg(v))` of every present value (the portable `ln`, two at a time: the same
/// bits natively and in a plugin); a missing value stays missing.
fn ln_of(x: &[f64], arg: impl Fn(f64) -> f64) -> Vec<f64> {
    let mut z: Vec<f64> = x.iter().map(|&v| if is_missing(v) { v } else { arg(v) }).collect();
    lanes::ln_in_place(&mut z);
    z
}

/// COINr's `log_CT` (`negative = false`), or `log_CT_plus`'s mirror image
/// `−ln(max + a − x)` (`negative = true`), with `a = 0.01·(max − min)`.
fn log_ct(x: &[f64], negative: bool) -> Vec<f64> {
    let (hi, lo) = extremes(x);
    let a = 0.01 * (hi - lo);
    let mut z = if negative {
        ln_of(x, |v| hi + a - v)
    } else {
        ln_of(x, |v| v - lo + a)
    };
    if negative {
        // (Negation is a sign flip, not arithmetic: exact, and free in the sandbox.)
        z.iter_mut().filter(|v| !v.is_nan()).for_each(|v| *v = -*v);
    }
    z
}

/// COINr's `winsorise()` (treat.R, lines 861–927) on `x`, whose check is `start`
/// (failing): `None` where COINr gives up (every present value tied, or, with
/// `force`, a column made constant).
fn winsorise(x: &[f64], start: ShapeCheck, winmax: usize, force: bool, skew_t: f64, kurt_t: f64) -> Option<Stepped> {
    let mut y = x.to_vec();
    let mut imax: Vec<usize> = Vec::new();
    let mut imin: Vec<usize> = Vec::new();
    let mut nwin = 0usize;
    let mut current = start;
    while (current.pass == Some(false) || force) && nwin < winmax {
        // Forced on past a column made constant (no pass or fail): COINr's
        // `skew(x) >= 0` is NA and the column is returned untreated.
        current.pass?;
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
            return None;
        }
        for &u in group.iter() {
            y[u] = replacement;
        }
        nwin = imax.len() + imin.len();
        current = check(&y, skew_t, kurt_t);
    }
    let mut points: Vec<WinsorisedPoint> = imax
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
    points.sort_by_key(|p| p.unit);
    Some(Stepped {
        y,
        check: current,
        transform: if nwin > 0 {
            Transform::Winsorised
        } else {
            Transform::None
        },
        nwin,
        points,
        reversed: false,
    })
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
        combined: None,
        before,
        after_first: None,
        after: shape(&y),
        nwin: winsorised.len(),
        winsorised,
        reversed: false,
    };
    (y, report)
}

/// Box-Cox, optionally after COINr's shift `x − min + 1`.
fn box_cox(x: &[f64], lambda: f64, shifted: bool) -> Result<(Vec<f64>, TreatReport), StepError> {
    check_lambda(lambda)?;
    let y = box_cox_values(x, lambda, shifted)?;
    let report = TreatReport {
        transform: Transform::BoxCox,
        combined: None,
        before: shape(x),
        after_first: None,
        after: shape(&y),
        nwin: 0,
        winsorised: Vec::new(),
        reversed: false,
    };
    Ok((y, report))
}

/// The values of COINr's `boxcox(x, lambda, makepos = shifted)` (λ checked by the
/// caller); without the shift, values `≤ 0` are a domain error.
fn box_cox_values(x: &[f64], lambda: f64, shifted: bool) -> Result<Vec<f64>, StepError> {
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
    Ok(x.iter()
        .map(|&v| {
            if is_missing(v) {
                v
            } else if lambda == 0.0 {
                lanes::ln(shift(v))
            } else {
                (libm::pow(shift(v), lambda) - 1.0) / lambda
            }
        })
        .collect())
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
        assert_eq!(r.after_first, None);
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
        let after = r.after_first.unwrap();
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
        assert_eq!(r.after_first.unwrap().pass, Some(false));
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

    /// COINr's loop with `first` and `second`, thresholds 2 and 3.5.
    fn coinr_loop(first: LoopStep, second: LoopStep, combine: bool) -> Treatment {
        Treatment::Loop(TreatLoop {
            first,
            second: Some(second),
            combine,
            skew: 2.0,
            kurt: 3.5,
        })
    }

    /// Nine copies of `a` and one `b`: a two-point shape with p = 1/10, which fails
    /// (skewness √10, kurtosis 10, see `falls_back_to_log_of_the_original_values`)
    /// whatever monotone transform is applied to it.
    fn nine_and_one(a: f64, b: f64) -> Vec<f64> {
        let mut x = vec![a; 9];
        x.push(b);
        x
    }

    #[test]
    fn log_ct_orig_and_the_gii_log() {
        // Nine zeros and 10, no winsorisation: log_CT_orig is ln(x − 0 + 1): 0 and
        // ln 11 (log_CT would give ln(x + 0.1)).
        let t = coinr_loop(
            LoopStep::Winsorise {
                winmax: 0,
                force: false,
            },
            LoopStep::LogCtOrig,
            false,
        );
        let (y, r) = treat(&nine_and_one(0.0, 10.0), &t).unwrap();
        assert!(same(&y, &nine_and_one(0.0, 11f64.ln())));
        assert_eq!(
            (r.transform, r.label().as_str(), r.nwin),
            (Transform::LogOrig, "log_orig", 0)
        );
        assert_eq!(r.after_first.unwrap().pass, Some(false));
        // The GII log: min 1, max 10 → (10 − 1)(x − 1)/(10 − 1) + 1 = x → ln x.
        let t = coinr_loop(
            LoopStep::Winsorise {
                winmax: 0,
                force: false,
            },
            LoopStep::LogGii,
            false,
        );
        let (y, r) = treat(&nine_and_one(1.0, 10.0), &t).unwrap();
        assert!(same(&y, &nine_and_one(0.0, 10f64.ln())));
        assert_eq!((r.transform, r.reversed), (Transform::LogGii, false));
        // Max 0.5 < 1: (0.5 − 1)(x − 0)/0.5 + 1 = 1 − x → 0.5 goes to ln 0.5 < 0: the
        // order is reversed, and the report says so.
        let (y, r) = treat(&nine_and_one(0.0, 0.5), &t).unwrap();
        assert!(same(&y, &nine_and_one(0.0, 0.5f64.ln())));
        assert!(r.reversed);
        // Max −1 ≤ 0: (−2)(x + 2)/1 + 1 is −1 at the maximum (unit 9): undefined.
        match treat(&nine_and_one(-2.0, -1.0), &t) {
            Err(StepError::Domain { units, .. }) => assert_eq!(units, vec![9]),
            other => panic!("expected a domain error, got {other:?}"),
        }
    }

    #[test]
    fn box_cox_first_is_kept_where_it_passes() {
        // 1..10 and 100 fail (skewness 3.26, kurtosis 10.7). Box-Cox λ = 0 after the
        // shift x − 1 + 1 is ln x, whose skewness 1.16 is below 2: it passes and is
        // kept; the second treatment does not run.
        let mut x: Vec<f64> = (1..=10).map(f64::from).collect();
        x.push(100.0);
        let t = coinr_loop(
            LoopStep::BoxCox {
                lambda: 0.0,
                shift: true,
            },
            LoopStep::LogCt,
            false,
        );
        let (y, r) = treat(&x, &t).unwrap();
        let ln: Vec<f64> = x.iter().map(|v| v.ln()).collect();
        assert!(same(&y, &ln));
        assert_eq!(r.before.pass, Some(false));
        assert_eq!((r.transform, r.nwin, r.combined), (Transform::BoxCox, 0, None));
        let after = r.after_first.unwrap();
        assert_eq!(after.pass, Some(true));
        assert!((after.skew - stats::skewness(&ln)).abs() < 1e-12);
        assert_eq!(r.after, after);
    }

    #[test]
    fn the_second_treatment_takes_the_original_values_or_with_combine_the_first_ones() {
        // Nine 5s and a 15. Box-Cox λ = 2 after the shift (x − 5 + 1): 1 → 0,
        // 11 → (121 − 1)/2 = 60: the same two-point shape, still failing.
        let x = nine_and_one(5.0, 15.0);
        let first = LoopStep::BoxCox {
            lambda: 2.0,
            shift: true,
        };
        // log_CT_orig of the original values: ln(x − 5 + 1) → 0 and ln 11.
        let (y, r) = treat(&x, &coinr_loop(first, LoopStep::LogCtOrig, false)).unwrap();
        assert!(same(&y, &nine_and_one(0.0, 11f64.ln())));
        assert_eq!((r.transform, r.combined), (Transform::LogOrig, None));
        assert_eq!(r.after_first.unwrap().pass, Some(false));
        // Combined (COINr combine_treat): of Box-Cox's output, ln(x1 + 1) → 0 and ln 61.
        let (y, r) = treat(&x, &coinr_loop(first, LoopStep::LogCtOrig, true)).unwrap();
        assert!(same(&y, &nine_and_one(0.0, 61f64.ln())));
        assert_eq!((r.transform, r.combined), (Transform::LogOrig, Some(Transform::BoxCox)));
        assert_eq!(r.label(), "box_cox+log_orig");
        // Box-Cox second, after a winsorisation that cannot help: winsorising the 15
        // makes the column constant, COINr's check cannot decide → untreated. With
        // winmax 0 instead: Box-Cox λ = 0.5 of (x − 5 + 1): (√1 − 1)/0.5 = 0 and
        // (√11 − 1)/0.5.
        let t = coinr_loop(
            LoopStep::Winsorise {
                winmax: 0,
                force: false,
            },
            LoopStep::BoxCox {
                lambda: 0.5,
                shift: true,
            },
            false,
        );
        let (y, r) = treat(&x, &t).unwrap();
        assert!(same(&y, &nine_and_one(0.0, (11f64.sqrt() - 1.0) / 0.5)));
        assert_eq!(r.transform, Transform::BoxCox);
        let (y, r) = treat(&x, &Treatment::COINR_DEFAULT).unwrap();
        assert_eq!((y, r.transform), (x, Transform::None));
    }

    #[test]
    fn forced_winsorisation_goes_on_to_winmax() {
        // 1..10 and 1000 pass after one point (1000 → 10). Forced with winmax 2, a
        // second step: the skewness of 1..10, 10 is negative, so the minimum 1 goes
        // to 2; nwin = 1 (latest high group) + 1 (latest low group) = 2.
        let mut x: Vec<f64> = (1..=10).map(f64::from).collect();
        x.push(1000.0);
        let forced = coinr_loop(LoopStep::Winsorise { winmax: 2, force: true }, LoopStep::LogCt, false);
        let (y, r) = treat(&x, &forced).unwrap();
        let mut expected = vec![2.0];
        expected.extend((2..=10).map(f64::from));
        expected.push(10.0);
        assert_eq!(y, expected);
        assert_eq!((r.transform, r.nwin), (Transform::Winsorised, 2));
        assert_eq!(
            r.winsorised,
            vec![
                WinsorisedPoint {
                    unit: 0,
                    side: Side::Low,
                    from: 1.0,
                    to: 2.0
                },
                WinsorisedPoint {
                    unit: 10,
                    side: Side::High,
                    from: 1000.0,
                    to: 10.0
                }
            ]
        );
        // Not forced: one point.
        let plain = coinr_loop(
            LoopStep::Winsorise {
                winmax: 2,
                force: false,
            },
            LoopStep::LogCt,
            false,
        );
        assert_eq!(treat(&x, &plain).unwrap().1.nwin, 1);
        // An indicator that passes the initial check is left alone, forced or not.
        let passing: Vec<f64> = (1..=10).map(f64::from).collect();
        let (y, r) = treat(&passing, &forced).unwrap();
        assert_eq!((y, r.transform, r.nwin), (passing, Transform::None, 0));
    }

    #[test]
    fn loop_parameter_checks() {
        let x = [1.0, 2.0];
        let winsorise = LoopStep::Winsorise {
            winmax: 5,
            force: false,
        };
        assert!(treat(&x, &coinr_loop(winsorise, winsorise, false)).is_err());
        let bad = LoopStep::BoxCox {
            lambda: f64::INFINITY,
            shift: true,
        };
        assert!(treat(&x, &coinr_loop(bad, LoopStep::LogCt, false)).is_err());
        assert!(treat(&x, &coinr_loop(winsorise, bad, false)).is_err());
        // (That the default loop is COINr's default treatment is checked against
        // COINr's own output: host/steps/tests/ and tests/asem_conformance.rs.)
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
