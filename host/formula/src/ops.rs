//! The value of each operation on one unit, shared by constant folding and the
//! column-wise evaluator so that both give the same bits.
//!
//! Every function here takes and returns plain `f64`s, with `NaN` for missing. The
//! *checked* operations (see [`UnOp::checked`], [`BinOp::checked`]) may return a
//! non-finite value from present operands; the caller turns that into missing and
//! counts a domain error (classified by `classify`).

use std::fmt;

/// The missing value.
pub(crate) const MISSING: f64 = f64::NAN;

/// Why an operation on present values gave no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DomainError {
    /// `x / 0` (also `0 / 0`), or `0 ^ y` with `y < 0`.
    DivisionByZero,
    /// `ln(x)` or `log10(x)` with `x ≤ 0`.
    Logarithm,
    /// `sqrt(x)` with `x < 0`.
    SquareRoot,
    /// `x ^ y` of a negative `x` with a non-integer `y` (e.g. `(-8) ^ (1/3)`).
    Power,
    /// `clamp(x, lo, hi)` with `lo > hi` for this unit.
    ClampBounds,
    /// A result too large to represent (e.g. `exp(1000)`, `1e200 * 1e200`), or an
    /// infinite value in the data.
    Overflow,
}

impl DomainError {
    /// Every kind, in the order of their bits in the evaluator's masks.
    pub const ALL: [DomainError; 6] = [
        DomainError::DivisionByZero,
        DomainError::Logarithm,
        DomainError::SquareRoot,
        DomainError::Power,
        DomainError::ClampBounds,
        DomainError::Overflow,
    ];

    /// A short description for messages, e.g. "a division by zero".
    pub fn describe(self) -> &'static str {
        match self {
            DomainError::DivisionByZero => "a division by zero",
            DomainError::Logarithm => "a logarithm of a number that is not positive",
            DomainError::SquareRoot => "a square root of a negative number",
            DomainError::Power => "a negative number to a non-integer power",
            DomainError::ClampBounds => "`clamp` bounds with lo > hi",
            DomainError::Overflow => "a result too large to represent (or an infinite input)",
        }
    }

    /// The bit of this kind in a per-unit mask.
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Whether `x` is a number (neither missing nor infinite).
#[inline(always)]
pub(crate) fn finite(x: f64) -> bool {
    x.abs() < f64::INFINITY
}

/// 1 for true, 0 for false.
#[inline(always)]
fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// Operations of one operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Neg,
    Not,
    Abs,
    Ln,
    Log1p,
    Log10,
    Exp,
    Sqrt,
    IsMissing,
}

impl UnOp {
    /// Whether the operation can give a non-finite value from a present operand.
    pub(crate) fn checked(self) -> bool {
        !matches!(self, UnOp::Not | UnOp::IsMissing)
    }

    /// The operation on one value.
    #[inline(always)]
    pub(crate) fn apply(self, x: f64) -> f64 {
        match self {
            UnOp::Neg => neg(x),
            UnOp::Not => not(x),
            UnOp::Abs => abs(x),
            UnOp::Ln => ln(x),
            UnOp::Log1p => log1p(x),
            UnOp::Log10 => log10(x),
            UnOp::Exp => exp(x),
            UnOp::Sqrt => sqrt(x),
            UnOp::IsMissing => is_missing(x),
        }
    }

    /// Why `self(x)` of a present `x` is not finite.
    pub(crate) fn classify(self, x: f64) -> DomainError {
        match self {
            UnOp::Ln | UnOp::Log10 if x <= 0.0 => DomainError::Logarithm,
            UnOp::Log1p if x <= -1.0 => DomainError::Logarithm,
            UnOp::Sqrt if x < 0.0 => DomainError::SquareRoot,
            _ => DomainError::Overflow,
        }
    }
}

/// Operations of two operands (`Coalesce` is `coalesce` of two; `Min`/`Max` of
/// more are chains of these, left to right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Min,
    Max,
    Coalesce,
}

impl BinOp {
    /// Whether the operation can give a non-finite value from present operands.
    pub(crate) fn checked(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow | BinOp::Min | BinOp::Max
        )
    }

    /// The operation on one pair of values.
    #[inline(always)]
    pub(crate) fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            BinOp::Add => add(a, b),
            BinOp::Sub => sub(a, b),
            BinOp::Mul => mul(a, b),
            BinOp::Div => div(a, b),
            BinOp::Pow => pow(a, b),
            BinOp::Eq => eq(a, b),
            BinOp::Ne => ne(a, b),
            BinOp::Lt => lt(a, b),
            BinOp::Le => le(a, b),
            BinOp::Gt => gt(a, b),
            BinOp::Ge => ge(a, b),
            BinOp::And => and(a, b),
            BinOp::Or => or(a, b),
            BinOp::Min => min(a, b),
            BinOp::Max => max(a, b),
            BinOp::Coalesce => coalesce(a, b),
        }
    }

    /// Why `self(a, b)` of present `a`, `b` is not finite (the result was `r`).
    pub(crate) fn classify(self, a: f64, b: f64, r: f64) -> DomainError {
        match self {
            BinOp::Div if b == 0.0 => DomainError::DivisionByZero,
            BinOp::Pow if a == 0.0 && b < 0.0 => DomainError::DivisionByZero,
            BinOp::Pow if r.is_nan() && finite(a) && finite(b) => DomainError::Power,
            _ => DomainError::Overflow,
        }
    }
}

