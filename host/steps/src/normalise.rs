//! Normalisation: bring indicators of different units onto a common scale.
//!
//! Every normaliser takes the direction of the indicator and handles it itself,
//! so that a lower-is-better indicator gets the best score for its lowest value.
//!
//! # Direction
//!
//! COINr (`Normalise.numeric`) handles a lower-is-better indicator by multiplying
//! the column by −1 *before* calling the normalisation function. For the
//! difference-based methods (min-max, z-score, rank, percentile rank, Borda,
//! distance to maximum / reference / target, goalposts) this module reproduces
//! exactly what that gives — the formulas are written out per method below, and
//! they are algebraically (in fact bit-for-bit) the same as negating first.
//!
//! For the *ratio* methods (fraction of maximum, relative to best, target bands)
//! negating first is meaningless: COINr's `n_fracmax` on `−x` returns
//! `(−x)/max(−x) = x/min(x)`, which for positive data is ≥ 1 and *increases* with
//! `x`, i.e. it ranks a lower-is-better indicator backwards. Here a lower-is-better
//! indicator is scored by the ratio *best/x* instead (`min/x`, resp. `target/x`), so
//! the best unit still gets 1 (or 100, or the top band). These methods need
//! non-negative data (strictly positive where `x` is a denominator) and return
//! [`StepError::Domain`] otherwise.
//!
//! # Degenerate columns
//!
//! A constant column (or a single unit) carries no information. Min-max, distance
//! to maximum and the AMPI rescaling give every present unit the midpoint of their
//! range; the z-score gives the target mean; the percentile rank gives a single unit
//! 0.5. (COINr returns `NaN` with a warning in these cases.) Ranks of a constant
//! column are all tied, exactly as in COINr. Missing values (`NaN`) always stay
//! missing.

use crate::{Direction, StepError, is_missing, present, rank, stats};

/// A normalisation method with its parameters, so the host can select one by name.
///
/// See [`normalise`] for the formula of each variant and its handling of direction.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Normaliser {
    /// Min-max onto `[lo, hi]` (COINr `n_minmax`, `l_u = c(lo, hi)`).
    MinMax {
        /// Value given to the worst unit.
        lo: f64,
        /// Value given to the best unit.
        hi: f64,
    },
    /// Z-score rescaled to the given mean and standard deviation (COINr `n_zscore`,
    /// `m_sd = c(mean, sd)`); the column's sd is the sample sd (n − 1).
    ZScore {
        /// Target mean.
        mean: f64,
        /// Target standard deviation (> 0).
        sd: f64,
    },
    /// Ascending rank, ties get the lowest rank ("min"): the worst unit gets 1
    /// (COINr `n_rank`).
    Rank,
    /// Percentile rank `(rank − 1)/(n − 1)` in `[0, 1]` with "min" ties (COINr `n_prank`).
    PercentileRank,
    /// Borda score `rank − 1` with "min" ties (COINr `n_borda`).
    Borda,
    /// Goalposts: the fraction of the way from the worst goalpost to the best one,
    /// optionally truncated to `[0, 1]`, times `scale` (COINr `n_goalposts`).
    Goalposts {
        /// Lower goalpost, in raw units (the worst value for a higher-is-better indicator).
        lo: f64,
        /// Upper goalpost, in raw units (`lo < hi`).
        hi: f64,
        /// Multiplier of the final score (e.g. 1 or 100).
        scale: f64,
        /// Truncate values beyond the goalposts to 0 / 1 (COINr's `trunc2posts`, default true).
        truncate: bool,
    },
    /// Distance to the maximum, `1 − (max − x)/(max − min)` (COINr `n_dist2max`).
    DistanceToMax,
    /// Distance to the value of a reference unit (COINr `n_dist2ref`).
    DistanceToReference {
        /// Index of the reference unit in the column.
        unit: usize,
        /// Cap scores above 1 (units better than the reference) at 1.
        cap: bool,
    },
    /// Distance to a target value (COINr `n_dist2targ`).
    DistanceToTarget {
        /// Target, in raw units.
        target: f64,
        /// Cap scores above 1 (units beyond the target) at 1.
        cap: bool,
    },
    /// Fraction of the best value: `x/max` (COINr `n_fracmax`), or `min/x` for a
    /// lower-is-better indicator (see the module docs).
    FractionOfMax,
    /// As [`Normaliser::FractionOfMax`] times 100: the best unit scores 100.
    RelativeToBest,
    /// Ordinal ladder points (see [`ladder`]); the rungs carry the direction.
    Ladder {
        /// The rungs.
        levels: Vec<Level>,
        /// Points for a value on no rung.
        floor: f64,
    },
    /// Distance-to-target bands (ITU U4SSC style): the percentage of the target
    /// achieved, `100·x/target` (or `100·target/x` for a lower-is-better indicator),
    /// earns `points[k]` for the band `bounds[k−1] ≤ % < bounds[k]`.
    TargetBands {
        /// Target, in raw units (> 0).
        target: f64,
        /// Increasing band limits in percent of the target, e.g. `[33, 66, 95]`.
        bounds: Vec<f64>,
        /// Points per band, one more than `bounds`, e.g. `[1, 2, 3, 4]`.
        points: Vec<f64>,
    },
    /// The rescaling of the adjusted Mazziotta–Pareto index (AMPI, Compind
    /// `ci_ampi`): goalposts `reference ± Δ` with `Δ = (max − min)/2`, mapped onto
    /// `[70, 130]` so that the reference value scores 100. Aggregate the result with
    /// [`crate::aggregate::Method::MazziottaPareto`]. For panel data normalise the
    /// stacked column (see [`crate::panel`]) so that `Δ` spans all years, as Compind does.
    AmpiGoalposts {
        /// Reference value (e.g. the mean of a base year), in raw units.
        reference: f64,
    },
    /// No normalisation. As in COINr, a lower-is-better indicator is negated so that
    /// higher is better downstream.
    None,
}

