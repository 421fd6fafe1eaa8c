//! A formula from its text to a program: [`Formula::parse`] (the syntax, then the
//! parts made only of numbers checked), [`Formula::bind`] and
//! [`Formula::bind_scope`] (names resolved, constants folded, compiled for
//! [`Bound::eval`]). The stages below do not know of one another's callers:
//! `lex` ← `parse` ← `bind` ← `eval` ← here.

use crate::bind::{Binding, Leaf, Scope, lower};
use crate::error::{ErrorKind, FormulaError};
use crate::eval::Bound;
use crate::parse::Formula;
use crate::suggest::closest;

impl Formula {
    /// Parses `source` (see the crate docs for the language).
    ///
    /// Errors (a [`FormulaError`] with the byte span of the problem): a syntax
    /// error, an unknown function, a wrong number of arguments, a limit exceeded
    /// ([`crate::MAX_SOURCE_BYTES`], [`crate::MAX_NODES`], [`crate::MAX_DEPTH`],
    /// [`crate::MAX_ARGUMENTS`]), or a part made only of numbers that never has a
    /// value (`1 / 0`, `clamp(x, 9, 1)`). Names are not checked: that is
    /// [`Formula::bind`]'s job.
    pub fn parse(source: &str) -> Result<Formula, FormulaError> {
        let formula = Formula::parse_syntax(source)?;
        // Fold the parts made of numbers only, to report `1 / 0` and reversed
        // constant `clamp` bounds now (every name stands for a column here).
        lower(&formula, &mut |_, _| Ok(Leaf::Column(0)))?;
        Ok(formula)
    }

    /// Binds every name of the formula with `resolve`, which says what a name
    /// stands for (`None`: nothing), and folds the parts made only of numbers and
    /// constants (with the very operations of evaluation, so the bits are the same).
    ///
    /// `resolve` is called once per occurrence of a name, in source order.
    ///
    /// Errors: ``unknown variable `x` `` ([`ErrorKind::UnknownName`], spanning the
    /// first name that `resolve` does not know; use [`crate::closest`] for a
    /// suggestion), or a part made only of numbers and constants that has no value
    /// ([`ErrorKind::Constant`]: `x / k` is fine with `k = 0`, but `100 / k` is an
    /// error, and so is `clamp(x, lo, hi)` with constants `lo > hi`).
    pub fn bind(&self, mut resolve: impl FnMut(&str) -> Option<Binding>) -> Result<Bound, FormulaError> {
        let expr = lower(self, &mut |name, span| match resolve(name) {
            Some(Binding::Column(c)) => Ok(Leaf::Column(c)),
            Some(Binding::Constant(v)) => Ok(Leaf::Constant(v)),
            None => Err(FormulaError::new(
                ErrorKind::UnknownName,
                span.clone(),
                format!("unknown variable `{name}`"),
            )),
        })?;
        Ok(Bound::compile(&expr))
    }

    /// As [`Formula::bind`], with the names of `scope`. Errors also: a name that is
    /// both a variable and a constant ([`ErrorKind::Ambiguous`]); an unknown name
    /// comes with up to three close names of the scope as a hint
    /// (``unknown variable `popuation_k`; did you mean `population_k`?``).
    pub fn bind_scope(&self, scope: &Scope) -> Result<Bound, FormulaError> {
        let expr = lower(
            self,
            &mut |name, span| match (scope.variables.get(name), scope.constants.get(name)) {
                (Some(_), Some(_)) => Err(FormulaError::new(
                    ErrorKind::Ambiguous,
                    span.clone(),
                    format!("`{name}` is both a variable and a constant"),
                )
                .with_hint("rename the constant")),
                (Some(&c), None) => Ok(Leaf::Column(c)),
                (None, Some(&v)) => Ok(Leaf::Constant(v)),
                (None, None) => {
                    let names = scope.variables.keys().chain(scope.constants.keys()).map(String::as_str);
                    let close = closest(name, names, 3);
                    let e = FormulaError::new(
                        ErrorKind::UnknownName,
                        span.clone(),
                        format!("unknown variable `{name}`"),
                    );
                    Err(if close.is_empty() {
                        e
                    } else {
                        let list: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
                        e.with_hint(format!("did you mean {}?", list.join(" or ")))
                    })
                }
            },
        )?;
        Ok(Bound::compile(&expr))
    }
}
