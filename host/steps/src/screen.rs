//! Screening: drop units with too little data, as COINr's `Screen`.

use crate::{StepError, is_missing};

/// The rule deciding which units are removed (COINr's `unit_screen`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScreenRule {
    /// Remove units whose data availability is below `min_availability`
    /// (COINr `"byNA"` with `dat_thresh`).
    Missing {
        /// Minimum share of indicators present, in `[0, 1]`.
        min_availability: f64,
    },
    /// Remove units whose share of non-zero values (among those present) is below
    /// `min_nonzero` (COINr `"byzeros"` with `nonzero_thresh`).
    Zeros {
        /// Minimum share of present values that are non-zero, in `[0, 1]`.
        min_nonzero: f64,
    },
    /// Remove units failing either criterion (COINr `"byNAandzeros"`).
    MissingOrZeros {
        /// Minimum share of indicators present, in `[0, 1]`.
        min_availability: f64,
        /// Minimum share of present values that are non-zero, in `[0, 1]`.
        min_nonzero: f64,
    },
}

/// The outcome of screening.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenResult {
    /// Indices of the units kept, ascending.
    pub kept: Vec<usize>,
    /// Indices of the units removed, ascending.
    pub removed: Vec<usize>,
    /// Per unit: share of indicators present, `1 − missing/indicators` (COINr `Dat_Avail`).
    pub availability: Vec<f64>,
    /// Per unit: share of the present values that are non-zero,
    /// `1 − zeros/(indicators − missing)` (COINr `Non_Zero`); `NaN` with none present.
    pub nonzero: Vec<f64>,
}

/// Screens units by data availability: a unit is removed when its share of
/// indicators present is *strictly* below `threshold` (COINr `Screen(unit_screen =
/// "byNA", dat_thresh)`: `Dat_Avail < dat_thresh`, so a unit exactly at the
/// threshold is kept). `force_include` and `force_exclude` list units whose fate is
/// decided regardless of the rule; a unit in both is excluded (COINr applies
/// inclusions first, then exclusions).
///
/// See [`screen_by`] for the other rules.
pub fn screen(
    cols: &[Vec<f64>],
    threshold: f64,
    force_include: &[usize],
    force_exclude: &[usize],
) -> Result<ScreenResult, StepError> {
    screen_by(
        cols,
        &ScreenRule::Missing {
            min_availability: threshold,
        },
        force_include,
        force_exclude,
    )
}

fn check_share(name: &str, v: f64) -> Result<(), StepError> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(StepError::InvalidParameter {
            name: name.into(),
            expected: format!("a share in [0, 1], got {v}"),
        })
    }
}

/// Screens units by `rule`, with forced inclusions and exclusions (see [`screen`]).
///
/// Shares are computed exactly as COINr does (`1 − missing/indicators` rather than
/// `present/indicators`, which can differ in the last bit), so that a unit lying
/// on the threshold is treated the same way. A unit with no value present has no
/// non-zero share (`NaN`); the zero rules remove it.
pub fn screen_by(
    cols: &[Vec<f64>],
    rule: &ScreenRule,
    force_include: &[usize],
    force_exclude: &[usize],
) -> Result<ScreenResult, StepError> {
    let (min_avail, min_nonzero) = match *rule {
        ScreenRule::Missing { min_availability } => (Some(min_availability), None),
        ScreenRule::Zeros { min_nonzero } => (None, Some(min_nonzero)),
        ScreenRule::MissingOrZeros {
            min_availability,
            min_nonzero,
        } => (Some(min_availability), Some(min_nonzero)),
    };
    if let Some(v) = min_avail {
        check_share("min_availability", v)?;
    }
    if let Some(v) = min_nonzero {
        check_share("min_nonzero", v)?;
    }
    let Some(first) = cols.first() else {
        return Err(StepError::Shape {
            what: "no indicators to screen units on".into(),
        });
    };
    let n = first.len();
    if let Some((j, c)) = cols.iter().enumerate().find(|(_, c)| c.len() != n) {
        return Err(StepError::Shape {
            what: format!("column {j} has {} units but column 0 has {n}", c.len()),
        });
    }
    if let Some(&u) = force_include.iter().chain(force_exclude).find(|&&u| u >= n) {
        return Err(StepError::InvalidParameter {
            name: "force_include/force_exclude".into(),
            expected: format!("unit indices below {n}, got {u}"),
        });
    }
    // Missing and zero counts per unit, column by column (contiguous reads).
    let mut missing = vec![0u32; n];
    let mut zeros = vec![0u32; n];
    for c in cols {
        for ((a, z), &v) in missing.iter_mut().zip(zeros.iter_mut()).zip(c) {
            *a += u32::from(is_missing(v));
            *z += u32::from(v == 0.0);
        }
    }
    let m = cols.len() as f64;
    let mut availability = Vec::with_capacity(n);
    let mut nonzero = Vec::with_capacity(n);
    let mut kept = Vec::with_capacity(n);
    let mut removed = Vec::new();
    for u in 0..n {
        let avail = 1.0 - f64::from(missing[u]) / m;
        let nz = 1.0 - f64::from(zeros[u]) / (m - f64::from(missing[u]));
        let low_data = min_avail.is_some_and(|t| avail < t);
        let low_nonzero = min_nonzero.is_some_and(|t| nz.is_nan() || nz < t);
        let mut include = !(low_data || low_nonzero);
        if force_include.contains(&u) {
            include = true;
        }
        if force_exclude.contains(&u) {
            include = false;
        }
        if include {
            kept.push(u)
        } else {
            removed.push(u)
        }
        availability.push(avail);
        nonzero.push(nz);
    }
    Ok(ScreenResult {
        kept,
        removed,
        availability,
        nonzero,
    })
}

