//! The built-in functions, keywords and values of the language.

/// One built-in function, for listing in help texts and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionDoc {
    /// The name, as written in a formula (e.g. `clamp`).
    pub name: &'static str,
    /// How it is called, e.g. `clamp(x, lo, hi)`; `…` marks more arguments.
    pub signature: &'static str,
    /// What it gives, in one line.
    pub description: &'static str,
    /// The least number of arguments.
    pub min_args: usize,
    /// The most arguments (`None`: up to [`crate::MAX_ARGUMENTS`]).
    pub max_args: Option<usize>,
}

/// Every function of the language, in the order of the reference.
pub const FUNCTIONS: &[FunctionDoc] = &[
    FunctionDoc {
        name: "if",
        signature: "if(condition, a, b)",
        description: "a where the condition is true (present and not 0), b where it is 0, missing where it is missing",
        min_args: 3,
        max_args: Some(3),
    },
    FunctionDoc {
        name: "min",
        signature: "min(a, b, …)",
        description: "the smallest of its arguments for each unit (missing if any is missing)",
        min_args: 2,
        max_args: None,
    },
    FunctionDoc {
        name: "max",
        signature: "max(a, b, …)",
        description: "the largest of its arguments for each unit (missing if any is missing)",
        min_args: 2,
        max_args: None,
    },
    FunctionDoc {
        name: "clamp",
        signature: "clamp(x, lo, hi)",
        description: "x limited to the range lo..hi: lo if x < lo, hi if x > hi, else x",
        min_args: 3,
        max_args: Some(3),
    },
    FunctionDoc {
        name: "abs",
        signature: "abs(x)",
        description: "the absolute value of x",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "ln",
        signature: "ln(x)",
        description: "the natural logarithm of x (x > 0)",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "log1p",
        signature: "log1p(x)",
        description: "ln(1 + x), exact also for x near 0 (x > -1); e.g. the log of counts that may be 0",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "log10",
        signature: "log10(x)",
        description: "the base-10 logarithm of x (x > 0)",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "exp",
        signature: "exp(x)",
        description: "e to the power x",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "sqrt",
        signature: "sqrt(x)",
        description: "the square root of x (x ≥ 0)",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "pow",
        signature: "pow(x, y)",
        description: "x to the power y, the same as x ^ y",
        min_args: 2,
        max_args: Some(2),
    },
    FunctionDoc {
        name: "is_missing",
        signature: "is_missing(x)",
        description: "1 if x is missing, else 0",
        min_args: 1,
        max_args: Some(1),
    },
    FunctionDoc {
        name: "coalesce",
        signature: "coalesce(a, b, …)",
        description: "the first of its arguments that is not missing (missing if all are)",
        min_args: 2,
        max_args: None,
    },
];

/// A built-in function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    If,
    Min,
    Max,
    Clamp,
    Abs,
    Ln,
    Log1p,
    Log10,
    Exp,
    Sqrt,
    Pow,
    IsMissing,
    Coalesce,
}

impl Func {
    /// The function called `name`.
    pub(crate) fn lookup(name: &str) -> Option<Func> {
        Some(match name {
            "if" => Func::If,
            "min" => Func::Min,
            "max" => Func::Max,
            "clamp" => Func::Clamp,
            "abs" => Func::Abs,
            "ln" => Func::Ln,
            "log1p" => Func::Log1p,
            "log10" => Func::Log10,
            "exp" => Func::Exp,
            "sqrt" => Func::Sqrt,
            "pow" => Func::Pow,
            "is_missing" => Func::IsMissing,
            "coalesce" => Func::Coalesce,
            _ => return None,
        })
    }

    /// Its entry in [`FUNCTIONS`] (which lists them in the order of the enum).
    pub(crate) fn doc(self) -> &'static FunctionDoc {
        &FUNCTIONS[self as usize]
    }
}

/// The built-in values: `(name, value)`.
pub(crate) const VALUES: &[(&str, f64)] = &[
    ("missing", f64::NAN),
    ("pi", std::f64::consts::PI),
    ("true", 1.0),
    ("false", 0.0),
];

/// The keywords (operators spelled as words).
pub(crate) const KEYWORDS: &[&str] = &["and", "or", "not"];

/// Whether `name` is taken by the language (a keyword, a built-in value such as
/// `pi` or `missing`, or a function name), so that a variable or constant of that
/// name could not be referred to in a formula.
pub fn is_reserved(name: &str) -> bool {
    KEYWORDS.contains(&name) || VALUES.iter().any(|(n, _)| *n == name) || Func::lookup(name).is_some()
}

/// Functions of other languages, with what to write instead.
pub(crate) const ALIASES: &[(&str, &str)] = &[
    ("log", "for the natural logarithm write `ln(x)`, for base 10 `log10(x)`"),
    ("ifelse", "write `if(condition, a, b)`"),
    ("iif", "write `if(condition, a, b)`"),
    ("isna", "write `is_missing(x)`"),
    ("is_na", "write `is_missing(x)`"),
    ("isnan", "write `is_missing(x)`"),
    ("isnull", "write `is_missing(x)`"),
    ("is_null", "write `is_missing(x)`"),
    ("ifnull", "write `coalesce(x, default)`"),
    ("nvl", "write `coalesce(x, default)`"),
    ("power", "write `pow(x, y)` or `x ^ y`"),
    (
        "sum",
        "add the values: `a + b + c` (formulas compute within one unit, not over units)",
    ),
    (
        "mean",
        "write `(a + b) / 2` (formulas compute within one unit, not over units)",
    ),
    (
        "avg",
        "write `(a + b) / 2` (formulas compute within one unit, not over units)",
    ),
    (
        "average",
        "write `(a + b) / 2` (formulas compute within one unit, not over units)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_enum_agree() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            let func = Func::lookup(f.name);
            assert_eq!(func.map(|x| x as usize), Some(i), "{}", f.name);
            assert!(f.signature.starts_with(&format!("{}(", f.name)));
        }
    }
}
