//! The standard steps of a composite indicator, as pure numeric functions.
//!
//! This crate knows nothing about files, plugins or editions: every function takes
//! numbers and parameters and returns numbers (or a [`StepError`] that says what is
//! wrong with them). The host (`cityrank`) wires these steps into a pipeline chosen
//! by a methodology; the same functions back the sensitivity analysis, so they are
//! written to be allocation-light and fast.
//!
//! Conventions shared by every module:
//! - data are column-major: one `&[f64]` per indicator, one entry per unit;
//! - a missing value is `NaN` (see [`is_missing`]); functions never invent values
//!   for missing cells unless that is their job (imputation);
//! - direction is handled *inside* each normaliser (never by multiplying by −1), so
//!   ratio-based methods stay meaningful for lower-is-better indicators.

pub mod aggregate;
pub mod analysis;
pub mod denominate;
pub mod error;
pub mod experts;
pub mod impute;
pub mod normalise;
pub mod panel;
pub mod rank;
pub mod screen;
pub mod stats;
pub mod tiers;
pub mod weight;

pub mod lanes;
mod linalg;
mod lp;
mod optimise;
pub mod treat;

pub use error::StepError;

/// Whether a higher raw value is better or worse for the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Direction {
    /// Higher values are better (COINr direction `1`).
    HigherIsBetter,
    /// Lower values are better (COINr direction `-1`).
    LowerIsBetter,
}

impl Direction {
    /// COINr's numeric code: `1` or `-1`.
    pub fn sign(self) -> f64 {
        match self {
            Direction::HigherIsBetter => 1.0,
            Direction::LowerIsBetter => -1.0,
        }
    }
}

/// The missing-value marker used throughout: `NaN`.
pub const MISSING: f64 = f64::NAN;

/// Whether a cell is missing.
#[inline]
pub fn is_missing(x: f64) -> bool {
    x.is_nan()
}

/// The values of a column that are present, in order.
pub fn present(x: &[f64]) -> impl Iterator<Item = f64> + '_ {
    x.iter().copied().filter(|v| !is_missing(*v))
}
