//! Panel data: several years of the same units.
//!
//! A year is one column (one entry per unit, units in the same order every year).
//! Joint normalisation across years — so that scores are comparable over time, as
//! COINr's `Normalise(purse, global = TRUE)` does — is normalising the stacked
//! column; [`stack`] and [`unstack`] convert, and [`normalise_jointly`] does both.

use crate::aggregate::{Method, MissingPolicy, aggregate};
use crate::normalise::{Normaliser, normalise};
use crate::{Direction, StepError, is_missing};

/// Time-weighted average of yearly scores: the weighted arithmetic mean over the
/// years, e.g. weights `[3, 2, 1]` for the latest, previous and the year before.
/// `years[k]` is paired with `weights[k]`. Missing years follow `policy` (e.g.
/// `Reweight { min_share: 0.5 }` averages the years present when they carry at
/// least half the weight).
pub fn time_weighted_average(years: &[&[f64]], weights: &[f64], policy: MissingPolicy) -> Result<Vec<f64>, StepError> {
    aggregate(Method::Arithmetic, years, weights, policy)
}

/// Fills each missing value with the unit's most recent earlier value ("last
/// observation carried forward"); `years` are ordered oldest first. Values missing
/// in the first year stay missing.
pub fn carry_forward(years: &[&[f64]]) -> Result<Vec<Vec<f64>>, StepError> {
    check_same_length(years)?;
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(years.len());
    for (k, year) in years.iter().enumerate() {
        let filled: Vec<f64> = year
            .iter()
            .enumerate()
            .map(|(u, &v)| if is_missing(v) && k > 0 { out[k - 1][u] } else { v })
            .collect();
        out.push(filled);
    }
    Ok(out)
}

/// Stacks the years into one column: year 0's units, then year 1's, and so on.
pub fn stack(years: &[&[f64]]) -> Result<Vec<f64>, StepError> {
    check_same_length(years)?;
    Ok(years.iter().flat_map(|y| y.iter().copied()).collect())
}

/// Splits a stacked column back into years of `n_units` each.
pub fn unstack(stacked: &[f64], n_units: usize) -> Result<Vec<Vec<f64>>, StepError> {
    if n_units == 0 || !stacked.len().is_multiple_of(n_units) {
        return Err(StepError::Shape {
            what: format!(
                "a stacked column of {} values is not whole years of {n_units} units",
                stacked.len()
            ),
        });
    }
    Ok(stacked.chunks(n_units).map(<[f64]>::to_vec).collect())
}

/// Normalises all years together: the stacked column is normalised once (so e.g.
/// min-max uses the minimum and maximum over every year), then split back. For
/// [`Normaliser::DistanceToReference`] the unit index refers to the stacked column
/// (`year · n_units + unit`).
pub fn normalise_jointly(
    years: &[&[f64]],
    direction: Direction,
    normaliser: &Normaliser,
) -> Result<Vec<Vec<f64>>, StepError> {
    let n_units = years.first().map_or(0, |y| y.len());
    if n_units == 0 {
        return Ok(years.iter().map(|_| Vec::new()).collect());
    }
    let stacked = stack(years)?;
    unstack(&normalise(&stacked, direction, normaliser)?, n_units)
}

fn check_same_length(years: &[&[f64]]) -> Result<(), StepError> {
    let n = years.first().map_or(0, |y| y.len());
    if years.iter().any(|y| y.len() != n) {
        return Err(StepError::Shape {
            what: "years with different numbers of units".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    #[test]
    fn three_two_one_average() {
        // Latest 60, previous 50, before 40 with weights 3:2:1 → (180 + 100 + 40)/6.
        // Unit 1 misses the middle year: reweighted (3·70 + 1·40)/4 = 62.5.
        let latest = [60.0, 70.0, 10.0];
        let previous = [50.0, NAN, NAN];
        let before = [40.0, 40.0, NAN];
        let w = [3.0, 2.0, 1.0];
        let y = time_weighted_average(
            &[&latest, &previous, &before],
            &w,
            MissingPolicy::Reweight { min_share: 0.5 },
        )
        .unwrap();
        assert!((y[0] - 320.0 / 6.0).abs() < 1e-12);
        assert!((y[1] - 62.5).abs() < 1e-12);
        // Unit 2 has only the latest year: 3 of 6 = 50% of the weight, just enough.
        assert_eq!(y[2], 10.0);
        let y = time_weighted_average(&[&latest, &previous, &before], &w, MissingPolicy::Propagate).unwrap();
        assert!(y[1].is_nan() && y[2].is_nan());
        assert!(time_weighted_average(&[&latest, &previous, &before], &w, MissingPolicy::Fail).is_err());
    }

    #[test]
    fn carry_forward_fills_gaps() {
        let y0 = [1.0, NAN, 3.0];
        let y1 = [NAN, NAN, 4.0];
        let y2 = [NAN, 5.0, NAN];
        let f = carry_forward(&[&y0, &y1, &y2]).unwrap();
        assert_eq!(f[1][0], 1.0);
        assert!(f[1][1].is_nan());
        assert_eq!(f[2], vec![1.0, 5.0, 4.0]);
        assert!(carry_forward(&[&y0, &[1.0]]).is_err());
    }

    #[test]
    fn joint_normalisation_spans_all_years() {
        // Year 1: 0, 10; year 2: 5, 20 → stacked min 0, max 20 → 0, 50 and 25, 100.
        let y1 = [0.0, 10.0];
        let y2 = [5.0, 20.0];
        let n = normalise_jointly(
            &[&y1, &y2],
            Direction::HigherIsBetter,
            &Normaliser::MinMax { lo: 0.0, hi: 100.0 },
        )
        .unwrap();
        assert_eq!(n, vec![vec![0.0, 50.0], vec![25.0, 100.0]]);
        assert_eq!(stack(&[&y1, &y2]).unwrap(), vec![0.0, 10.0, 5.0, 20.0]);
        assert_eq!(
            unstack(&[1.0, 2.0, 3.0, 4.0], 2).unwrap(),
            vec![vec![1.0, 2.0], vec![3.0, 4.0]]
        );
        assert!(unstack(&[1.0, 2.0, 3.0], 2).is_err());
        assert!(stack(&[&y1, &[1.0]]).is_err());
    }
}
