//! Column helpers for [`Methodology::derive`](crate::Methodology::derive): element-wise
//! arithmetic on numeric columns, where a missing value is `f64::NAN` and stays
//! missing.
//!
//! This module is plain Rust over `&[f64]` (it does not touch the plugin bindings),
//! so its helpers also run and are tested natively. Columns of different lengths
//! are cut to the shorter, as [`Iterator::zip`] does; the host hands a plugin
//! columns of one length, one value per unit.
//!
//! The helpers are small and `#[inline]`: a plugin crate inlines them as it would a
//! helper of its own.

/// Element-wise `f(a, b)`; NaN (missing) propagates through the arithmetic of `f`.
///
/// ```
/// use cityrank_sdk::zip;
///
/// let pop_k = [1000.0, 200.0];
/// let internet_pct = [50.0, f64::NAN];
/// let online = zip(&pop_k, &internet_pct, |p, i| p * i / 100.0);
/// assert_eq!(online[0], 500.0);
/// assert!(online[1].is_nan());
/// ```
#[inline]
pub fn zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// `numerator ÷ denominator × scale`; missing (NaN) when either is missing or the
/// denominator is not positive.
///
/// ```
/// use cityrank_sdk::ratio;
///
/// // kg of CO2 per $: tonnes per person ÷ $ per person × 1000.
/// let kg_per_dollar = ratio(&[4.0, 4.0, 4.0], &[2000.0, 0.0, f64::NAN], 1000.0);
/// assert_eq!(kg_per_dollar[0], 2.0);
/// assert!(kg_per_dollar[1].is_nan() && kg_per_dollar[2].is_nan());
/// ```
#[inline]
pub fn ratio(numerator: &[f64], denominator: &[f64], scale: f64) -> Vec<f64> {
    zip(
        numerator,
        denominator,
        |n, d| if d > 0.0 { n / d * scale } else { f64::NAN },
    )
}

/// A value per 100 000 residents from a population in thousands:
/// `value ÷ (population_k ÷ 100)`, that is [`ratio`]`(values, population_k, 100)`;
/// missing where the population is missing or not positive.
///
/// ```
/// use cityrank_sdk::per_100k_residents;
///
/// // 30 metro stations in a city of 1.5 million (1500 thousand) people.
/// assert_eq!(per_100k_residents(&[30.0], &[1500.0]), vec![2.0]);
/// ```
#[inline]
pub fn per_100k_residents(values: &[f64], population_k: &[f64]) -> Vec<f64> {
    ratio(values, population_k, 100.0)
}

/// Zero where the city has no metro (`metro_km == 0`), whatever `values` says there
/// (a ridership cell may be 0 or empty); elsewhere `values` unchanged. A missing
/// metro length is not "no metro": the value is kept.
///
/// ```
/// use cityrank_sdk::zero_without_metro;
///
/// let trips = zero_without_metro(&[f64::NAN, 12.5, f64::NAN], &[0.0, 40.0, f64::NAN]);
/// assert_eq!(trips[..2], [0.0, 12.5]);
/// assert!(trips[2].is_nan());
/// ```
#[inline]
pub fn zero_without_metro(values: &[f64], metro_km: &[f64]) -> Vec<f64> {
    zip(values, metro_km, |v, km| if km == 0.0 { 0.0 } else { v })
}