#[inline(always)]
pub(crate) fn neg(x: f64) -> f64 {
    -x
}

#[inline(always)]
pub(crate) fn abs(x: f64) -> f64 {
    x.abs()
}

#[inline(always)]
pub(crate) fn ln(x: f64) -> f64 {
    if x.is_nan() { MISSING } else { libm::log(x) }
}

#[inline(always)]
pub(crate) fn log1p(x: f64) -> f64 {
    if x.is_nan() { MISSING } else { libm::log1p(x) }
}

#[inline(always)]
pub(crate) fn log10(x: f64) -> f64 {
    if x.is_nan() { MISSING } else { libm::log10(x) }
}

#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    if x.is_nan() { MISSING } else { libm::exp(x) }
}

#[inline(always)]
pub(crate) fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

#[inline(always)]
pub(crate) fn not(x: f64) -> f64 {
    if x.is_nan() { MISSING } else { truth(x == 0.0) }
}

#[inline(always)]
pub(crate) fn is_missing(x: f64) -> f64 {
    truth(x.is_nan())
}

#[inline(always)]
pub(crate) fn add(a: f64, b: f64) -> f64 {
    a + b
}

#[inline(always)]
pub(crate) fn sub(a: f64, b: f64) -> f64 {
    a - b
}

#[inline(always)]
pub(crate) fn mul(a: f64, b: f64) -> f64 {
    a * b
}

#[inline(always)]
pub(crate) fn div(a: f64, b: f64) -> f64 {
    a / b
}

/// `libm::pow`, except that a missing operand gives missing (IEEE's `pow(NaN, 0)`
/// and `pow(1, NaN)` are 1).
#[inline(always)]
pub(crate) fn pow(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        MISSING
    } else {
        libm::pow(a, b)
    }
}

macro_rules! comparison {
    ($name:ident, $op:tt) => {
        #[inline(always)]
        pub(crate) fn $name(a: f64, b: f64) -> f64 {
            if a.is_nan() || b.is_nan() { MISSING } else { truth(a $op b) }
        }
    };
}

comparison!(eq, ==);
comparison!(ne, !=);
comparison!(lt, <);
comparison!(le, <=);
comparison!(gt, >);
comparison!(ge, >=);

#[inline(always)]
pub(crate) fn and(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        MISSING
    } else {
        truth(a != 0.0 && b != 0.0)
    }
}

#[inline(always)]
pub(crate) fn or(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        MISSING
    } else {
        truth(a != 0.0 || b != 0.0)
    }
}

/// The smaller of `a` and `b`; missing if either is; `-0` below `+0` (IEEE
/// 754-2019 `minimum`, so the result does not depend on the order of the operands).
#[inline(always)]
pub(crate) fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        MISSING
    } else if a < b {
        a
    } else if b < a {
        b
    } else if a.is_sign_negative() {
        a
    } else {
        b
    }
}

/// The larger of `a` and `b`; missing if either is; `+0` above `-0`.
#[inline(always)]
pub(crate) fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        MISSING
    } else if a > b {
        a
    } else if b > a {
        b
    } else if a.is_sign_positive() {
        a
    } else {
        b
    }
}

/// `x.clamp(lo, hi)` (the same steps as Rust's `f64::clamp`), missing if any
/// operand is missing or `lo > hi` (where `f64::clamp` panics).
#[inline(always)]
pub(crate) fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() || lo.is_nan() || hi.is_nan() || lo > hi {
        return MISSING;
    }
    let mut v = x;
    if v < lo {
        v = lo;
    }
    if v > hi {
        v = hi;
    }
    v
}

/// Why `clamp(x, lo, hi)` of present operands is not finite.
pub(crate) fn classify_clamp(lo: f64, hi: f64) -> DomainError {
    if lo > hi {
        DomainError::ClampBounds
    } else {
        DomainError::Overflow
    }
}

/// `a` if present, else `b`.
#[inline(always)]
pub(crate) fn coalesce(a: f64, b: f64) -> f64 {
    if a.is_nan() { b } else { a }
}

/// `a` where `c` is true (present and non-zero), `b` where it is false (zero),
/// missing where `c` is missing.
#[inline(always)]
pub(crate) fn select(c: f64, a: f64, b: f64) -> f64 {
    if c.is_nan() {
        MISSING
    } else if c != 0.0 {
        a
    } else {
        b
    }
}