impl Normaliser {
    /// The ITU U4SSC bands for a target: under 33% of the target → 1 point,
    /// 33–66% → 2, 66–95% → 3, 95% or more → 4.
    pub fn u4ssc_bands(target: f64) -> Normaliser {
        Normaliser::TargetBands {
            target,
            bounds: vec![33.0, 66.0, 95.0],
            points: vec![1.0, 2.0, 3.0, 4.0],
        }
    }

    /// A short name of the method, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Normaliser::MinMax { .. } => "min-max",
            Normaliser::ZScore { .. } => "z-score",
            Normaliser::Rank => "rank",
            Normaliser::PercentileRank => "percentile rank",
            Normaliser::Borda => "Borda score",
            Normaliser::Goalposts { .. } => "goalposts",
            Normaliser::DistanceToMax => "distance to maximum",
            Normaliser::DistanceToReference { .. } => "distance to reference unit",
            Normaliser::DistanceToTarget { .. } => "distance to target",
            Normaliser::FractionOfMax => "fraction of maximum",
            Normaliser::RelativeToBest => "relative to best",
            Normaliser::Ladder { .. } => "ladder",
            Normaliser::TargetBands { .. } => "distance-to-target bands",
            Normaliser::AmpiGoalposts { .. } => "AMPI goalposts",
            Normaliser::None => "none",
        }
    }
}

/// Normalises one column with the method `n`, taking `direction` into account.
///
/// Formulas, for a higher-is-better (HIB) / lower-is-better (LIB) indicator, with
/// `min`, `max` over the present values:
///
/// | method | HIB | LIB |
/// |---|---|---|
/// | `MinMax` | `lo + (x − min)/(max − min)·(hi − lo)` | `lo + (max − x)/(max − min)·(hi − lo)` |
/// | `ZScore` | `(x − x̄)/s·sd + mean` | `(x̄ − x)/s·sd + mean` |
/// | `Rank`, `Borda`, `PercentileRank` | ranks of `x` | ranks of `−x` |
/// | `Goalposts` | `(x − lo)/(hi − lo)` | `(hi − x)/(hi − lo)` |
/// | `DistanceToMax` | `1 − (max − x)/(max − min)` | `1 − (x − min)/(max − min)` |
/// | `DistanceToReference` | `1 − (x_ref − x)/(x_ref − min)` | `1 − (x − x_ref)/(max − x_ref)` |
/// | `DistanceToTarget` | `(x − min)/(target − min)` | `(max − x)/(max − target)` |
/// | `FractionOfMax` | `x/max` | `min/x` |
/// | `RelativeToBest` | `100·x/max` | `100·min/x` |
/// | `TargetBands` | band of `100·x/target` | band of `100·target/x` |
/// | `AmpiGoalposts` | `70 + 60·(x − (r − Δ))/(2Δ)` | `70 + 60·((r + Δ) − x)/(2Δ)` |
/// | `None` | `x` | `−x` |
///
/// All but the ratio rows equal COINr's "multiply by −1, then normalise". Goalposts
/// are then truncated to `[0, 1]` (if asked) and multiplied by `scale`; distances to
/// a reference or target are capped at 1 if asked.
pub fn normalise(x: &[f64], direction: Direction, n: &Normaliser) -> Result<Vec<f64>, StepError> {
    let mut out = Vec::with_capacity(x.len());
    normalise_into(x, direction, n, &mut out)?;
    Ok(out)
}

