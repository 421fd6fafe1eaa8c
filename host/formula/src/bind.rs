//! Tying a formula's names to columns and constants, and folding the parts that
//! are made of numbers and constants only.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::ops::Range;

use crate::error::{ErrorKind, FormulaError};
use crate::functions::Func;
use crate::ops::{self, BinOp, UnOp, finite};
use crate::parse::{Formula, NodeId, NodeKind};

/// What a name of a formula stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binding {
    /// A variable: the index of its column in the `columns` given to [`Bound::eval`].
    Column(usize),
    /// A named constant (e.g. from a methodology's `[constants]` table).
    Constant(f64),
}

/// The names a formula may use: a dataset's variables (each the index of its
/// column) and named constants. Built once, used to bind many formulas with
/// [`Formula::bind_scope`], which also reports names that are both, and suggests
/// close names for unknown ones.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub(crate) variables: BTreeMap<String, usize>,
    pub(crate) constants: BTreeMap<String, f64>,
}

impl Scope {
    /// A scope in which the `i`-th of `variables` is column `i`, without constants
    /// (add them with [`Scope::with_constants`]). When a name repeats, the first
    /// column wins.
    pub fn new<V: AsRef<str>>(variables: impl IntoIterator<Item = V>) -> Scope {
        let mut scope = Scope::default();
        for (i, v) in variables.into_iter().enumerate() {
            scope.variables.entry(v.as_ref().to_string()).or_insert(i);
        }
        scope
    }

    /// The scope with the named constants `constants` added: pairs of a name and a
    /// value, e.g. `[("target", 80.0)]` or a `&BTreeMap<String, f64>`.
    pub fn with_constants<C, V>(mut self, constants: impl IntoIterator<Item = (C, V)>) -> Scope
    where
        C: AsRef<str>,
        V: Borrow<f64>,
    {
        for (name, value) in constants {
            self.constants.insert(name.as_ref().to_string(), *value.borrow());
        }
        self
    }

    /// The names that are both a variable and a constant (sorted).
    pub fn conflicts(&self) -> impl Iterator<Item = &str> + '_ {
        self.constants
            .keys()
            .filter(|k| self.variables.contains_key(*k))
            .map(String::as_str)
    }
}

/// What a name resolves to while lowering.
pub(crate) enum Leaf {
    Column(usize),
    Constant(f64),
}

/// A bound, folded expression: constants are folded, names are columns.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Const(f64),
    Col(usize),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Clamp(Box<Expr>, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `coalesce`: at least two arguments.
    Coalesce(Vec<Expr>),
}

type Resolver<'r> = dyn FnMut(&str, &Range<usize>) -> Result<Leaf, FormulaError> + 'r;

/// The formula as an [`Expr`], names resolved with `resolve`, constant parts folded.
pub(crate) fn lower(formula: &Formula, resolve: &mut Resolver<'_>) -> Result<Expr, FormulaError> {
    Lowering { formula, resolve }.node(formula.root)
}

struct Lowering<'f, 'r, 'x> {
    formula: &'f Formula,
    resolve: &'x mut Resolver<'r>,
}

