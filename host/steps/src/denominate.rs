//! Denomination: turn an extensive indicator into an intensive one by dividing it by
//! a denominator (GDP, population, area, …), as COINr's `Denominate`.

use crate::{StepError, is_missing};

/// Divides `x` by the denominator scaled by `scale`: `y = x / (denom / scale)`.
///
/// This is COINr's `Denominate` for one indicator: its `denomby` table gives each
/// indicator a denominator column and a `ScaleFactor` (default 1), and it computes
/// `x / (denominator / ScaleFactor)` in exactly this order, so the result is
/// bit-identical with COINr (with `scale = 1` it is plain `x / denom`). Use the scale
/// to keep results readable, e.g. `scale = 1000` turns "per person" into "per
/// thousand people".
///
/// A unit whose value or denominator is missing gets a missing result. A present
/// value over a zero or infinite denominator is an error naming the units (COINr
/// would silently produce `Inf` or `NaN`); a missing value over a zero denominator
/// stays missing without complaint.
pub fn denominate(x: &[f64], denom: &[f64], scale: f64) -> Result<Vec<f64>, StepError> {
    if x.len() != denom.len() {
        return Err(StepError::Shape {
            what: format!(
                "indicator has {} units but its denominator has {}",
                x.len(),
                denom.len()
            ),
        });
    }
    if !(scale.is_finite() && scale > 0.0) {
        return Err(StepError::InvalidParameter {
            name: "scale".into(),
            expected: format!("a finite number > 0, got {scale}"),
        });
    }
    let bad: Vec<usize> = (0..x.len())
        .filter(|&u| !is_missing(x[u]) && !is_missing(denom[u]))
        .filter(|&u| denom[u] == 0.0 || denom[u].is_infinite())
        .collect();
    if !bad.is_empty() {
        return Err(StepError::Domain {
            method: "denomination".into(),
            units: bad,
            needs: "a finite, non-zero denominator wherever the indicator is present".into(),
            hint: "mark the denominator as missing for these units (their result is then \
                   missing) or correct the denominator data"
                .into(),
        });
    }
    Ok(x.iter()
        .zip(denom)
        .map(|(&v, &d)| {
            if is_missing(v) || is_missing(d) {
                f64::NAN
            } else {
                v / (d / scale)
            }
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn divides_by_the_scaled_denominator() {
        // 36 seats / 24 (thousand people) = 1.5 thousand seats per thousand people;
        // with scale 1000 the denominator is 24/1000 = 0.024 → 36/0.024 = 1500 per person.
        assert_eq!(denominate(&[36.0, 10.0], &[24.0, 4.0], 1.0).unwrap(), vec![1.5, 2.5]);
        let y = denominate(&[36.0], &[24.0], 1000.0).unwrap();
        assert!((y[0] - 1500.0).abs() < 1e-9);
        // Negative values and denominators are divided like any others: −6 / 3 = −2.
        assert_eq!(denominate(&[-6.0], &[3.0], 1.0).unwrap(), vec![-2.0]);
    }

    #[test]
    fn missing_value_or_denominator_gives_missing() {
        let y = denominate(&[1.0, f64::NAN, 4.0, f64::NAN], &[f64::NAN, 2.0, 2.0, 0.0], 1.0).unwrap();
        assert!(y[0].is_nan());
        assert!(y[1].is_nan());
        assert_eq!(y[2], 2.0);
        // A missing value over a zero denominator is simply missing, not an error.
        assert!(y[3].is_nan());
        // Single unit and empty input.
        assert_eq!(denominate(&[3.0], &[1.5], 1.0).unwrap(), vec![2.0]);
        assert!(denominate(&[], &[], 1.0).unwrap().is_empty());
    }

    #[test]
    fn zero_denominator_shape_and_scale_are_errors() {
        match denominate(&[1.0, 2.0, 3.0], &[1.0, 0.0, f64::INFINITY], 1.0) {
            Err(StepError::Domain { units, .. }) => assert_eq!(units, vec![1, 2]),
            other => panic!("expected a domain error, got {other:?}"),
        }
        assert!(matches!(
            denominate(&[1.0], &[1.0, 2.0], 1.0),
            Err(StepError::Shape { .. })
        ));
        for s in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                denominate(&[1.0], &[1.0], s),
                Err(StepError::InvalidParameter { .. })
            ));
        }
    }
}