/// As [`normalise`], writing into `out` (cleared first) so that repeated builds can
/// reuse one buffer.
pub fn normalise_into(x: &[f64], direction: Direction, n: &Normaliser, out: &mut Vec<f64>) -> Result<(), StepError> {
    out.clear();
    let hib = direction == Direction::HigherIsBetter;
    match n {
        Normaliser::MinMax { lo, hi } => min_max_into(x, direction, *lo, *hi, out),
        Normaliser::ZScore { mean, sd } => {
            if !(mean.is_finite() && sd.is_finite() && *sd > 0.0) {
                return Err(invalid(
                    "z-score",
                    format!("finite mean and sd > 0, got ({mean}, {sd})"),
                ));
            }
            let m = stats::mean(x);
            let s = stats::sd(x);
            let degenerate = !(s.is_finite() && s > 0.0);
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    v
                } else if degenerate {
                    *mean
                } else if hib {
                    (v - m) / s * sd + mean
                } else {
                    (m - v) / s * sd + mean
                }
            }));
            Ok(())
        }
        Normaliser::Rank | Normaliser::Borda | Normaliser::PercentileRank => {
            out.resize(x.len(), f64::NAN);
            let mut scratch = Vec::with_capacity(x.len());
            let sign = direction.sign();
            let count = rank::ascending_min_ranks_into(|u| sign * x[u], x.len(), &mut scratch, out);
            match n {
                Normaliser::Borda => out.iter_mut().for_each(|r| *r -= 1.0),
                Normaliser::PercentileRank => {
                    let denom = count as f64 - 1.0;
                    out.iter_mut().for_each(|r| {
                        if !is_missing(*r) {
                            *r = if count == 1 { 0.5 } else { (*r - 1.0) / denom };
                        }
                    });
                }
                _ => {}
            }
            Ok(())
        }
        Normaliser::Goalposts {
            lo,
            hi,
            scale,
            truncate,
        } => {
            let ok = lo.is_finite() && hi.is_finite() && lo < hi && scale.is_finite() && *scale > 0.0;
            if !ok {
                return Err(invalid(
                    "goalposts",
                    format!("finite goalposts lo < hi and scale > 0, got ({lo}, {hi}, {scale})"),
                ));
            }
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    return v;
                }
                let mut y = if hib {
                    (v - lo) / (hi - lo)
                } else {
                    (hi - v) / (hi - lo)
                };
                if *truncate {
                    y = y.clamp(0.0, 1.0);
                }
                y * scale
            }));
            Ok(())
        }
        Normaliser::DistanceToMax => {
            let (min, max) = min_max_of(x);
            let span = max - min;
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    v
                } else if span == 0.0 {
                    0.5
                } else if hib {
                    1.0 - (max - v) / span
                } else {
                    1.0 - (v - min) / span
                }
            }));
            Ok(())
        }
        Normaliser::DistanceToReference { unit, cap } => {
            let Some(&xref) = x.get(*unit) else {
                return Err(invalid(
                    "reference unit",
                    format!("an index below the number of units ({}), got {unit}", x.len()),
                ));
            };
            if is_missing(xref) {
                return Err(invalid(
                    "reference unit",
                    format!("a unit with a value; unit {unit} is missing"),
                ));
            }
            let (min, max) = min_max_of(x);
            // Distance from the reference to the worst value.
            let span = if hib { xref - min } else { max - xref };
            if span == 0.0 && max > min {
                return Err(invalid(
                    "reference unit",
                    format!("a unit better than the worst one; unit {unit} has the worst value"),
                ));
            }
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    return v;
                }
                if span == 0.0 {
                    return 1.0; // constant column: everyone is at the reference
                }
                let y = if hib {
                    1.0 - (xref - v) / span
                } else {
                    1.0 - (v - xref) / span
                };
                if *cap { y.min(1.0) } else { y }
            }));
            Ok(())
        }
        Normaliser::DistanceToTarget { target, cap } => {
            if !target.is_finite() {
                return Err(invalid("target", format!("a finite target, got {target}")));
            }
            let (min, max) = min_max_of(x);
            if min > max {
                out.extend_from_slice(x); // all missing
                return Ok(());
            }
            let (worst, span) = if hib { (min, target - min) } else { (max, max - target) };
            if span <= 0.0 {
                return Err(invalid(
                    "target",
                    format!(
                        "a target better than the worst value {worst} ({}), got {target}",
                        if hib { "above it" } else { "below it" }
                    ),
                ));
            }
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    return v;
                }
                let y = if hib { (v - min) / span } else { (max - v) / span };
                if *cap { y.min(1.0) } else { y }
            }));
            Ok(())
        }
        Normaliser::FractionOfMax | Normaliser::RelativeToBest => {
            let factor = if matches!(n, Normaliser::RelativeToBest) {
                100.0
            } else {
                1.0
            };
            check_ratio_domain(x, direction, n.name())?;
            let (min, max) = min_max_of(x);
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    v
                } else if hib {
                    factor * (v / max)
                } else {
                    factor * (min / v)
                }
            }));
            Ok(())
        }
        Normaliser::Ladder { levels, floor } => {
            *out = ladder(x, levels, *floor)?;
            Ok(())
        }
        Normaliser::TargetBands { target, bounds, points } => {
            let ok = target.is_finite()
                && *target > 0.0
                && !bounds.is_empty()
                && bounds.iter().all(|b| b.is_finite())
                && bounds.windows(2).all(|w| w[0] < w[1])
                && points.len() == bounds.len() + 1;
            if !ok {
                return Err(invalid(
                    "target bands",
                    format!(
                        "a target > 0, increasing band limits and one more points than limits, \
                         got target {target}, limits {bounds:?}, points {points:?}"
                    ),
                ));
            }
            let bad: Vec<usize> = (0..x.len()).filter(|&u| !is_missing(x[u]) && x[u] < 0.0).collect();
            if !bad.is_empty() {
                return Err(StepError::Domain {
                    method: n.name().into(),
                    units: bad,
                    needs: "values ≥ 0 (it scores the percentage of the target achieved)".into(),
                    hint: "use a difference-based method such as distance to target for signed data".into(),
                });
            }
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    return v;
                }
                // A lower-is-better value of 0 achieves the target infinitely well: top band.
                let pct = if hib { 100.0 * v / target } else { 100.0 * target / v };
                let k = bounds.iter().take_while(|&&b| pct >= b).count();
                points[k]
            }));
            Ok(())
        }
        Normaliser::AmpiGoalposts { reference } => {
            if !reference.is_finite() {
                return Err(invalid(
                    "reference",
                    format!("a finite reference value, got {reference}"),
                ));
            }
            let (min, max) = min_max_of(x);
            let delta = (max - min) / 2.0;
            let (gmin, gmax) = (reference - delta, reference + delta);
            out.extend(x.iter().map(|&v| {
                if is_missing(v) {
                    v
                } else if delta == 0.0 {
                    100.0
                } else if hib {
                    (v - gmin) / (gmax - gmin) * 60.0 + 70.0
                } else {
                    (gmax - v) / (gmax - gmin) * 60.0 + 70.0
                }
            }));
            Ok(())
        }
        Normaliser::None => {
            out.extend(x.iter().map(|&v| if hib { v } else { -v }));
            Ok(())
        }
    }
}