impl Lowering<'_, '_, '_> {
    fn node(&mut self, id: NodeId) -> Result<Expr, FormulaError> {
        let node = &self.formula.nodes[id];
        let span = &node.span;
        Ok(match &node.kind {
            NodeKind::Number(v) => Expr::Const(*v),
            NodeKind::Name(i) => {
                let (name, span) = &self.formula.names[*i];
                match (self.resolve)(name, span)? {
                    Leaf::Column(c) => Expr::Col(c),
                    Leaf::Constant(v) => Expr::Const(v),
                }
            }
            NodeKind::Neg(x) => {
                let x = self.node(*x)?;
                self.unary(UnOp::Neg, x, span)?
            }
            NodeKind::Not(x) => {
                let x = self.node(*x)?;
                self.unary(UnOp::Not, x, span)?
            }
            NodeKind::Binary(op, a, b) => {
                let a = self.node(*a)?;
                let b = self.node(*b)?;
                self.binary(*op, a, b, span)?
            }
            NodeKind::Call(func, args) => self.call(*func, args, span)?,
        })
    }

    fn unary(&self, op: UnOp, x: Expr, span: &Range<usize>) -> Result<Expr, FormulaError> {
        if let Expr::Const(v) = x {
            let r = op.apply(v);
            if op.checked() && !finite(r) && !v.is_nan() {
                return Err(self.no_value(span, op.classify(v)));
            }
            return Ok(Expr::Const(canonical(r)));
        }
        Ok(Expr::Unary(op, Box::new(x)))
    }

    fn binary(&self, op: BinOp, a: Expr, b: Expr, span: &Range<usize>) -> Result<Expr, FormulaError> {
        if let (Expr::Const(x), Expr::Const(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            let r = op.apply(x, y);
            if op.checked() && !finite(r) && !x.is_nan() && !y.is_nan() {
                return Err(self.no_value(span, op.classify(x, y, r)));
            }
            return Ok(Expr::Const(canonical(r)));
        }
        Ok(Expr::Binary(op, Box::new(a), Box::new(b)))
    }

    fn call(&mut self, func: Func, args: &[NodeId], span: &Range<usize>) -> Result<Expr, FormulaError> {
        let mut xs = Vec::with_capacity(args.len());
        for &a in args {
            xs.push(self.node(a)?);
        }
        // The parser checked the number of arguments; `next` never runs short.
        let mut xs = xs.into_iter();
        let mut next = || xs.next().unwrap_or(Expr::Const(ops::MISSING));
        Ok(match func {
            Func::Abs => self.unary(UnOp::Abs, next(), span)?,
            Func::Ln => self.unary(UnOp::Ln, next(), span)?,
            Func::Log1p => self.unary(UnOp::Log1p, next(), span)?,
            Func::Log10 => self.unary(UnOp::Log10, next(), span)?,
            Func::Exp => self.unary(UnOp::Exp, next(), span)?,
            Func::Sqrt => self.unary(UnOp::Sqrt, next(), span)?,
            Func::IsMissing => self.unary(UnOp::IsMissing, next(), span)?,
            Func::Pow => {
                let a = next();
                let b = next();
                self.binary(BinOp::Pow, a, b, span)?
            }
            Func::Min | Func::Max => {
                let op = if func == Func::Min { BinOp::Min } else { BinOp::Max };
                let mut acc = next();
                for x in xs.by_ref() {
                    acc = self.binary(op, acc, x, span)?;
                }
                acc
            }
            Func::Clamp => {
                let (x, lo, hi) = (next(), next(), next());
                if let (Expr::Const(l), Expr::Const(h)) = (&lo, &hi)
                    && l > h
                {
                    let text = |i: usize| {
                        args.get(i)
                            .map_or("", |&a| &self.formula.source[self.formula.nodes[a].span.clone()])
                    };
                    return Err(FormulaError::new(
                        ErrorKind::Constant,
                        span.clone(),
                        format!("the bounds of `clamp` are reversed: lo = {l} is greater than hi = {h}"),
                    )
                    .with_hint(format!("write `clamp({}, {}, {})`", text(0), text(2), text(1))));
                }
                match (&x, &lo, &hi) {
                    (Expr::Const(a), Expr::Const(l), Expr::Const(h)) => {
                        let r = ops::clamp(*a, *l, *h);
                        if !finite(r) && !a.is_nan() && !l.is_nan() && !h.is_nan() {
                            return Err(self.no_value(span, ops::classify_clamp(*l, *h)));
                        }
                        Expr::Const(canonical(r))
                    }
                    _ => Expr::Clamp(Box::new(x), Box::new(lo), Box::new(hi)),
                }
            }
            Func::If => {
                let (c, a, b) = (next(), next(), next());
                match c {
                    Expr::Const(v) => Expr::Const(ops::MISSING).or_select(v, a, b),
                    c => Expr::If(Box::new(c), Box::new(a), Box::new(b)),
                }
            }
            Func::Coalesce => {
                let mut all: Vec<Expr> = Vec::with_capacity(args.len());
                all.push(next());
                all.extend(xs.by_ref());
                fold_coalesce(all)
            }
        })
    }

    /// The error for a constant part (at `span`) that never has a value.
    fn no_value(&self, span: &Range<usize>, why: ops::DomainError) -> FormulaError {
        let text = &self.formula.source[span.clone()];
        let shown = if text.chars().count() > 40 {
            "this part of the formula".to_string()
        } else {
            format!("`{text}`")
        };
        FormulaError::new(
            ErrorKind::Constant,
            span.clone(),
            format!("{shown} has no value for any unit: it is {}", why.describe()),
        )
        .with_hint("if a missing value is meant, write `missing`")
    }
}

impl Expr {
    /// `if` with a constant condition `v`: the chosen branch, or `self` (missing)
    /// where `v` is missing.
    fn or_select(self, v: f64, a: Expr, b: Expr) -> Expr {
        if v.is_nan() {
            self
        } else if v != 0.0 {
            a
        } else {
            b
        }
    }
}

/// `coalesce` of `args`, with the constant arguments folded: a missing constant
/// is dropped, and nothing after a present constant is ever used.
fn fold_coalesce(args: Vec<Expr>) -> Expr {
    let mut kept = Vec::with_capacity(args.len());
    for a in args {
        match a {
            Expr::Const(v) if v.is_nan() => {}
            Expr::Const(v) => {
                kept.push(Expr::Const(v));
                break;
            }
            a => kept.push(a),
        }
    }
    match kept.len() {
        0 => Expr::Const(ops::MISSING),
        1 => kept.pop().unwrap_or(Expr::Const(ops::MISSING)),
        _ => Expr::Coalesce(kept),
    }
}

/// `x`, with any `NaN` made the one canonical missing value.
#[inline(always)]
fn canonical(x: f64) -> f64 {
    if x.is_nan() { ops::MISSING } else { x }
}
