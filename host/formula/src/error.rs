//! The error of parsing or binding a formula.

use std::fmt;
use std::ops::Range;

/// What kind of problem a [`FormulaError`] is, for callers that react differently
/// (e.g. list the dataset's variables for [`ErrorKind::UnknownName`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is not a formula: a stray or missing token, an unclosed `(`, an
    /// operator of another language (`=`, `&&`, `**`, …), a malformed number.
    Syntax,
    /// A call of a function the language does not have.
    UnknownFunction,
    /// A function called with the wrong number of arguments.
    Arity,
    /// One of the size limits ([`crate::MAX_SOURCE_BYTES`], [`crate::MAX_NODES`],
    /// [`crate::MAX_DEPTH`], [`crate::MAX_ARGUMENTS`]) is exceeded.
    Limit,
    /// A name that is neither a variable nor a constant (found by `bind`).
    UnknownName,
    /// A name that is both a variable and a constant (found by [`crate::Formula::bind_scope`]).
    Ambiguous,
    /// A part of the formula made only of numbers and constants never has a value
    /// (e.g. `1 / 0`, `ln(0)`), or `clamp` has constant bounds with `lo > hi`.
    Constant,
}

/// Why a formula could not be parsed or bound, and where.
///
/// `span` is a range of byte offsets into the formula's source (always on `char`
/// boundaries), so a caller can point at the offending text. The `Display` form is
/// `message`, then `; hint` when there is a hint, e.g.
/// ``unknown function `sqr`; did you mean `sqrt`?``. [`FormulaError::render`] adds
/// the source line with a caret under the span.
#[derive(Debug, Clone, PartialEq)]
pub struct FormulaError {
    /// What kind of problem this is.
    pub kind: ErrorKind,
    /// The offending text, as byte offsets into the source.
    pub span: Range<usize>,
    /// What is wrong, e.g. ``expected an operand after `*`, found the end of the formula``.
    pub message: String,
    /// What the parser expected at `span`, when that is one thing (e.g. `` `)` ``).
    pub expected: Option<String>,
    /// How to fix it, e.g. ``to compare, write `==` ``.
    pub hint: Option<String>,
}

impl FormulaError {
    pub(crate) fn new(kind: ErrorKind, span: Range<usize>, message: impl Into<String>) -> FormulaError {
        FormulaError {
            kind,
            span,
            message: message.into(),
            expected: None,
            hint: None,
        }
    }

    pub(crate) fn syntax(span: Range<usize>, message: impl Into<String>) -> FormulaError {
        FormulaError::new(ErrorKind::Syntax, span, message)
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> FormulaError {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn with_expected(mut self, expected: impl Into<String>) -> FormulaError {
        self.expected = Some(expected.into());
        self
    }

    /// The error with `source` (the formula it is about) shown on a line of its own
    /// and carets under the span, then the message and the hint:
    ///
    /// ```text
    /// a / popuation_k * 1000
    ///     ^^^^^^^^^^^ unknown variable `popuation_k`
    /// hint: did you mean `population_k`?
    /// ```
    ///
    /// Tabs and line breaks of the source are shown as spaces so the caret lines up
    /// (columns count `char`s).
    pub fn render(&self, source: &str) -> String {
        let start = clamp_to_boundary(source, self.span.start);
        let end = clamp_to_boundary(source, self.span.end.max(start));
        let shown: String = source
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        let pad = source[..start].chars().count();
        let width = source[start..end].chars().count().max(1);
        let mut out = format!("{shown}\n{}{} {}", " ".repeat(pad), "^".repeat(width), self.message);
        if let Some(hint) = &self.hint {
            out.push_str("\nhint: ");
            out.push_str(hint);
        }
        out
    }
}

/// The largest `char` boundary of `s` at or before `i` (and within `s`).
fn clamp_to_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FormulaError {}
