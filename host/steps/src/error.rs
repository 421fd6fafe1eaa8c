//! The error type of every step.

use std::fmt;

/// Why a step could not compute its result. The host adds *where* (file, node,
/// indicator); this type says *what* and, where it can, how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum StepError {
    /// A parameter is out of its domain (e.g. a negative scale).
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// What was expected of it.
        expected: String,
    },
    /// Input values outside the domain of the method (e.g. zeros for a geometric mean).
    Domain {
        /// The method that cannot take these values.
        method: String,
        /// Indices of the offending units.
        units: Vec<usize>,
        /// What the method needs.
        needs: String,
        /// How to fix it.
        hint: String,
    },
    /// Too few values present to compute the result.
    NotEnoughData {
        /// What was being computed.
        what: String,
        /// How many values were present.
        present: usize,
        /// How many are needed.
        needed: usize,
    },
    /// Inputs whose shapes do not agree.
    Shape {
        /// What disagrees.
        what: String,
    },
    /// One input column makes the method undefined (e.g. a constant column, whose
    /// correlation with anything is undefined). The host names the column.
    Degenerate {
        /// Position of the column among the inputs.
        column: usize,
        /// What is wrong with it and what it makes undefined.
        why: String,
    },
    /// PCA loadings of mixed signs used as weights: some inputs run against the
    /// others (usually a direction mistake). The host names the inputs.
    MixedLoadings {
        /// The first component's loadings, one per input column.
        loadings: Vec<f64>,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::InvalidParameter { name, expected } => {
                write!(f, "parameter `{name}`: expected {expected}")
            }
            StepError::Domain {
                method,
                units,
                needs,
                hint,
            } => {
                write!(f, "{method} needs {needs}; {} unit(s) violate this", units.len())?;
                if !hint.is_empty() {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
            StepError::NotEnoughData { what, present, needed } => {
                write!(f, "{what}: {present} value(s) present, at least {needed} needed")
            }
            StepError::Shape { what } => write!(f, "shape mismatch: {what}"),
            StepError::Degenerate { column, why } => write!(f, "column {column} {why}"),
            StepError::MixedLoadings { loadings } => write!(
                f,
                "the first principal component's loadings have mixed signs ({loadings:?}): the inputs with negative \
                 loadings run against the others; check their directions, or use squared loadings"
            ),
        }
    }
}

impl std::error::Error for StepError {}
