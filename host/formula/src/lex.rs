//! Splitting a formula into tokens.
//!
//! The lexer stops at the first character it cannot use; that error becomes the
//! last token ([`Tok::Error`]), so the parser reports it only if it gets that far
//! (problems are reported in source order).

use std::ops::Range;

use crate::error::FormulaError;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Ident,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LParen,
    RParen,
    Comma,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// The end of the formula.
    End,
    /// A character (or operator) the language does not have: the error to report.
    Error(Box<FormulaError>),
}

/// A token and its byte range in the source.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

/// The tokens of a source, one at a time (so that the parser, which stops at the
/// first error or limit, never lexes more than it reads).
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    done: bool,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            done: false,
        }
    }

    /// Whether the last token ([`Tok::End`] or [`Tok::Error`]) was given.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    /// The next token; after the last one, [`Tok::End`] again.
    pub(crate) fn next_token(&mut self) -> Token {
        let src = self.src;
        let bytes = src.as_bytes();
        let mut i = self.pos;
        while let Some(c) = src[i..].chars().next() {
            if !c.is_whitespace() {
                break;
            }
            i += c.len_utf8();
        }
        let Some(c) = src[i..].chars().next() else {
            self.pos = src.len();
            self.done = true;
            return Token {
                tok: Tok::End,
                span: src.len()..src.len(),
            };
        };
        let start = i;
        let next = bytes.get(i + 1).copied();
        let simple = |tok: Tok, len: usize| Token {
            tok,
            span: start..start + len,
        };
        let token =
            match c {
                '0'..='9' => number(src, start),
                '.' if next.is_some_and(|b| b.is_ascii_digit()) => number(src, start),
                'a'..='z' | 'A'..='Z' | '_' => {
                    let end = src[start..]
                        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                        .map_or(src.len(), |n| start + n);
                    match src[end..].chars().next() {
                        Some(ch) if ch.is_alphabetic() => Err(FormulaError::syntax(
                            start..end + ch.len_utf8(),
                            format!("`{ch}` cannot be part of a name"),
                        )
                        .with_hint("names use the letters A–Z and a–z, the digits 0–9 and `_` only")),
                        _ => Ok(simple(Tok::Ident, end - start)),
                    }
                }
                '+' => Ok(simple(Tok::Plus, 1)),
                '-' => Ok(simple(Tok::Minus, 1)),
                '*' if next == Some(b'*') => Err(wrong(start..start + 2, "**", "for a power, write `^`: `x ^ 2`")),
                '*' => Ok(simple(Tok::Star, 1)),
                '/' => Ok(simple(Tok::Slash, 1)),
                '^' => Ok(simple(Tok::Caret, 1)),
                '(' => Ok(simple(Tok::LParen, 1)),
                ')' => Ok(simple(Tok::RParen, 1)),
                ',' => Ok(simple(Tok::Comma, 1)),
                '=' => match next {
                    Some(b'=') => Ok(simple(Tok::EqEq, 2)),
                    Some(b'>') => Err(wrong(
                        start..start + 2,
                        "=>",
                        "for \"greater than or equal\", write `>=`",
                    )),
                    Some(b'<') => Err(wrong(start..start + 2, "=<", "for \"less than or equal\", write `<=`")),
                    _ => Err(wrong(
                        start..start + 1,
                        "=",
                        "to compare, write `==`; a formula computes a value and assigns nothing",
                    )),
                },
                '!' if next == Some(b'=') => Ok(simple(Tok::Ne, 2)),
                '!' => Err(wrong(start..start + 1, "!", "for \"not\", write `not`: `not (a > b)`")),
                '<' => match next {
                    Some(b'=') => Ok(simple(Tok::Le, 2)),
                    Some(b'>') => Err(wrong(start..start + 2, "<>", "for \"not equal\", write `!=`")),
                    _ => Ok(simple(Tok::Lt, 1)),
                },
                '>' if next == Some(b'=') => Ok(simple(Tok::Ge, 2)),
                '>' => Ok(simple(Tok::Gt, 1)),
                '&' => {
                    let len = if next == Some(b'&') { 2 } else { 1 };
                    Err(wrong(
                        start..start + len,
                        &src[start..start + len],
                        "write `and`: `a > 0 and b > 0`",
                    ))
                }
                '|' => {
                    let len = if next == Some(b'|') { 2 } else { 1 };
                    Err(wrong(
                        start..start + len,
                        &src[start..start + len],
                        "write `or`: `a > 0 or b > 0`",
                    ))
                }
                '%' => Err(wrong(
                    start..start + 1,
                    "%",
                    "for a percentage, multiply or divide by 100; the language has no remainder",
                )),
                '[' | ']' | '{' | '}' => Err(FormulaError::syntax(start..start + 1, format!("unexpected `{c}`"))
                    .with_hint("group with `(` and `)`")),
                '"' | '\'' | '`' => Err(FormulaError::syntax(
                    start..start + 1,
                    format!("unexpected `{c}`: a formula has no text values"),
                )
                .with_hint("write a variable's name without quotes: `population_k`")),
                ';' => Err(
                    FormulaError::syntax(start..start + 1, "unexpected `;`: a formula is one expression")
                        .with_hint("separate the arguments of a function with `,`: `min(a, b)`"),
                ),
                '\u{2212}' | '\u{2013}' => Err(unicode(start, c, "-")),
                '\u{00d7}' | '\u{00b7}' | '\u{22c5}' => Err(unicode(start, c, "*")),
                '\u{00f7}' => Err(unicode(start, c, "/")),
                '\u{2264}' => Err(unicode(start, c, "<=")),
                '\u{2265}' => Err(unicode(start, c, ">=")),
                '\u{2260}' => Err(unicode(start, c, "!=")),
                '\u{00b2}' => Err(unicode(start, c, "^ 2")),
                '\u{00b3}' => Err(unicode(start, c, "^ 3")),
                c if c.is_alphabetic() => Err(FormulaError::syntax(
                    start..start + c.len_utf8(),
                    format!("`{c}` cannot be part of a name"),
                )
                .with_hint("names use the letters A–Z and a–z, the digits 0–9 and `_` only")),
                c => Err(FormulaError::syntax(
                    start..start + c.len_utf8(),
                    format!("unexpected character `{c}`"),
                )),
            };
        match token {
            Ok(t) => {
                self.pos = t.span.end;
                t
            }
            Err(e) => {
                self.done = true;
                self.pos = src.len();
                let span = e.span.clone();
                Token {
                    tok: Tok::Error(Box::new(e)),
                    span,
                }
            }
        }
    }
}