/// The rows `kept` of every column, in that order (to apply a [`ScreenResult`]).
/// Indices out of range are a shape error.
pub fn select_units(cols: &[Vec<f64>], kept: &[usize]) -> Result<Vec<Vec<f64>>, StepError> {
    if let Some((j, c)) = cols
        .iter()
        .enumerate()
        .find(|(_, c)| kept.iter().any(|&u| u >= c.len()))
    {
        return Err(StepError::Shape {
            what: format!(
                "units up to {} requested but column {j} has {} units",
                kept.iter().max().copied().unwrap_or(0),
                c.len()
            ),
        });
    }
    Ok(cols.iter().map(|c| kept.iter().map(|&u| c[u]).collect()).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NA: f64 = f64::NAN;

    /// Ten indicators for four units: unit 0 complete, unit 1 misses 1 (90 %),
    /// unit 2 misses 2 (80 %), unit 3 misses all.
    fn ten_columns() -> Vec<Vec<f64>> {
        (0..10)
            .map(|j| vec![1.0, if j == 0 { NA } else { 2.0 }, if j < 2 { NA } else { 3.0 }, NA])
            .collect()
    }

    #[test]
    fn threshold_is_strict() {
        // Availability 1, 0.9, 0.8, 0: at 0.9 the unit exactly at 90 % is kept
        // (removed only when strictly below), 80 % and 0 % are removed.
        let r = screen(&ten_columns(), 0.9, &[], &[]).unwrap();
        assert_eq!(r.kept, vec![0, 1]);
        assert_eq!(r.removed, vec![2, 3]);
        assert_eq!(r.availability, vec![1.0, 1.0 - 0.1, 1.0 - 0.2, 0.0]);
        // 1 − 1/10 is the double nearest 0.9, so the comparison is exact here.
        assert_eq!(r.availability[1], 0.9);
        // Threshold 0 keeps everyone; threshold 1 keeps only complete units.
        assert_eq!(screen(&ten_columns(), 0.0, &[], &[]).unwrap().kept, vec![0, 1, 2, 3]);
        assert_eq!(screen(&ten_columns(), 1.0, &[], &[]).unwrap().kept, vec![0]);
    }

    #[test]
    fn forcing_overrides_the_rule_and_exclusion_wins() {
        // Unit 2 (80 %) forced in, unit 0 (100 %) forced out; unit 3 in both lists → out.
        let r = screen(&ten_columns(), 0.9, &[2, 3], &[0, 3]).unwrap();
        assert_eq!(r.kept, vec![1, 2]);
        assert_eq!(r.removed, vec![0, 3]);
        assert!(screen(&ten_columns(), 0.9, &[4], &[]).is_err());
    }

    #[test]
    fn zero_rules() {
        // Unit 0: values 0, 0, 0, 5 → non-zero share 1 − 3/4 = 0.25.
        // Unit 1: 0, NA, 1, 1 → 1 − 1/3 = 2/3, availability 0.75.
        // Unit 2: all missing → non-zero share NaN → removed by the zero rule.
        let cols = vec![
            vec![0.0, 0.0, NA],
            vec![0.0, NA, NA],
            vec![0.0, 1.0, NA],
            vec![5.0, 1.0, NA],
        ];
        let r = screen_by(&cols, &ScreenRule::Zeros { min_nonzero: 0.5 }, &[], &[]).unwrap();
        assert_eq!(r.kept, vec![1]);
        assert_eq!(r.nonzero[0], 0.25);
        assert!((r.nonzero[1] - 2.0 / 3.0).abs() < 1e-15);
        assert!(r.nonzero[2].is_nan());
        let rule = ScreenRule::MissingOrZeros {
            min_availability: 0.8,
            min_nonzero: 0.2,
        };
        let r = screen_by(&cols, &rule, &[], &[]).unwrap();
        // Unit 0 passes both (1.0 ≥ 0.8, 0.25 ≥ 0.2); unit 1 fails availability (0.75).
        assert_eq!(r.kept, vec![0]);
    }

    #[test]
    fn single_unit_shapes_and_parameters() {
        let r = screen(&[vec![1.0], vec![NA]], 0.5, &[], &[]).unwrap();
        assert_eq!(r.kept, vec![0]); // availability 0.5, not below 0.5
        let r = screen(&[vec![], vec![]], 0.5, &[], &[]).unwrap();
        assert!(r.kept.is_empty() && r.removed.is_empty());
        assert!(screen(&[], 0.5, &[], &[]).is_err());
        assert!(screen(&[vec![1.0], vec![1.0, 2.0]], 0.5, &[], &[]).is_err());
        assert!(screen(&[vec![1.0]], 1.5, &[], &[]).is_err());
        assert!(screen(&[vec![1.0]], f64::NAN, &[], &[]).is_err());
    }

    #[test]
    fn select_units_applies_the_result() {
        let cols = vec![vec![1.0, 2.0, 3.0], vec![4.0, NA, 6.0]];
        let s = select_units(&cols, &[0, 2]).unwrap();
        assert_eq!(s, vec![vec![1.0, 3.0], vec![4.0, 6.0]]);
        assert!(select_units(&cols, &[3]).is_err());
    }
}