/// Min-max normalisation onto `[lo, hi]`.
///
/// For a higher-is-better indicator `y = lo + (x − min)/(max − min)·(hi − lo)`; for a
/// lower-is-better one `y = lo + (max − x)/(max − min)·(hi − lo)`, which equals COINr's
/// "multiply by −1, then min-max". A constant column (max = min) carries no
/// information: every present unit gets the midpoint `(lo + hi)/2`, so the indicator
/// moves no unit against another. Missing values stay missing.
pub fn min_max(x: &[f64], direction: Direction, lo: f64, hi: f64) -> Result<Vec<f64>, StepError> {
    let mut out = Vec::with_capacity(x.len());
    min_max_into(x, direction, lo, hi, &mut out)?;
    Ok(out)
}

fn min_max_into(x: &[f64], direction: Direction, lo: f64, hi: f64, out: &mut Vec<f64>) -> Result<(), StepError> {
    if !(lo.is_finite() && hi.is_finite()) || lo >= hi {
        return Err(StepError::InvalidParameter {
            name: "range".into(),
            expected: format!("finite bounds with lower < upper, got [{lo}, {hi}]"),
        });
    }
    let (min, max) = min_max_of(x);
    let span = max - min;
    let mid = (lo + hi) / 2.0;
    out.extend(x.iter().map(|&v| {
        if is_missing(v) {
            v
        } else if span == 0.0 {
            mid
        } else {
            // Same operation order as COINr: (x − min)/(max − min)·(u − l) + l.
            let t = match direction {
                Direction::HigherIsBetter => (v - min) / span,
                Direction::LowerIsBetter => (max - v) / span,
            };
            t * (hi - lo) + lo
        }
    }));
    Ok(())
}

/// `(min, max)` of the present values; `(+∞, −∞)` when none are present.
fn min_max_of(x: &[f64]) -> (f64, f64) {
    present(x).fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)))
}

fn invalid(name: &str, expected: String) -> StepError {
    StepError::InvalidParameter {
        name: name.into(),
        expected,
    }
}

/// Ratio methods need `x ≥ 0` with a positive best value (higher-is-better: `max > 0`)
/// or `x > 0` (lower-is-better: the ratio is `min/x`).
fn check_ratio_domain(x: &[f64], direction: Direction, method: &str) -> Result<(), StepError> {
    let hib = direction == Direction::HigherIsBetter;
    let bad: Vec<usize> = (0..x.len())
        .filter(|&u| !is_missing(x[u]) && if hib { x[u] < 0.0 } else { x[u] <= 0.0 })
        .collect();
    if !bad.is_empty() {
        return Err(StepError::Domain {
            method: method.into(),
            units: bad,
            needs: if hib {
                "values ≥ 0 (a ratio to the maximum is meaningless for signed data)".into()
            } else {
                "values > 0 (a lower-is-better indicator is scored min/x)".into()
            },
            hint: "use min-max or distance to maximum, or shift the indicator onto a positive scale".into(),
        });
    }
    if hib {
        let zeros: Vec<usize> = (0..x.len()).filter(|&u| x[u] == 0.0).collect();
        if !zeros.is_empty() && present(x).all(|v| v == 0.0) {
            return Err(StepError::Domain {
                method: method.into(),
                units: zeros,
                needs: "a positive maximum".into(),
                hint: "every value is 0, so there is no best value to divide by".into(),
            });
        }
    }
    Ok(())
}

/// One rung of an ordinal ladder: the points a value earns when it lies in
/// `[min, max)` (either bound may be open).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Level {
    /// Points earned on this rung.
    pub points: f64,
    /// Inclusive lower bound, if any.
    pub min: Option<f64>,
    /// Exclusive upper bound, if any.
    pub max: Option<f64>,
}

impl Level {
    /// Whether `v` satisfies this rung's condition.
    pub fn contains(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v < m)
    }
}

