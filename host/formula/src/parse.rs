//! The parser: a recursive descent over the tokens, one function per precedence
//! level, into a flat tree (an arena of nodes).

use std::ops::Range;

use crate::error::{ErrorKind, FormulaError};
use crate::functions::{ALIASES, FUNCTIONS, Func, KEYWORDS, VALUES};
use crate::lex::{Lexer, Tok, Token};
use crate::ops::BinOp;
use crate::suggest::closest;
use crate::{MAX_ARGUMENTS, MAX_DEPTH, MAX_NODES, MAX_SOURCE_BYTES};

/// Index of a node in [`Formula::nodes`].
pub(crate) type NodeId = usize;

/// A node of the syntax tree.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    /// The text of the node (with its parentheses, if any).
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Number(f64),
    /// A variable or constant: index into [`Formula::names`].
    Name(usize),
    Neg(NodeId),
    Not(NodeId),
    Binary(BinOp, NodeId, NodeId),
    Call(Func, Vec<NodeId>),
}

/// A parsed formula: checked for syntax, function names, arities and limits, but
/// not yet tied to a dataset (see [`Formula::bind`]).
#[derive(Debug, Clone)]
pub struct Formula {
    pub(crate) source: String,
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
    /// Every name of a variable or constant, in source order, with its span.
    pub(crate) names: Vec<(String, Range<usize>)>,
}

impl Formula {
    /// The syntax tree of `source`, its names unchecked and its constant parts
    /// not yet folded ([`Formula::parse`] does both steps).
    ///
    /// Errors (a [`FormulaError`] with the byte span of the problem): a syntax
    /// error, an unknown function, a wrong number of arguments, a limit exceeded
    /// ([`MAX_SOURCE_BYTES`], [`MAX_NODES`], [`MAX_DEPTH`], [`MAX_ARGUMENTS`]).
    pub(crate) fn parse_syntax(source: &str) -> Result<Formula, FormulaError> {
        let mut p = Parser {
            src: source,
            lexer: Lexer::new(source),
            tokens: Vec::new(),
            pos: 0,
            nodes: Vec::new(),
            names: Vec::new(),
            depth: 0,
        };
        p.fill();
        if matches!(p.peek(), Tok::End) {
            return Err(FormulaError::syntax(0..source.len(), "the formula is empty")
                .with_expected("an expression")
                .with_hint("write an expression such as `a / b * 1000`"));
        }
        // The parser stops at the first error, and at the depth and size limits,
        // before it reads further: a syntax error or a limit met on the way is
        // reported before the length of the whole.
        let root = p.or_expr()?;
        p.expect_end()?;
        if source.len() > MAX_SOURCE_BYTES {
            return Err(FormulaError::new(
                ErrorKind::Limit,
                0..source.len(),
                format!(
                    "the formula is {} bytes long; the limit is {MAX_SOURCE_BYTES} bytes",
                    source.len()
                ),
            )
            .with_hint("split it into several indicators, or name repeated numbers as constants"));
        }
        let formula = Formula {
            source: source.to_string(),
            nodes: p.nodes,
            root,
            names: p.names,
        };
        Ok(formula)
    }

    /// The formula's text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The names of variables and constants the formula uses, each occurrence in
    /// source order, with its byte span in the source (built-in values such as
    /// `pi` and function names are not included).
    pub fn names(&self) -> impl Iterator<Item = (&str, Range<usize>)> + '_ {
        self.names.iter().map(|(n, s)| (n.as_str(), s.clone()))
    }
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    /// The tokens read so far: always up to `pos + 1` (one of lookahead), unless
    /// the last one is among them.
    tokens: Vec<Token>,
    pos: usize,
    nodes: Vec<Node>,
    names: Vec<(String, Range<usize>)>,
    depth: usize,
}

/// What an operand can be, for messages.
const OPERAND: &str = "an operand (a number, a name, a function call or `(`)";