/// Metro trips per resident: million trips ÷ thousand residents × 1000
/// ([`ratio`], so missing where the population is missing or not positive), and 0
/// for a city without a metro (see [`zero_without_metro`]).
///
/// ```
/// use cityrank_sdk::trips_per_resident;
///
/// let ridership_m = [150.0, f64::NAN];
/// let population_k = [1000.0, 800.0];
/// let metro_km = [60.0, 0.0];
/// assert_eq!(trips_per_resident(&ridership_m, &population_k, &metro_km), vec![150.0, 0.0]);
/// ```
#[inline]
pub fn trips_per_resident(ridership_m: &[f64], population_k: &[f64], metro_km: &[f64]) -> Vec<f64> {
    // One pass (no intermediate column): `zero_without_metro` of `ratio`.
    ridership_m
        .iter()
        .zip(population_k)
        .zip(metro_km)
        .map(|((&r, &p), &km)| {
            if km == 0.0 {
                0.0
            } else if p > 0.0 {
                r / p * 1000.0
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// A city's economic size in billion $: thousand people × $ per person ÷ 10⁶;
/// missing when either is missing.
///
/// ```
/// use cityrank_sdk::city_product_bn;
///
/// // 2 million people at $30 000 per person: $60 billion.
/// assert_eq!(city_product_bn(&[2000.0], &[30_000.0]), vec![60.0]);
/// ```
#[inline]
pub fn city_product_bn(population_k: &[f64], gdp_per_capita: &[f64]) -> Vec<f64> {
    zip(population_k, gdp_per_capita, |p, g| p * g / 1e6)
}

/// `ln x` of each value; missing for a missing or non-positive `x` (a logarithm
/// needs `x > 0`).
///
/// ```
/// use cityrank_sdk::ln;
///
/// let y = ln(&[1.0, 0.0, -3.0]);
/// assert_eq!(y[0], 0.0);
/// assert!(y[1].is_nan() && y[2].is_nan());
/// ```
#[inline]
pub fn ln(x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| if v > 0.0 { v.ln() } else { f64::NAN }).collect()
}

/// `ln(1 + x)` of each count (0 stays 0); missing stays missing.
///
/// ```
/// use cityrank_sdk::log1p;
///
/// let y = log1p(&[0.0, f64::NAN]);
/// assert_eq!(y[0], 0.0);
/// assert!(y[1].is_nan());
/// ```
#[inline]
pub fn log1p(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v.ln_1p()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAN: f64 = f64::NAN;

    /// Equal, with NaN equal to NaN (bit-for-bit for the values compared here).
    fn same(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || x.is_nan() && y.is_nan())
    }

    #[test]
    fn zip_applies_f_and_propagates_missing() {
        assert!(same(
            &zip(&[1.0, 2.0, NAN], &[10.0, NAN, 3.0], |a, b| a + b),
            &[11.0, NAN, NAN]
        ));
        // Cut to the shorter column.
        assert_eq!(zip(&[1.0, 2.0], &[1.0], |a, b| a * b), vec![1.0]);
        assert!(zip(&[], &[], |a, b| a - b).is_empty());
    }

    #[test]
    fn ratio_is_missing_unless_the_denominator_is_positive() {
        let n = [3.0, 3.0, 3.0, 3.0, NAN, 0.0];
        let d = [4.0, 0.0, -1.0, NAN, 2.0, 5.0];
        assert!(same(&ratio(&n, &d, 100.0), &[75.0, NAN, NAN, NAN, NAN, 0.0]));
        // The same operations in the same order as `n / d * scale`.
        let (x, y) = (0.1, 0.3);
        assert_eq!(ratio(&[x], &[y], 1000.0)[0].to_bits(), (x / y * 1000.0).to_bits());
    }

    #[test]
    fn per_100k_residents_scales_by_thousands() {
        assert!(same(
            &per_100k_residents(&[25.0, 7.0, 7.0], &[500.0, 0.0, NAN]),
            &[5.0, NAN, NAN]
        ));
    }

    #[test]
    fn zero_without_metro_only_where_the_length_is_zero() {
        let values = [NAN, 4.0, 4.0, NAN, 9.0];
        let km = [0.0, 0.0, NAN, 12.0, -0.0];
        assert!(same(&zero_without_metro(&values, &km), &[0.0, 0.0, 4.0, NAN, 0.0]));
    }

    #[test]
    fn trips_per_resident_combines_ratio_and_no_metro() {
        let ridership_m = [300.0, 0.0, NAN, 50.0, 50.0];
        let population_k = [2000.0, 100.0, 100.0, NAN, 0.0];
        let metro_km = [80.0, 0.0, 0.0, 10.0, 10.0];
        assert!(same(
            &trips_per_resident(&ridership_m, &population_k, &metro_km),
            &[150.0, 0.0, 0.0, NAN, NAN]
        ));
        // The one-pass version is exactly `zero_without_metro` of `ratio`, on every
        // combination of ordinary and edge values.
        let values = [0.0, -0.0, 1.0, 0.1, 3.0, -2.0, NAN, f64::INFINITY];
        let (mut r, mut p, mut km) = (Vec::new(), Vec::new(), Vec::new());
        for &a in &values {
            for &b in &values {
                for &c in &values {
                    r.push(a);
                    p.push(b);
                    km.push(c);
                }
            }
        }
        let two_steps = zero_without_metro(&ratio(&r, &p, 1000.0), &km);
        assert!(same(&trips_per_resident(&r, &p, &km), &two_steps));
    }

    #[test]
    fn city_product_is_in_billions() {
        assert!(same(
            &city_product_bn(&[1500.0, NAN, 10.0], &[20_000.0, 1.0, NAN]),
            &[30.0, NAN, NAN]
        ));
        let (p, g) = (1234.5, 6789.1);
        assert_eq!(city_product_bn(&[p], &[g])[0].to_bits(), (p * g / 1e6).to_bits());
    }

    #[test]
    fn ln_needs_positive_values() {
        assert!(same(
            &ln(&[1.0, 2.0, 0.0, -0.0, -1.0, NAN]),
            &[0.0, 2f64.ln(), NAN, NAN, NAN, NAN]
        ));
        assert_eq!(ln(&[f64::INFINITY]), vec![f64::INFINITY]);
    }

    #[test]
    fn log1p_of_counts() {
        assert!(same(&log1p(&[0.0, 1.5, NAN]), &[0.0, 1.5f64.ln_1p(), NAN]));
        assert_eq!(log1p(&[1e-20])[0], 1e-20);
    }
}