/// Ladder scoring: each value earns the points of the best rung whose condition it
/// meets, or `floor` points when it meets none. Missing values stay missing.
///
/// The rungs carry the direction themselves (a lower-is-better indicator simply
/// has rungs with upper bounds), so no direction parameter is needed.
pub fn ladder(x: &[f64], levels: &[Level], floor: f64) -> Result<Vec<f64>, StepError> {
    if levels.is_empty() {
        return Err(StepError::InvalidParameter {
            name: "levels".into(),
            expected: "at least one level".into(),
        });
    }
    Ok(x.iter()
        .map(|&v| {
            if is_missing(v) {
                return v;
            }
            levels
                .iter()
                .filter(|l| l.contains(v))
                .map(|l| l.points)
                .fold(None, |best: Option<f64>, p| Some(best.map_or(p, |b| b.max(p))))
                .unwrap_or(floor)
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn min_max_hand_computed() {
        // x = [2, 4, 10]: min 2, max 10, span 8.
        // higher: (2-2)/8=0, (4-2)/8=0.25, 1 → ×100 → 0, 25, 100.
        let y = min_max(&[2.0, 4.0, 10.0], Direction::HigherIsBetter, 0.0, 100.0).unwrap();
        assert_eq!(y, vec![0.0, 25.0, 100.0]);
        // lower: (10-2)/8=1, (10-4)/8=0.75, 0 → onto [1, 5]: 5, 4, 1.
        let y = min_max(&[2.0, 4.0, 10.0], Direction::LowerIsBetter, 1.0, 5.0).unwrap();
        assert_eq!(y, vec![5.0, 4.0, 1.0]);
    }

    #[test]
    fn min_max_missing_constant_single() {
        let y = min_max(&[3.0, f64::NAN, 7.0], Direction::HigherIsBetter, 0.0, 1.0).unwrap();
        assert_eq!(y[0], 0.0);
        assert!(y[1].is_nan());
        assert_eq!(y[2], 1.0);
        // Constant column and single unit: the midpoint of the range.
        let y = min_max(&[5.0, 5.0], Direction::HigherIsBetter, 0.0, 100.0).unwrap();
        assert_eq!(y, vec![50.0, 50.0]);
        let y = min_max(&[5.0], Direction::LowerIsBetter, 0.0, 100.0).unwrap();
        assert_eq!(y, vec![50.0]);
        assert!(min_max(&[1.0], Direction::HigherIsBetter, 1.0, 1.0).is_err());
    }

    const HIB: Direction = Direction::HigherIsBetter;
    const LIB: Direction = Direction::LowerIsBetter;
    const NAN: f64 = f64::NAN;

    fn close(a: &[f64], b: &[f64]) {
        assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * y.abs().max(1.0),
                "{a:?} vs {b:?}"
            );
        }
    }

    fn norm(x: &[f64], d: Direction, n: Normaliser) -> Vec<f64> {
        normalise(x, d, &n).unwrap()
    }

    #[test]
    fn dispatch_min_max_matches_function() {
        let x = [2.0, 4.0, NAN, 10.0];
        let n = Normaliser::MinMax { lo: 0.0, hi: 100.0 };
        assert_eq!(
            format!("{:?}", norm(&x, LIB, n)),
            format!("{:?}", min_max(&x, LIB, 0.0, 100.0).unwrap())
        );
    }

    #[test]
    fn z_score_by_hand() {
        // x = 1, 2, 3, 4, 10: mean 4, sample sd √12.5 (see stats tests).
        let x = [1.0, 2.0, 3.0, 4.0, 10.0, NAN];
        let s = 12.5f64.sqrt();
        let y = norm(&x, HIB, Normaliser::ZScore { mean: 0.0, sd: 1.0 });
        close(&y, &[-3.0 / s, -2.0 / s, -1.0 / s, 0.0, 6.0 / s, NAN]);
        // Lower is better onto mean 100, sd 10: (4 − x)/s·10 + 100.
        let y = norm(&x, LIB, Normaliser::ZScore { mean: 100.0, sd: 10.0 });
        close(
            &y,
            &[
                100.0 + 30.0 / s,
                100.0 + 20.0 / s,
                100.0 + 10.0 / s,
                100.0,
                100.0 - 60.0 / s,
                NAN,
            ],
        );
        // Constant column and single unit: the target mean.
        assert_eq!(
            norm(&[3.0, 3.0, NAN], HIB, Normaliser::ZScore { mean: 5.0, sd: 2.0 })[..2],
            [5.0, 5.0]
        );
        assert_eq!(norm(&[3.0], HIB, Normaliser::ZScore { mean: 5.0, sd: 2.0 }), vec![5.0]);
        assert!(normalise(&x, HIB, &Normaliser::ZScore { mean: 0.0, sd: 0.0 }).is_err());
    }

    #[test]
    fn ranks_borda_percentile_with_ties() {
        // x = 3, 1, 3, NaN, 7. Ascending "min" ranks: 1 → 1; the two 3s → 2, 2; 7 → 4.
        let x = [3.0, 1.0, 3.0, NAN, 7.0];
        close(&norm(&x, HIB, Normaliser::Rank), &[2.0, 1.0, 2.0, NAN, 4.0]);
        close(&norm(&x, HIB, Normaliser::Borda), &[1.0, 0.0, 1.0, NAN, 3.0]);
        // Percentile rank (r − 1)/(n − 1) with n = 4 present.
        close(
            &norm(&x, HIB, Normaliser::PercentileRank),
            &[1.0 / 3.0, 0.0, 1.0 / 3.0, NAN, 1.0],
        );
        // Lower is better ranks −x: −7 → 1; −3, −3 → 2, 2; −1 → 4.
        close(&norm(&x, LIB, Normaliser::Rank), &[2.0, 4.0, 2.0, NAN, 1.0]);
        close(
            &norm(&x, LIB, Normaliser::PercentileRank),
            &[1.0 / 3.0, 1.0, 1.0 / 3.0, NAN, 0.0],
        );
        // Constant column: all tied at rank 1 (percentile 0), as COINr.
        close(
            &norm(&[5.0, 5.0, 5.0], HIB, Normaliser::PercentileRank),
            &[0.0, 0.0, 0.0],
        );
        close(&norm(&[5.0, 5.0], LIB, Normaliser::Rank), &[1.0, 1.0]);
        // Single unit: rank 1, Borda 0, percentile the midpoint 0.5.
        close(&norm(&[5.0], HIB, Normaliser::Rank), &[1.0]);
        close(&norm(&[5.0], HIB, Normaliser::Borda), &[0.0]);
        close(&norm(&[5.0, NAN], HIB, Normaliser::PercentileRank), &[0.5, NAN]);
    }

    #[test]
    fn goalposts_by_hand() {
        // Goalposts 0 and 10, scale 100: higher is better → (x − 0)/10, truncated.
        let x = [-5.0, 2.5, 10.0, 12.0, NAN];
        let gp = |truncate| Normaliser::Goalposts {
            lo: 0.0,
            hi: 10.0,
            scale: 100.0,
            truncate,
        };
        close(&norm(&x, HIB, gp(true)), &[0.0, 25.0, 100.0, 100.0, NAN]);
        // Lower is better → (10 − x)/10: 1.5, 0.75, 0, −0.2.
        close(&norm(&x, LIB, gp(true)), &[100.0, 75.0, 0.0, 0.0, NAN]);
        close(&norm(&x, LIB, gp(false)), &[150.0, 75.0, 0.0, -20.0, NAN]);
        // COINr's documented examples: n_goalposts(1, c(0, 10, 1)) = 0.1, and with
        // direction = -1 it is (1 − 10)/(0 − 10) = 0.9.
        let gp1 = Normaliser::Goalposts {
            lo: 0.0,
            hi: 10.0,
            scale: 1.0,
            truncate: true,
        };
        close(&norm(&[1.0], HIB, gp1.clone()), &[0.1]);
        close(&norm(&[1.0], LIB, gp1), &[0.9]);
        let bad = Normaliser::Goalposts {
            lo: 10.0,
            hi: 0.0,
            scale: 1.0,
            truncate: true,
        };
        assert!(normalise(&x, HIB, &bad).is_err());
    }

    #[test]
    fn distance_to_max_by_hand() {
        // x = 2, 4, 10: min 2, max 10, span 8.
        let x = [2.0, 4.0, 10.0, NAN];
        close(&norm(&x, HIB, Normaliser::DistanceToMax), &[0.0, 0.25, 1.0, NAN]);
        close(&norm(&x, LIB, Normaliser::DistanceToMax), &[1.0, 0.75, 0.0, NAN]);
        close(&norm(&[7.0, 7.0], HIB, Normaliser::DistanceToMax), &[0.5, 0.5]);
    }

    #[test]
    fn distance_to_reference_by_hand() {
        let x = [2.0, 4.0, 10.0, NAN];
        let r = |unit, cap| Normaliser::DistanceToReference { unit, cap };
        // Reference unit 1 (x = 4), higher is better: 1 − (4 − x)/(4 − 2) → 0, 1, 4.
        close(&norm(&x, HIB, r(1, false)), &[0.0, 1.0, 4.0, NAN]);
        close(&norm(&x, HIB, r(1, true)), &[0.0, 1.0, 1.0, NAN]);
        // Lower is better: 1 − (x − 4)/(10 − 4) → 4/3, 1, 0.
        close(&norm(&x, LIB, r(1, false)), &[4.0 / 3.0, 1.0, 0.0, NAN]);
        close(&norm(&x, LIB, r(1, true)), &[1.0, 1.0, 0.0, NAN]);
        // The worst unit as reference, a missing reference, an out-of-range index.
        assert!(normalise(&x, HIB, &r(0, false)).is_err());
        assert!(normalise(&x, LIB, &r(2, false)).is_err());
        assert!(normalise(&x, HIB, &r(3, false)).is_err());
        assert!(normalise(&x, HIB, &r(9, false)).is_err());
        // Constant column: every unit is at the reference.
        close(&norm(&[3.0, 3.0], HIB, r(0, false)), &[1.0, 1.0]);
    }

    #[test]
    fn distance_to_target_by_hand() {
        let x = [2.0, 4.0, 10.0, NAN];
        let t = |target, cap| Normaliser::DistanceToTarget { target, cap };
        // Target 8, higher is better: (x − 2)/(8 − 2) → 0, 1/3, 4/3.
        close(&norm(&x, HIB, t(8.0, false)), &[0.0, 1.0 / 3.0, 4.0 / 3.0, NAN]);
        close(&norm(&x, HIB, t(8.0, true)), &[0.0, 1.0 / 3.0, 1.0, NAN]);
        // Target 3, lower is better: (10 − x)/(10 − 3) → 8/7, 6/7, 0.
        close(&norm(&x, LIB, t(3.0, false)), &[8.0 / 7.0, 6.0 / 7.0, 0.0, NAN]);
        close(&norm(&x, LIB, t(3.0, true)), &[1.0, 6.0 / 7.0, 0.0, NAN]);
        // A target no better than the worst value inverts the scale: rejected.
        assert!(normalise(&x, HIB, &t(2.0, false)).is_err());
        assert!(normalise(&x, LIB, &t(10.0, false)).is_err());
    }

    #[test]
    fn ratio_methods_respect_direction() {
        let x = [2.0, 4.0, 10.0, NAN];
        // Higher is better: x/max = 0.2, 0.4, 1.
        close(&norm(&x, HIB, Normaliser::FractionOfMax), &[0.2, 0.4, 1.0, NAN]);
        close(&norm(&x, HIB, Normaliser::RelativeToBest), &[20.0, 40.0, 100.0, NAN]);
        // Lower is better: min/x = 1, 0.5, 0.2 — the best (lowest) unit gets 1.
        // (COINr's n_fracmax on −x would give x/min = 1, 2, 5: backwards.)
        close(&norm(&x, LIB, Normaliser::FractionOfMax), &[1.0, 0.5, 0.2, NAN]);
        close(&norm(&x, LIB, Normaliser::RelativeToBest), &[100.0, 50.0, 20.0, NAN]);
        // Zero is fine when higher is better; negative values are not.
        close(&norm(&[0.0, 5.0], HIB, Normaliser::FractionOfMax), &[0.0, 1.0]);
        match normalise(&[1.0, -2.0, 3.0, -0.5], HIB, &Normaliser::FractionOfMax) {
            Err(StepError::Domain { units, hint, .. }) => {
                assert_eq!(units, vec![1, 3]);
                assert!(!hint.is_empty());
            }
            other => panic!("unexpected {other:?}"),
        }
        // Lower is better needs x > 0; all-zero higher-is-better has no best value.
        assert!(matches!(
            normalise(&[0.0, 5.0], LIB, &Normaliser::RelativeToBest),
            Err(StepError::Domain { ref units, .. }) if units == &vec![0]
        ));
        assert!(normalise(&[0.0, 0.0], HIB, &Normaliser::FractionOfMax).is_err());
        // Constant positive column: everyone is the best.
        close(&norm(&[3.0, 3.0], LIB, Normaliser::FractionOfMax), &[1.0, 1.0]);
    }

    #[test]
    fn target_bands_u4ssc() {
        // Target 50: 10 is 20% → 1; 16.5 is 33% → 2; 33 is 66% → 3; 47.5 is 95% → 4;
        // 60 is 120% → 4.
        let x = [10.0, 16.5, 33.0, 47.5, 60.0, NAN];
        close(
            &norm(&x, HIB, Normaliser::u4ssc_bands(50.0)),
            &[1.0, 2.0, 3.0, 4.0, 4.0, NAN],
        );
        // Lower is better, target 20, % = 100·20/x: 10 → 200% (4); 21 → 95.2% (4);
        // 30 → 66.7% (3); 40 → 50% (2); 100 → 20% (1); 0 → ∞ (4).
        let x = [10.0, 21.0, 30.0, 40.0, 100.0, 0.0];
        close(
            &norm(&x, LIB, Normaliser::u4ssc_bands(20.0)),
            &[4.0, 4.0, 3.0, 2.0, 1.0, 4.0],
        );
        // Custom bands: < 50% → 0, ≥ 50% → 10.
        let b = Normaliser::TargetBands {
            target: 4.0,
            bounds: vec![50.0],
            points: vec![0.0, 10.0],
        };
        close(&norm(&[1.0, 2.0, 3.0], HIB, b), &[0.0, 10.0, 10.0]);
        let bad = Normaliser::TargetBands {
            target: 4.0,
            bounds: vec![50.0],
            points: vec![0.0],
        };
        assert!(normalise(&[1.0], HIB, &bad).is_err());
        assert!(matches!(
            normalise(&[1.0, -1.0], HIB, &Normaliser::u4ssc_bands(5.0)),
            Err(StepError::Domain { ref units, .. }) if units == &vec![1]
        ));
    }

    #[test]
    fn ampi_goalposts_by_hand() {
        // x = 2, 4, 10: Δ = (10 − 2)/2 = 4; reference 5 → goalposts 1 and 9.
        // Higher is better: (x − 1)/8·60 + 70 → 77.5, 92.5, 137.5; the reference → 100.
        let x = [2.0, 4.0, 10.0, 5.0];
        let n = Normaliser::AmpiGoalposts { reference: 5.0 };
        close(&norm(&x, HIB, n.clone()), &[77.5, 92.5, 137.5, 100.0]);
        // Lower is better: (9 − x)/8·60 + 70 → 122.5, 107.5, 62.5, 100.
        close(&norm(&x, LIB, n.clone()), &[122.5, 107.5, 62.5, 100.0]);
        close(&norm(&[3.0, 3.0], HIB, n), &[100.0, 100.0]);
    }

    #[test]
    fn none_and_ladder_dispatch() {
        let x = [1.0, -2.0, NAN];
        close(&norm(&x, HIB, Normaliser::None), &[1.0, -2.0, NAN]);
        close(&norm(&x, LIB, Normaliser::None), &[-1.0, 2.0, NAN]);
        let levels = vec![Level {
            points: 1.0,
            min: Some(0.0),
            max: None,
        }];
        close(
            &norm(&x, LIB, Normaliser::Ladder { levels, floor: 0.0 }),
            &[1.0, 0.0, NAN],
        );
    }

    /// COINr applies a lower-is-better direction by negating the column first; for the
    /// difference-based methods our direct formulas must agree bit for bit.
    #[test]
    fn lower_is_better_equals_coinr_negate_first() {
        let x = [3.7, -1.25, 0.0, 12.5, NAN, 3.7, 8.125, 0.3];
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        let pairs = [
            (
                Normaliser::MinMax { lo: 1.0, hi: 100.0 },
                Normaliser::MinMax { lo: 1.0, hi: 100.0 },
            ),
            (
                Normaliser::ZScore { mean: 0.0, sd: 1.0 },
                Normaliser::ZScore { mean: 0.0, sd: 1.0 },
            ),
            (Normaliser::Rank, Normaliser::Rank),
            (Normaliser::PercentileRank, Normaliser::PercentileRank),
            (Normaliser::Borda, Normaliser::Borda),
            (Normaliser::DistanceToMax, Normaliser::DistanceToMax),
            (
                Normaliser::DistanceToReference { unit: 0, cap: false },
                Normaliser::DistanceToReference { unit: 0, cap: false },
            ),
            // COINr flips the target (get_iMeta_norm_paras: targ · direction) …
            (
                Normaliser::DistanceToTarget { target: 1.0, cap: true },
                Normaliser::DistanceToTarget {
                    target: -1.0,
                    cap: true,
                },
            ),
            // … and the goalposts (upper·(−1), lower·(−1)).
            (
                Normaliser::Goalposts {
                    lo: 0.0,
                    hi: 10.0,
                    scale: 100.0,
                    truncate: true,
                },
                Normaliser::Goalposts {
                    lo: -10.0,
                    hi: 0.0,
                    scale: 100.0,
                    truncate: true,
                },
            ),
        ];
        for (ours, coinr) in pairs {
            let a = norm(&x, LIB, ours.clone());
            let b = norm(&neg, HIB, coinr);
            for (p, q) in a.iter().zip(&b) {
                assert!(
                    p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()),
                    "{ours:?}: {a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn ladder_best_rung_wins() {
        // Rungs: ≥100 → 1, ≥1000 → 2, ≥10000 → 3; below 100 → 0.
        let levels = [
            Level {
                points: 1.0,
                min: Some(100.0),
                max: None,
            },
            Level {
                points: 2.0,
                min: Some(1000.0),
                max: None,
            },
            Level {
                points: 3.0,
                min: Some(10000.0),
                max: None,
            },
        ];
        let y = ladder(&[50.0, 100.0, 999.0, 1000.0, 1e6, f64::NAN], &levels, 0.0).unwrap();
        assert_eq!(&y[..5], &[0.0, 1.0, 1.0, 2.0, 3.0]);
        assert!(y[5].is_nan());
        // A lower-is-better ladder uses upper bounds: < 5 → 2 points, < 10 → 1 point.
        let levels = [
            Level {
                points: 2.0,
                min: None,
                max: Some(5.0),
            },
            Level {
                points: 1.0,
                min: None,
                max: Some(10.0),
            },
        ];
        assert_eq!(ladder(&[3.0, 7.0, 12.0], &levels, 0.0).unwrap(), vec![2.0, 1.0, 0.0]);
    }
}

/// One indicator's normalisation as a pipeline runs it: the method, the
/// indicator's direction and, for a ladder scored out of a total, that total.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scaling {
    /// The method.
    pub normaliser: Normaliser,
    /// The indicator's direction.
    pub direction: Direction,
    /// For a [`Normaliser::Ladder`]: points rescaled so that the top rung scores this.
    pub out_of: Option<f64>,
}

impl Scaling {
    /// Normalises `x` ([`normalise`]), rescales ladder points to `out_of`
    /// (`points / top · out_of`, top = the highest rung's points), and checks that
    /// no present value became missing or infinite: the error's `units` are the
    /// rows where that happened (a spread or range that overflows).
    pub fn apply(&self, x: &[f64]) -> Result<Vec<f64>, StepError> {
        let mut y = normalise(x, self.direction, &self.normaliser)?;
        let bad: Vec<usize> = (0..y.len())
            .filter(|&u| !is_missing(x[u]) && !y[u].is_finite())
            .collect();
        if !bad.is_empty() {
            return Err(StepError::Domain {
                method: self.normaliser.name().into(),
                units: bad,
                needs: "values whose range and spread stay finite once normalised".into(),
                hint: "rescale the data".into(),
            });
        }
        if let (Some(out_of), Normaliser::Ladder { levels, .. }) = (self.out_of, &self.normaliser) {
            let top = levels.iter().map(|l| l.points).fold(f64::NEG_INFINITY, f64::max);
            y.iter_mut().for_each(|v| *v = *v / top * out_of);
        }
        Ok(y)
    }
}