/// An operator of another language, with the one to use instead.
fn wrong(span: Range<usize>, op: &str, hint: &str) -> FormulaError {
    FormulaError::syntax(span, format!("`{op}` is not an operator")).with_hint(hint)
}

/// A typographic character with its ASCII spelling.
fn unicode(start: usize, c: char, ascii: &str) -> FormulaError {
    FormulaError::syntax(start..start + c.len_utf8(), format!("`{c}` is not an operator"))
        .with_hint(format!("write `{ascii}`"))
}

/// The number starting at `start`: `12`, `2.5`, `.5`, `1.`, `1e6`, `1.5E-3`.
fn number(src: &str, start: usize) -> Result<Token, FormulaError> {
    let b = src.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if b.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let k = digits(j);
        if k == j {
            return Err(FormulaError::syntax(
                start..j,
                format!("malformed number `{}`: the exponent has no digits", &src[start..j]),
            )
            .with_hint("write an exponent like `1e6` or `2.5e-3`"));
        }
        i = k;
    }
    let text = &src[start..i];
    match b.get(i) {
        Some(b'_') => {
            let end = src[start..]
                .find(|c: char| !(c.is_ascii_digit() || c == '_' || c == '.'))
                .map_or(src.len(), |n| start + n);
            let joined: String = src[start..end].chars().filter(|&c| c != '_').collect();
            return Err(FormulaError::syntax(start..end, "numbers cannot contain `_`")
                .with_hint(format!("write the digits without separators: `{joined}`")));
        }
        Some(b'.') => {
            return Err(
                FormulaError::syntax(start..i + 1, format!("malformed number `{text}.`"))
                    .with_hint("a number has at most one decimal point `.`"),
            );
        }
        Some(c) if c.is_ascii_alphabetic() => {
            return Err(FormulaError::syntax(
                start..i + 1,
                format!(
                    "a number cannot be followed directly by a letter: `{text}{}`",
                    *c as char
                ),
            )
            .with_hint(format!("to multiply, write `{text} * …`")));
        }
        _ => {}
    }
    let value: f64 = text
        .parse()
        .map_err(|_| FormulaError::syntax(start..i, format!("malformed number `{text}`")))?;
    if !value.is_finite() {
        return Err(FormulaError::syntax(
            start..i,
            format!("the number `{text}` is too large (the largest is about 1.8e308)"),
        ));
    }
    Ok(Token {
        tok: Tok::Num(value),
        span: start..i,
    })
}