impl Parser<'_> {
    /// Reads tokens up to `pos + 1`.
    fn fill(&mut self) {
        while self.tokens.len() < self.pos + 2 && !self.lexer.done() {
            let t = self.lexer.next_token();
            self.tokens.push(t);
        }
    }

    fn token(&self) -> &Token {
        // `fill` has read the token at `pos`, or the last token (`End` or `Error`),
        // at which the parser stops.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn span(&self) -> Range<usize> {
        self.token().span.clone()
    }

    fn text(&self, span: &Range<usize>) -> &str {
        &self.src[span.clone()]
    }

    /// The current token is the word `w`.
    fn at_word(&self, w: &str) -> bool {
        matches!(self.peek(), Tok::Ident) && self.text(&self.span()) == w
    }

    fn bump(&mut self) -> Range<usize> {
        let span = self.span();
        if !matches!(self.peek(), Tok::End | Tok::Error(_)) {
            self.pos += 1;
            self.fill();
        }
        span
    }

    fn push(&mut self, kind: NodeKind, span: Range<usize>) -> Result<NodeId, FormulaError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(FormulaError::new(
                ErrorKind::Limit,
                span,
                format!("the formula has more than {MAX_NODES} parts (numbers, names, operators and function calls)"),
            )
            .with_hint("split it into several indicators"));
        }
        self.nodes.push(Node { kind, span });
        Ok(self.nodes.len() - 1)
    }

    fn node_span(&self, id: NodeId) -> Range<usize> {
        self.nodes[id].span.clone()
    }

    fn binary(&mut self, op: BinOp, l: NodeId, r: NodeId) -> Result<NodeId, FormulaError> {
        let span = self.nodes[l].span.start..self.nodes[r].span.end;
        self.push(NodeKind::Binary(op, l, r), span)
    }

    /// One level deeper (a parenthesis, a call, a prefix operator or an exponent).
    fn enter(&mut self, span: Range<usize>) -> Result<(), FormulaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FormulaError::new(
                ErrorKind::Limit,
                span,
                format!(
                    "the formula is nested too deeply: more than {MAX_DEPTH} levels of parentheses, function calls, \
                     prefix operators and exponents"
                ),
            )
            .with_hint("split it into several indicators"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// The error for the current token where an operand was expected.
    fn expected_operand(&self) -> FormulaError {
        if let Tok::Error(e) = self.peek() {
            return (**e).clone();
        }
        let after = match self.pos.checked_sub(1).and_then(|p| self.tokens.get(p)) {
            Some(t) => format!("after `{}`", self.text(&t.span)),
            None => "at the start of the formula".to_string(),
        };
        let found = self.found();
        let mut e = FormulaError::syntax(self.span(), format!("expected an operand {after}, found {found}"))
            .with_expected(OPERAND);
        if self.at_word("not") {
            e = e.with_hint("`not` applies to a whole comparison; put it in parentheses: `(not x)`");
        } else if self.at_word("and") || self.at_word("or") {
            e = e.with_hint("`and` and `or` go between two conditions: `a > 0 and b > 0`");
        }
        e
    }

    /// The current token, for messages: `` `x` `` or "the end of the formula".
    fn found(&self) -> String {
        match self.peek() {
            Tok::End => "the end of the formula".to_string(),
            _ => format!("`{}`", self.text(&self.span())),
        }
    }

    /// The error for the current token after a complete operand, where `what`
    /// (e.g. "an operator or the end of the formula") was expected.
    fn unexpected_after_operand(&self, what: &str) -> FormulaError {
        if let Tok::Error(e) = self.peek() {
            return (**e).clone();
        }
        let found = self.found();
        let e = FormulaError::syntax(self.span(), format!("expected {what}, found {found}")).with_expected(what);
        match self.peek() {
            Tok::Ident if self.at_word("not") => {
                e.with_hint("`not` goes before what it negates: `not (a > b)`; for \"not equal\", write `!=`")
            }
            Tok::Num(_) | Tok::Ident | Tok::LParen => {
                let prev = match self.pos.checked_sub(1).and_then(|p| self.tokens.get(p)) {
                    Some(t) if matches!(t.tok, Tok::Num(_) | Tok::Ident) => self.text(&t.span),
                    _ => "(…)",
                };
                let next = match self.peek() {
                    Tok::LParen => "(…)",
                    _ => self.text(&self.span()),
                };
                e.with_hint(format!(
                    "two values next to each other need an operator between them, e.g. `*` to multiply: \
                     `{prev} * {next}`"
                ))
            }
            _ => e,
        }
    }

    fn expect_end(&mut self) -> Result<(), FormulaError> {
        match self.peek() {
            Tok::End => Ok(()),
            Tok::RParen => Err(FormulaError::syntax(
                self.span(),
                "unmatched `)`: there is no `(` to close",
            )),
            Tok::Comma => {
                let prev_num = self.pos > 0 && matches!(self.tokens[self.pos - 1].tok, Tok::Num(_));
                let next_num = matches!(self.tokens.get(self.pos + 1).map(|t| &t.tok), Some(Tok::Num(_)));
                let e = FormulaError::syntax(
                    self.span(),
                    "unexpected `,`: commas separate the arguments of a function call",
                );
                Err(if prev_num && next_num {
                    e.with_hint("the decimal separator is `.`: `2.5`")
                } else {
                    e
                })
            }
            _ => Err(self.unexpected_after_operand("an operator or the end of the formula")),
        }
    }

    // or_expr := and_expr ("or" and_expr)*
    fn or_expr(&mut self) -> Result<NodeId, FormulaError> {
        let mut l = self.and_expr()?;
        while self.at_word("or") {
            self.bump();
            let r = self.and_expr()?;
            l = self.binary(BinOp::Or, l, r)?;
        }
        Ok(l)
    }

    // and_expr := not_expr ("and" not_expr)*
    fn and_expr(&mut self) -> Result<NodeId, FormulaError> {
        let mut l = self.not_expr()?;
        while self.at_word("and") {
            self.bump();
            let r = self.not_expr()?;
            l = self.binary(BinOp::And, l, r)?;
        }
        Ok(l)
    }

    // not_expr := "not" not_expr | comparison
    fn not_expr(&mut self) -> Result<NodeId, FormulaError> {
        if self.at_word("not") {
            let start = self.bump();
            self.enter(start.clone())?;
            let x = self.not_expr()?;
            self.leave();
            let span = start.start..self.nodes[x].span.end;
            return self.push(NodeKind::Not(x), span);
        }
        self.comparison()
    }

    fn comparison_op(&self) -> Option<BinOp> {
        Some(match self.peek() {
            Tok::EqEq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            _ => return None,
        })
    }

    // comparison := additive (cmp additive)?   (not associative)
    fn comparison(&mut self) -> Result<NodeId, FormulaError> {
        let l = self.additive()?;
        let Some(op) = self.comparison_op() else { return Ok(l) };
        let op_span = self.bump();
        let r = self.additive()?;
        if self.comparison_op().is_some() {
            let second = self.bump();
            let mut e = FormulaError::syntax(second.clone(), "comparisons cannot be chained")
                .with_expected("an operator other than a comparison, or the end of the comparison");
            let (a, b) = (self.node_span(l), self.node_span(r));
            let hint = match self.additive() {
                Ok(c) => {
                    let c = self.node_span(c);
                    format!(
                        "to test both, write `{} {} {} and {} {} {}`",
                        self.text(&a),
                        self.text(&op_span),
                        self.text(&b),
                        self.text(&b),
                        self.text(&second),
                        self.text(&c)
                    )
                }
                Err(_) => "to test both, join two comparisons with `and`: `a < b and b < c`".to_string(),
            };
            e = e.with_hint(hint);
            return Err(e);
        }
        self.binary(op, l, r)
    }

    // additive := multiplicative (("+" | "-") multiplicative)*
    fn additive(&mut self) -> Result<NodeId, FormulaError> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.multiplicative()?;
            l = self.binary(op, l, r)?;
        }
    }

    // multiplicative := unary (("*" | "/") unary)*
    fn multiplicative(&mut self) -> Result<NodeId, FormulaError> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.unary()?;
            l = self.binary(op, l, r)?;
        }
    }

    // unary := ("-" | "+") unary | power
    fn unary(&mut self) -> Result<NodeId, FormulaError> {
        match self.peek() {
            Tok::Minus | Tok::Plus => {
                let minus = matches!(self.peek(), Tok::Minus);
                let start = self.bump();
                self.enter(start.clone())?;
                let x = self.unary()?;
                self.leave();
                if minus {
                    let span = start.start..self.nodes[x].span.end;
                    self.push(NodeKind::Neg(x), span)
                } else {
                    Ok(x)
                }
            }
            _ => self.power(),
        }
    }

    // power := primary ("^" unary)?   (right-associative through `unary`)
    fn power(&mut self) -> Result<NodeId, FormulaError> {
        let base = self.primary()?;
        if !matches!(self.peek(), Tok::Caret) {
            return Ok(base);
        }
        let caret = self.bump();
        self.enter(caret)?;
        let exponent = self.unary()?;
        self.leave();
        self.binary(BinOp::Pow, base, exponent)
    }

    // primary := number | name | name "(" arguments ")" | "(" or_expr ")"
    fn primary(&mut self) -> Result<NodeId, FormulaError> {
        match self.peek().clone() {
            Tok::Num(v) => {
                let span = self.bump();
                self.push(NodeKind::Number(v), span)
            }
            Tok::Ident => {
                let span = self.span();
                let name = self.text(&span).to_string();
                if KEYWORDS.contains(&name.as_str()) {
                    return Err(self.expected_operand());
                }
                self.bump();
                let call = matches!(self.peek(), Tok::LParen);
                if let Some(&(_, v)) = VALUES.iter().find(|(n, _)| *n == name) {
                    if call {
                        let e = FormulaError::syntax(span, format!("`{name}` is a value, not a function"));
                        return Err(if name == "missing" {
                            e.with_hint("to test for a missing value, write `is_missing(x)`")
                        } else {
                            e
                        });
                    }
                    return self.push(NodeKind::Number(v), span);
                }
                if call {
                    return self.call(&name, span);
                }
                if let Some(f) = Func::lookup(&name) {
                    return Err(
                        FormulaError::syntax(span, format!("`{name}` is a function, not a value"))
                            .with_expected("`(`")
                            .with_hint(format!("call it with its arguments: `{}`", f.doc().signature)),
                    );
                }
                self.names.push((name, span.clone()));
                let index = self.names.len() - 1;
                self.push(NodeKind::Name(index), span)
            }
            Tok::LParen => {
                let open = self.bump();
                self.enter(open.clone())?;
                let inner = self.or_expr()?;
                self.leave();
                match self.peek() {
                    Tok::RParen => {
                        let close = self.bump();
                        self.nodes[inner].span = open.start..close.end;
                        Ok(inner)
                    }
                    Tok::End => Err(FormulaError::syntax(open, "this `(` is never closed").with_expected("`)`")),
                    Tok::Comma => Err(FormulaError::syntax(
                        self.span(),
                        "unexpected `,` in parentheses that are not a function call",
                    )
                    .with_hint(
                        "commas separate the arguments of a function, e.g. `max(a, b)`; the decimal separator is `.`",
                    )),
                    _ => Err(self.unexpected_after_operand("`)` or an operator")),
                }
            }
            _ => Err(self.expected_operand()),
        }
    }

    /// A call of `name` (whose span is `name_span`); the current token is `(`.
    fn call(&mut self, name: &str, name_span: Range<usize>) -> Result<NodeId, FormulaError> {
        let Some(func) = Func::lookup(name) else {
            return Err(unknown_function(name, name_span));
        };
        let open = self.bump();
        self.enter(open.clone())?;
        let mut args = Vec::new();
        let close = if matches!(self.peek(), Tok::RParen) {
            self.bump()
        } else {
            loop {
                let arg = self.or_expr()?;
                args.push(arg);
                if args.len() > MAX_ARGUMENTS {
                    return Err(FormulaError::new(
                        ErrorKind::Limit,
                        self.node_span(arg),
                        format!("`{name}` has more than {MAX_ARGUMENTS} arguments; the limit is {MAX_ARGUMENTS}"),
                    )
                    .with_hint(format!("nest the calls: `{name}({name}(a, b, …), {name}(…))`")));
                }
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => break self.bump(),
                    Tok::End => {
                        return Err(FormulaError::syntax(
                            open,
                            format!("the `(` of this call of `{name}` is never closed"),
                        )
                        .with_expected("`)`"));
                    }
                    _ => {
                        return Err(self.unexpected_after_operand(&format!("`,` or `)` after an argument of `{name}`")));
                    }
                }
            }
        };
        self.leave();
        let span = name_span.start..close.end;
        let doc = func.doc();
        let n = args.len();
        let ok = n >= doc.min_args && doc.max_args.is_none_or(|m| n <= m);
        if !ok {
            let (count, params) = doc
                .signature
                .split_once('(')
                .map(|(_, rest)| rest.trim_end_matches(')'))
                .map_or((String::new(), ""), |params| {
                    let count = match doc.max_args {
                        Some(1) => "1 argument".to_string(),
                        Some(m) => format!("{m} arguments"),
                        None => format!("{} or more arguments", doc.min_args),
                    };
                    (count, params)
                });
            let found = match n {
                0 => "none".to_string(),
                n => n.to_string(),
            };
            let e = FormulaError::new(
                ErrorKind::Arity,
                span,
                format!("`{name}` takes {count} ({params}), found {found}"),
            );
            return Err(match func {
                Func::Min | Func::Max if n == 1 => e.with_hint(format!(
                    "`{name}` compares values of the same unit, e.g. `{name}(a, b)`; it is not the {} over units",
                    if func == Func::Min { "minimum" } else { "maximum" }
                )),
                _ => e.with_hint(format!("`{}` is {}", doc.signature, doc.description)),
            });
        }
        self.push(NodeKind::Call(func, args), span)
    }
}

/// The error for a call of `name`, which is no function.
fn unknown_function(name: &str, span: Range<usize>) -> FormulaError {
    let e = FormulaError::new(ErrorKind::UnknownFunction, span, format!("unknown function `{name}`"));
    if let Some((_, hint)) = ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(name)) {
        return e.with_hint(*hint);
    }
    let close = closest(name, FUNCTIONS.iter().map(|f| f.name), 3);
    if close.is_empty() {
        let all: Vec<String> = FUNCTIONS.iter().map(|f| format!("`{}`", f.name)).collect();
        e.with_hint(format!(
            "the functions are {}; to multiply by a parenthesis, write `{name} * (…)`",
            all.join(", ")
        ))
    } else {
        let list: Vec<String> = close.iter().map(|f| format!("`{f}`")).collect();
        e.with_hint(format!("did you mean {}?", list.join(" or ")))
    }
}
