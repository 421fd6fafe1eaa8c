//! Formulas: how an indicator is computed from a dataset's variables.
//!
//! A formula is one expression over the variables of a dataset (its columns) and
//! the methodology's named constants, for example
//!
//! ```text
//! metro_ridership_m / population_k * 1000
//! clamp((net_migration + 2.5) / 5 * 100, 0, 100)
//! if(area_km2 > 0, population_k / area_km2, missing)
//! ```
//!
//! It is computed for every unit (city) separately: `a / b` is, for each city, its
//! `a` divided by its `b`. The language is small and closed: no loops, no
//! assignments, no text, no I/O, no functions over units (no sums or means over
//! cities). Every formula is bounded in size and runs in time proportional to the
//! number of units, and gives the same bits on every platform.
//!
//! ```
//! use cityrank_formula::{Binding, Formula};
//!
//! let f = Formula::parse("ridership / population * 1000")?;
//! let bound = f.bind(|name| match name {
//!     "ridership" => Some(Binding::Column(0)),
//!     "population" => Some(Binding::Column(1)),
//!     _ => None,
//! })?;
//! let ridership = [30.0, 12.0, f64::NAN];
//! let population = [1500.0, 0.0, 800.0];
//! let out = bound.eval(&[&ridership, &population], 3);
//! assert_eq!(out.values[0], 30.0 / 1500.0 * 1000.0);
//! assert!(out.values[1].is_nan()); // 12 / 0: a domain error
//! assert!(out.values[2].is_nan()); // missing ridership: missing, no error
//! assert_eq!((out.domain_errors, out.first_domain_error), (1, Some(1)));
//! # Ok::<(), cityrank_formula::FormulaError>(())
//! ```
//!
//! # Language reference
//!
//! ## Values
//!
//! - **Numbers**: `12`, `2.5`, `.5`, `1.`, `1e6`, `1.5E-3`. The decimal separator is
//!   `.`; no thousands separators (`1_000` and `1,000` are errors).
//! - **Names**: a letter or `_`, then letters, digits and `_` (`population_k`,
//!   `_2020`); ASCII only, case-sensitive. A name is a variable of the dataset or a
//!   named constant of the methodology (a name may not be both).
//! - **Built-in values**: `missing` (the missing value), `pi` (π), `true` (1) and
//!   `false` (0).
//! - **Reserved words**: `and`, `or`, `not`, the built-in values and the function
//!   names cannot be used as names of variables or constants.
//!
//! ## Operators
//!
//! From the loosest binding to the tightest:
//!
//! | precedence | operators | meaning | grouping |
//! |---|---|---|---|
//! | 1 | `or` | either condition is true | left to right |
//! | 2 | `and` | both conditions are true | left to right |
//! | 3 | `not` | the condition is false (prefix) | — |
//! | 4 | `==` `!=` `<` `<=` `>` `>=` | comparisons, 1 (true) or 0 (false) | cannot be chained |
//! | 5 | `+` `-` | addition, subtraction | left to right |
//! | 6 | `*` `/` | multiplication, division | left to right |
//! | 7 | `-` `+` | negation (prefix) | — |
//! | 8 | `^` | power | right to left |
//! | 9 | `( … )`, `f( … )` | grouping, function call | — |
//!
//! So `1 + 2 * 3 ^ 2` is `1 + (2 * (3 ^ 2))` = 19, `2 ^ 3 ^ 2` is `2 ^ 9` = 512,
//! and **`-2 ^ 2` is `-(2 ^ 2)` = −4**, as in mathematics, Python and R (but not
//! Excel, where it is 4); write `(-2) ^ 2` for 4. An exponent may be negated:
//! `10 ^ -3` = 0.001. `a - b - c` is `(a - b) - c` and `a / b * c` is `(a / b) * c`.
//!
//! Comparisons do not chain: `0 < x < 1` is an error; write `0 < x and x < 1`.
//! There is no `=`, `<>`, `&&`, `||`, `!`, `**` or `%`: the error message says what
//! to write instead (`==`, `!=`, `and`, `or`, `not`, `^`).
//!
//! ## Functions
//!
//! | function | value |
//! |---|---|
//! | `if(condition, a, b)` | `a` where the condition is true, `b` where it is 0 |
//! | `min(a, b, …)` | the smallest argument (2 or more arguments) |
//! | `max(a, b, …)` | the largest argument (2 or more arguments) |
//! | `clamp(x, lo, hi)` | `lo` if `x < lo`, `hi` if `x > hi`, else `x` |
//! | `abs(x)` | the absolute value |
//! | `ln(x)` | the natural logarithm |
//! | `log1p(x)` | `ln(1 + x)`, exact also near 0 (the log of counts that may be 0) |
//! | `log10(x)` | the base-10 logarithm |
//! | `exp(x)` | e to the power `x` |
//! | `sqrt(x)` | the square root |
//! | `pow(x, y)` | `x ^ y` |
//! | `is_missing(x)` | 1 if `x` is missing, else 0 |
//! | `coalesce(a, b, …)` | the first argument that is not missing (2 or more arguments) |
//!
//! `min` and `max` compare the
//! values of one unit; `min(0, -0)` is `-0` and `max(-0, 0)` is `0`, whatever the
//! order of the arguments.
//!
//! ## Truth
//!
//! A condition is true where it is present and not 0, false where it is 0.
//! Comparisons, `and`, `or` and `not` give 1 (true) or 0 (false).
//!
//! ## Missing values
//!
//! A missing value (`NaN` in the data, or `missing`) **propagates**, as `NA` in R:
//! every operator and function with a missing operand gives missing — arithmetic,
//! comparisons, `and`, `or`, `not` (so `missing and 0` is missing, not 0), `min`,
//! `max`, `clamp`, `abs`, `ln`, `pow` (even `1 ^ missing` and `missing ^ 0`). Only
//! three functions look at missing values without passing them on:
//!
//! - `is_missing(x)` is 1 or 0;
//! - `coalesce(a, b, …)` is its first argument that is not missing;
//! - `if(c, a, b)` is missing where `c` is missing, and otherwise exactly the value
//!   of the chosen branch: `if(x > 0, y, missing)` is `y` where `x > 0` (missing if
//!   `y` is), and missing where `x ≤ 0`.
//!
//! ## Domain errors
//!
//! An operation on present values that has no finite result gives missing, and is
//! counted as a *domain error* for that unit, so that the author can be warned
//! (cityrank prints a warning naming the indicator, the number of units and the first):
//!
//! - `x / 0` (also `0 / 0`), `0 ^ y` with `y < 0`: division by zero;
//! - `ln(x)`, `log10(x)` with `x ≤ 0`, `log1p(x)` with `x ≤ -1`; `sqrt(x)` with `x < 0`;
//! - `x ^ y` with `x < 0` and `y` not an integer (`(-8) ^ (1/3)`);
//! - `clamp(x, lo, hi)` with `lo > hi` for that unit;
//! - a result too large for a number (`exp(1000)`, `1e200 * 1e200`), or an
//!   infinite value in the data.
//!
//! Errors count only where the value of the operation is used: in `if(c, a, b)`,
//! those of `a` count only for the units where `c` is true, those of `b` only where
//! `c` is 0 (`if(b != 0, a / b, 0)` counts none); in `coalesce(a, b, …)`, those of
//! `b` count only where `a` is missing, and so on. `and` and `or` evaluate both
//! sides, so guard with `if`, not with `and`: `b != 0 and a / b > 1` still divides
//! by zero where `b` is 0 (and is missing there).
//!
//! A part of a formula made only of numbers and constants that always has a
//! domain error (`1 / 0`, `ln(0)`, `100 / k` with the constant `k = 0`) is an error
//! when the formula is parsed or bound, as is `clamp` with constant bounds
//! `lo > hi`. To write a missing value, write `missing`.
//!
//! ## Exactness
//!
//! Each operation is the IEEE 754 double-precision operation it names, applied in
//! the order written (`a / b * 1000` is `(a / b) * 1000`; nothing is reordered or
//! fused), so its arithmetic gives the same bits as the same expression in Rust, C
//! or Python on doubles. `^`/`pow`, `exp`, `ln`, `log1p` and `log10` are those of the `libm`
//! crate (a port of musl's), not the platform's, so they too give the same bits on
//! every platform; `sqrt` and `abs` are exact. `clamp(x, lo, hi)` is Rust's
//! `f64::clamp`. Parts made only of numbers and constants are computed once, with
//! the same operations.
//!
//! ## Limits
//!
//! | limit | value |
//! |---|---|
//! | length of a formula | 4096 bytes |
//! | parts (numbers, names, operators, calls) | 512 |
//! | nesting depth | 64 |
//! | arguments of one function call | 64 |
//!
//! The nesting depth counts, around each part, the parentheses, function calls,
//! prefix operators (`-`, `+`, `not`) and exponents (the right side of `^`) that
//! enclose it: `-(a + sqrt(b ^ 2))` is 4 deep at the `2`. A chain of operators of
//! one level (`a + b - c + d`) adds no depth.
//!
//! ## Grammar
//!
//! ```text
//! formula        = or_expr
//! or_expr        = and_expr { "or" and_expr }
//! and_expr       = not_expr { "and" not_expr }
//! not_expr       = "not" not_expr | comparison
//! comparison     = additive [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) additive ]
//! additive       = multiplicative { ( "+" | "-" ) multiplicative }
//! multiplicative = unary { ( "*" | "/" ) unary }
//! unary          = ( "-" | "+" ) unary | power
//! power          = primary [ "^" unary ]
//! primary        = number | name | name "(" or_expr { "," or_expr } ")" | "(" or_expr ")"
//! number         = ( digits [ "." [ digits ] ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ]
//! name           = ( letter | "_" ) { letter | digit | "_" }
//! ```
//!
//! Spaces, tabs and line breaks between tokens are ignored.
//!
//! # Using the crate
//!
//! The limits are [`MAX_SOURCE_BYTES`], [`MAX_NODES`], [`MAX_DEPTH`] and
//! [`MAX_ARGUMENTS`]; [`is_reserved`] tells the reserved names and [`FUNCTIONS`]
//! lists the functions with their signatures. Domain errors are counted in
//! [`Evaluation::domain_errors`], by kind in [`Evaluation::by_kind`].
//!
//! [`Formula::parse`] checks a formula's syntax, functions and limits;
//! [`Formula::names`] lists the names it uses; [`Formula::bind`] (or
//! [`Formula::bind_scope`]) ties them to columns and constants, giving a
//! [`Bound`] formula whose [`Bound::eval`] computes it column-wise for all units.
//! Errors are [`FormulaError`]s with the byte span of the problem; [`closest`]
//! helps to suggest a variable for a misspelt name.

mod bind;
mod compile;
mod error;
mod eval;
mod functions;
mod lex;
mod ops;
mod parse;
mod suggest;

pub use bind::{Binding, Scope};
pub use error::{ErrorKind, FormulaError};
pub use eval::{Bound, CHUNK, DomainCount, Evaluation};
pub use functions::{FUNCTIONS, FunctionDoc, is_reserved};
pub use ops::DomainError;
pub use parse::Formula;
pub use suggest::closest;

/// The longest formula, in bytes of its source.
pub const MAX_SOURCE_BYTES: usize = 4096;

/// The most parts a formula may have: numbers, names, operators and function calls
/// (parentheses are not parts).
pub const MAX_NODES: usize = 512;

/// The deepest nesting of parentheses, function calls, prefix operators and
/// exponents (see the crate docs).
pub const MAX_DEPTH: usize = 64;

/// The most arguments of one function call.
pub const MAX_ARGUMENTS: usize = 64;
