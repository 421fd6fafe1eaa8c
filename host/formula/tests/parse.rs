//! The parser: precedence, errors (kind, span, message, hint), limits, names.
#![allow(clippy::unwrap_used)]

use cityrank_formula::{
    Binding, ErrorKind, FUNCTIONS, Formula, FormulaError, MAX_ARGUMENTS, MAX_DEPTH, MAX_NODES, MAX_SOURCE_BYTES,
    is_reserved,
};

/// The value of a formula without names (folded at bind time).
fn value(source: &str) -> f64 {
    let f = Formula::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let b = f.bind(|_| None).unwrap_or_else(|e| panic!("{source}: {e}"));
    b.constant().unwrap_or_else(|| panic!("{source}: not constant"))
}

/// The value of a formula over one unit whose variables `a`, `b`, `c`, `d` are
/// columns (so nothing is folded).
fn value_of_columns(source: &str, a: f64, b: f64, c: f64, d: f64) -> f64 {
    let f = Formula::parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
    let bound = f
        .bind(|n| match n {
            "a" => Some(Binding::Column(0)),
            "b" => Some(Binding::Column(1)),
            "c" => Some(Binding::Column(2)),
            "d" => Some(Binding::Column(3)),
            _ => None,
        })
        .unwrap();
    assert_eq!(bound.constant(), None, "{source}");
    bound.eval(&[&[a], &[b], &[c], &[d]], 1).values[0]
}

fn error(source: &str) -> FormulaError {
    match Formula::parse(source) {
        Ok(_) => panic!("`{source}` parsed"),
        Err(e) => e,
    }
}

/// Checks an error's kind, the text its span covers, and pieces of its message
/// and hint.
fn check(source: &str, kind: ErrorKind, spanned: &str, message: &str, hint: Option<&str>) {
    let e = error(source);
    assert_eq!(e.kind, kind, "{source}: {e}");
    assert_eq!(&source[e.span.clone()], spanned, "{source}: span of {e}");
    assert!(
        e.message.contains(message),
        "{source}: message {:?} lacks {message:?}",
        e.message
    );
    match hint {
        Some(h) => {
            let got = e.hint.as_deref().unwrap_or_default();
            assert!(got.contains(h), "{source}: hint {got:?} lacks {h:?}");
        }
        None => assert_eq!(e.hint, None, "{source}"),
    }
}

#[test]
fn precedence_by_hand() {
    // 1 + (2 * (3 ^ 2)) = 1 + 2 * 9 = 19.
    assert_eq!(value("1 + 2 * 3 ^ 2"), 19.0);
    // -(2 ^ 2), not (-2) ^ 2.
    assert_eq!(value("-2^2"), -4.0);
    assert_eq!(value("(-2)^2"), 4.0);
    // 2 ^ (3 ^ 2) = 2 ^ 9 = 512, not (2 ^ 3) ^ 2 = 64.
    assert_eq!(value("2^3^2"), 512.0);
    // 2 ^ (-(2 ^ 2)) = 2 ^ -4 = 1/16 (as Python's 2**-2**2).
    assert_eq!(value("2^-2^2"), 0.0625);
    // Left to right: (1 - 2) - 3 = -4 (right to left would be 2); (8 / 4) / 2 = 1 (not 4).
    assert_eq!(value("1 - 2 - 3"), -4.0);
    assert_eq!(value("8 / 4 / 2"), 1.0);
    // `*` and `/` bind tighter than `+` and `-`: 2 + 12 / 4 - 1 = 2 + 3 - 1 = 4.
    assert_eq!(value("2 + 12 / 4 - 1"), 4.0);
    // Unary minus after `*`, and twice: 2 * (-3) = -6; -(-3) = 3.
    assert_eq!(value("2 * -3"), -6.0);
    assert_eq!(value("- -3"), 3.0);
    assert_eq!(value("+3"), 3.0);
    // `and` before `or`: 1 or (0 and 0) = 1; (1 or 0) and 0 would be 0.
    assert_eq!(value("1 or 0 and 0"), 1.0);
    // `not` looser than comparisons: not (1 == 2) = 1; (not 1) == 2 would be 0.
    assert_eq!(value("not 1 == 2"), 1.0);
    // Comparisons looser than arithmetic: (1 + 1) == 2.
    assert_eq!(value("1 + 1 == 2"), 1.0);
    assert_eq!(value("not not 5"), 1.0);
    // Built-in values.
    assert_eq!(value("true + true + false"), 2.0);
    assert_eq!(value("pi"), std::f64::consts::PI);
    assert!(value("missing").is_nan());
    // Numbers.
    assert_eq!(
        value(".5 + 1. + 1e6 + 1.5E-3 + 2.5e+1"),
        0.5 + 1.0 + 1e6 + 1.5e-3 + 25.0
    );
}

#[test]
fn precedence_over_columns_is_the_same() {
    assert_eq!(value_of_columns("a + b * c ^ d", 1.0, 2.0, 3.0, 2.0), 19.0);
    assert_eq!(value_of_columns("-a ^ b", 2.0, 2.0, 0.0, 0.0), -4.0);
    assert_eq!(value_of_columns("a ^ b ^ c", 2.0, 3.0, 2.0, 0.0), 512.0);
    assert_eq!(value_of_columns("a - b - c", 1.0, 2.0, 3.0, 0.0), -4.0);
    assert_eq!(value_of_columns("a / b / c", 8.0, 4.0, 2.0, 0.0), 1.0);
    assert_eq!(value_of_columns("a or b and c", 1.0, 0.0, 0.0, 0.0), 1.0);
    assert_eq!(value_of_columns("not a == b", 1.0, 2.0, 0.0, 0.0), 1.0);
}

#[test]
fn syntax_errors_say_what_was_expected_and_where() {
    use ErrorKind::Syntax;
    check(
        "a *",
        Syntax,
        "",
        "expected an operand after `*`, found the end of the formula",
        None,
    );
    check("a * * b", Syntax, "*", "expected an operand after `*`, found `*`", None);
    check(
        "* a",
        Syntax,
        "*",
        "expected an operand at the start of the formula, found `*`",
        None,
    );
    check("", Syntax, "", "the formula is empty", Some("a / b * 1000"));
    check("   ", Syntax, "   ", "the formula is empty", Some("a / b * 1000"));
    check(
        "a b",
        Syntax,
        "b",
        "expected an operator or the end of the formula, found `b`",
        Some("`a * b`"),
    );
    check("2 (x + 1)", Syntax, "(", "found `(`", Some("`2 * (…)`"));
    check("(a + b", Syntax, "(", "this `(` is never closed", None);
    check("((a + b) * c", Syntax, "(", "this `(` is never closed", None);
    assert_eq!(error("((a + b) * c").span, 0..1);
    check("a + b)", Syntax, ")", "unmatched `)`: there is no `(` to close", None);
    check("()", Syntax, ")", "expected an operand after `(`, found `)`", None);
    check(
        "(a b)",
        Syntax,
        "b",
        "expected `)` or an operator, found `b`",
        Some("`a * b`"),
    );
    check(
        "(2, 5)",
        Syntax,
        ",",
        "unexpected `,` in parentheses",
        Some("decimal separator is `.`"),
    );
    check(
        "2,5",
        Syntax,
        ",",
        "unexpected `,`",
        Some("the decimal separator is `.`: `2.5`"),
    );
    check(
        "min(a b)",
        Syntax,
        "b",
        "expected `,` or `)` after an argument of `min`, found `b`",
        Some("`a * b`"),
    );
    check(
        "min(a, b",
        Syntax,
        "(",
        "the `(` of this call of `min` is never closed",
        None,
    );
    check(
        "min(a, )",
        Syntax,
        ")",
        "expected an operand after `,`, found `)`",
        None,
    );
    check(
        "a < b < c",
        Syntax,
        "<",
        "comparisons cannot be chained",
        Some("`a < b and b < c`"),
    );
    assert_eq!(error("a < b < c").span, 6..7);
    check(
        "0 <= x > 1",
        Syntax,
        ">",
        "comparisons cannot be chained",
        Some("`0 <= x and x > 1`"),
    );
    check(
        "sqrt + 1",
        Syntax,
        "sqrt",
        "`sqrt` is a function, not a value",
        Some("`sqrt(x)`"),
    );
    check(
        "missing(x)",
        Syntax,
        "missing",
        "`missing` is a value, not a function",
        Some("is_missing(x)"),
    );
    check(
        "a and or b",
        Syntax,
        "or",
        "expected an operand after `and`, found `or`",
        Some("between two conditions"),
    );
    check("x == not y", Syntax, "not", "found `not`", Some("parentheses"));
    check("x not y", Syntax, "not", "found `not`", Some("`!=`"));
    check(
        "1e",
        Syntax,
        "1e",
        "malformed number `1e`: the exponent has no digits",
        Some("`1e6`"),
    );
    check("1.2.3", Syntax, "1.2.", "malformed number", Some("one decimal point"));
    check(
        "2x",
        Syntax,
        "2x",
        "a number cannot be followed directly by a letter",
        Some("`2 * …`"),
    );
    check("1_000", Syntax, "1_000", "numbers cannot contain `_`", Some("`1000`"));
    check("1e999", Syntax, "1e999", "too large", None);
    check("café", Syntax, "café", "`é` cannot be part of a name", Some("A–Z"));
    check("a $ b", Syntax, "$", "unexpected character `$`", None);
    check("[a]", Syntax, "[", "unexpected `[`", Some("`(` and `)`"));
    check("\"pop\"", Syntax, "\"", "no text values", Some("without quotes"));
    check("min(a; b)", Syntax, ";", "unexpected `;`", Some("`,`"));
}

#[test]
fn operators_of_other_languages_name_the_one_to_use() {
    let cases = [
        ("x = 1", "=", "`==`"),
        ("x <> 1", "<>", "`!=`"),
        ("x => 1", "=>", "`>=`"),
        ("x =< 1", "=<", "`<=`"),
        ("a && b", "&&", "`and`"),
        ("a & b", "&", "`and`"),
        ("a || b", "||", "`or`"),
        ("a | b", "|", "`or`"),
        ("!a", "!", "`not`"),
        ("a ** 2", "**", "`^`"),
        ("a % 2", "%", "100"),
        ("a \u{2212} b", "\u{2212}", "`-`"),
        ("a \u{00d7} b", "\u{00d7}", "`*`"),
        ("a \u{00f7} b", "\u{00f7}", "`/`"),
        ("a \u{2264} b", "\u{2264}", "`<=`"),
        ("a \u{2265} b", "\u{2265}", "`>=`"),
        ("a \u{2260} b", "\u{2260}", "`!=`"),
        ("a\u{00b2}", "\u{00b2}", "`^ 2`"),
    ];
    for (source, op, instead) in cases {
        check(
            source,
            ErrorKind::Syntax,
            op,
            &format!("`{op}` is not an operator"),
            Some(instead),
        );
    }
    // The message as a whole, as the brief of the language puts it.
    assert_eq!(
        error("x = 1").to_string(),
        "`=` is not an operator; to compare, write `==`; a formula computes a value and assigns nothing"
    );
}

#[test]
fn problems_are_reported_in_source_order() {
    // The stray `b` comes before the `=`: it is reported, not the `=`.
    check(
        "a b = 1",
        ErrorKind::Syntax,
        "b",
        "expected an operator",
        Some("`a * b`"),
    );
    // The `=` comes first.
    check(
        "a = b c",
        ErrorKind::Syntax,
        "=",
        "`=` is not an operator",
        Some("`==`"),
    );
}

#[test]
fn unknown_functions_get_suggestions_or_the_list() {
    use ErrorKind::UnknownFunction;
    check(
        "sqr(x)",
        UnknownFunction,
        "sqr",
        "unknown function `sqr`",
        Some("did you mean `sqrt`?"),
    );
    check(
        "MIN(a, b)",
        UnknownFunction,
        "MIN",
        "unknown function `MIN`",
        Some("did you mean `min`?"),
    );
    check(
        "clmap(x, 0, 1)",
        UnknownFunction,
        "clmap",
        "unknown function",
        Some("`clamp`"),
    );
    check(
        "log(x)",
        UnknownFunction,
        "log",
        "unknown function `log`",
        Some("`ln(x)`"),
    );
    check(
        "ifelse(a, b, c)",
        UnknownFunction,
        "ifelse",
        "unknown function",
        Some("`if(condition, a, b)`"),
    );
    check(
        "isna(x)",
        UnknownFunction,
        "isna",
        "unknown function",
        Some("`is_missing(x)`"),
    );
    check(
        "mean(a, b)",
        UnknownFunction,
        "mean",
        "unknown function",
        Some("not over units"),
    );
    // Nothing close: the list of all functions.
    let e = error("population(2)");
    assert_eq!(e.kind, UnknownFunction);
    let hint = e.hint.unwrap_or_default();
    for f in FUNCTIONS {
        assert!(hint.contains(&format!("`{}`", f.name)), "{hint}");
    }
    assert!(hint.contains("`population * (…)`"), "{hint}");
}

#[test]
fn wrong_numbers_of_arguments() {
    use ErrorKind::Arity;
    check(
        "clamp(x, 1)",
        Arity,
        "clamp(x, 1)",
        "`clamp` takes 3 arguments (x, lo, hi), found 2",
        Some("clamp(x, lo, hi)"),
    );
    check(
        "sqrt(a, b)",
        Arity,
        "sqrt(a, b)",
        "`sqrt` takes 1 argument (x), found 2",
        Some("square root"),
    );
    check(
        "sqrt()",
        Arity,
        "sqrt()",
        "`sqrt` takes 1 argument (x), found none",
        Some("square root"),
    );
    check(
        "if(a, b)",
        Arity,
        "if(a, b)",
        "`if` takes 3 arguments (condition, a, b), found 2",
        Some("where the condition"),
    );
    check(
        "pow(2)",
        Arity,
        "pow(2)",
        "`pow` takes 2 arguments (x, y), found 1",
        Some("x ^ y"),
    );
    check(
        "min(x)",
        Arity,
        "min(x)",
        "`min` takes 2 or more arguments (a, b, …), found 1",
        Some("not the minimum over units"),
    );
    check(
        "max(x)",
        Arity,
        "max(x)",
        "`max` takes 2 or more arguments",
        Some("not the maximum over units"),
    );
    check(
        "coalesce(x)",
        Arity,
        "coalesce(x)",
        "`coalesce` takes 2 or more arguments",
        Some("not missing"),
    );
    check("1 + abs()", Arity, "abs()", "found none", Some("absolute value"));
}

#[test]
fn constant_parts_without_value_are_errors() {
    use ErrorKind::Constant;
    check(
        "x + 1 / 0",
        Constant,
        "1 / 0",
        "`1 / 0` has no value for any unit: it is a division by zero",
        Some("`missing`"),
    );
    check("ln(0)", Constant, "ln(0)", "a logarithm", Some("`missing`"));
    check(
        "sqrt(-1) * x",
        Constant,
        "sqrt(-1)",
        "a square root of a negative number",
        Some("`missing`"),
    );
    check(
        "x * (-8) ^ (1 / 3)",
        Constant,
        "(-8) ^ (1 / 3)",
        "a negative number to a non-integer power",
        Some("`missing`"),
    );
    check("exp(1000) + x", Constant, "exp(1000)", "too large", Some("`missing`"));
    check(
        "clamp(x, 100, 0)",
        Constant,
        "clamp(x, 100, 0)",
        "the bounds of `clamp` are reversed: lo = 100 is greater than hi = 0",
        Some("`clamp(x, 0, 100)`"),
    );
    check(
        "clamp(x, 2 * 50, 0)",
        Constant,
        "clamp(x, 2 * 50, 0)",
        "lo = 100",
        Some("`clamp(x, 0, 2 * 50)`"),
    );
    // A missing constant is no error: it propagates.
    assert!(value("missing / 0").is_nan());
    assert!(value("ln(missing)").is_nan());
    // An error in a constant branch is an error even if the branch is not taken.
    check(
        "if(1, x, 1 / 0)",
        Constant,
        "1 / 0",
        "division by zero",
        Some("`missing`"),
    );
    // Equal bounds are fine.
    assert!(Formula::parse("clamp(x, 5, 5)").is_ok());
}

#[test]
fn depth_limit() {
    let nested = |n: usize| format!("{}x{}", "(".repeat(n), ")".repeat(n));
    assert!(Formula::parse(&nested(MAX_DEPTH)).is_ok());
    let e = error(&nested(MAX_DEPTH + 1));
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(
        e.message.contains("nested too deeply") && e.message.contains("64"),
        "{e}"
    );
    // The span is the 65th `(`.
    assert_eq!(e.span, MAX_DEPTH..MAX_DEPTH + 1);

    // Far too deep: an error, not a stack overflow.
    let e = error(&format!("{}1", "(".repeat(10_000)));
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(e.message.contains("more than 64 levels"), "{e}");
    let e = error(&format!("{}1", "-".repeat(10_000)));
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = error(&"not ".repeat(1_000));
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = error(&format!("{}1{}", "abs(".repeat(2_000), ")".repeat(2_000)));
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = error(&format!("2{}", "^2".repeat(2_000)));
    assert_eq!(e.kind, ErrorKind::Limit);

    // Each kind of level counts: 64 of them parse, 65 do not.
    for (open, close) in [("(", ")"), ("abs(", ")"), ("-", ""), ("not ", ""), ("1 ^ ", "")] {
        let ok = format!("{}1{}", open.repeat(MAX_DEPTH), close.repeat(MAX_DEPTH));
        assert!(Formula::parse(&ok).is_ok(), "{open}: {:?}", Formula::parse(&ok).err());
        let too_deep = format!("{}1{}", open.repeat(MAX_DEPTH + 1), close.repeat(MAX_DEPTH + 1));
        assert_eq!(error(&too_deep).kind, ErrorKind::Limit, "{open}");
    }
    // A long chain of one level adds no depth.
    assert!(Formula::parse(&format!("x{}", " + x".repeat(200))).is_ok());
}

#[test]
fn size_limits() {
    // 4096 bytes parse; 4097 do not.
    let ok = format!("1{}", " ".repeat(MAX_SOURCE_BYTES - 1));
    assert!(Formula::parse(&ok).is_ok());
    let long = format!("1{}", " ".repeat(MAX_SOURCE_BYTES));
    let e = error(&long);
    assert_eq!(e.kind, ErrorKind::Limit);
    assert_eq!(e.message, "the formula is 4097 bytes long; the limit is 4096 bytes");

    // n ones added: n numbers and n − 1 additions, 2n − 1 parts.
    let sum = |n: usize| vec!["1"; n].join("+");
    assert_eq!(2 * 256 - 1, MAX_NODES - 1);
    assert!(Formula::parse(&sum(256)).is_ok());
    let e = error(&sum(257));
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(e.message.contains("more than 512 parts"), "{e}");

    // 64 arguments are fine, 65 are not; the span is the 65th.
    let args = |n: usize| (0..n).map(|i| format!("x{i}")).collect::<Vec<_>>().join(", ");
    assert!(Formula::parse(&format!("max({})", args(MAX_ARGUMENTS))).is_ok());
    let source = format!("max({})", args(MAX_ARGUMENTS + 1));
    let e = error(&source);
    assert_eq!(e.kind, ErrorKind::Limit);
    assert_eq!(&source[e.span.clone()], "x64");
    assert!(e.message.contains("more than 64 arguments"), "{e}");
}

#[test]
fn names_in_source_order_with_spans() {
    let f = Formula::parse("if(a > pi, b_2 / a, coalesce(_c, missing)) + sqrt(true)").unwrap();
    let names: Vec<(&str, std::ops::Range<usize>)> = f.names().collect();
    assert_eq!(names, vec![("a", 3..4), ("b_2", 11..14), ("a", 17..18), ("_c", 29..31)]);
    assert_eq!(f.source(), "if(a > pi, b_2 / a, coalesce(_c, missing)) + sqrt(true)");
    assert_eq!(Formula::parse("1 + 2").unwrap().names().count(), 0);
}

#[test]
fn reserved_words() {
    for w in [
        "and",
        "or",
        "not",
        "missing",
        "pi",
        "true",
        "false",
        "if",
        "min",
        "clamp",
        "is_missing",
        "coalesce",
    ] {
        assert!(is_reserved(w), "{w}");
    }
    for w in ["population", "If", "minimum", "x", "PI"] {
        assert!(!is_reserved(w), "{w}");
    }
    // Names are case-sensitive: `PI` and `If` are ordinary names.
    let f = Formula::parse("PI + If").unwrap();
    assert_eq!(f.names().map(|(n, _)| n).collect::<Vec<_>>(), ["PI", "If"]);
}

#[test]
fn display_and_render() {
    let e = error("sqr(x)");
    assert_eq!(e.to_string(), "unknown function `sqr`; did you mean `sqrt`?");
    assert_eq!(
        e.render("sqr(x)"),
        "sqr(x)\n^^^ unknown function `sqr`\nhint: did you mean `sqrt`?"
    );
    let e = error("a *");
    assert_eq!(
        e.to_string(),
        "expected an operand after `*`, found the end of the formula"
    );
    assert_eq!(
        e.render("a *"),
        "a *\n   ^ expected an operand after `*`, found the end of the formula"
    );
    assert!(e.expected.unwrap_or_default().contains("an operand"));
    // Columns count characters, not bytes.
    let e = error("é + (");
    assert_eq!(
        e.render("é + ("),
        "é + (\n^ `é` cannot be part of a name\nhint: names use the letters A–Z and a–z, the digits 0–9 and `_` only"
    );
    let e = error("x\t+ (y");
    assert_eq!(e.render("x\t+ (y"), "x + (y\n    ^ this `(` is never closed");
}

#[test]
fn functions_table() {
    let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "if",
            "min",
            "max",
            "clamp",
            "abs",
            "ln",
            "log1p",
            "log10",
            "exp",
            "sqrt",
            "pow",
            "is_missing",
            "coalesce"
        ]
    );
    for f in FUNCTIONS {
        assert!(is_reserved(f.name));
        assert!(!f.description.is_empty());
        // Each function parses with its least number of arguments.
        let call = format!("{}({})", f.name, vec!["x"; f.min_args].join(", "));
        assert!(Formula::parse(&call).is_ok(), "{call}");
    }
}

#[test]
fn random_inputs_never_panic() {
    // Random strings of formula pieces (a 64-bit LCG, high bits): every one parses
    // or gives an error whose span lies on `char` boundaries of the source; those
    // that parse bind and evaluate.
    let pieces = [
        "x",
        "y",
        "1",
        "0",
        ".5",
        "1e3",
        "2.",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "^",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "and",
        "or",
        "not",
        "if(",
        "min(",
        "max(",
        "clamp(",
        "ln(",
        "sqrt(",
        "coalesce(",
        "is_missing(",
        "missing",
        "pi",
        " ",
        "=",
        "&&",
        "é",
        "\u{2212}",
        "_",
        "e",
        "1_",
        "9e999",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    let (mut parsed, mut failed) = (0, 0);
    for _ in 0..20_000 {
        let len = 1 + next(12);
        let source: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
        match Formula::parse(&source) {
            Ok(f) => {
                parsed += 1;
                let bound = f.bind(|n| Some(Binding::Column(usize::from(n == "y"))));
                if let Ok(b) = bound {
                    let out = b.eval(&[&[1.0, -2.0, 0.0, f64::NAN], &[0.0, 3.0, -1.0, 2.0]], 4);
                    assert_eq!(out.values.len(), 4);
                    assert!(out.values.iter().all(|v| v.is_finite() || v.is_nan()), "{source}");
                }
            }
            Err(e) => {
                failed += 1;
                assert!(source.get(e.span.clone()).is_some(), "{source}: span {:?}", e.span);
                assert!(!e.message.is_empty());
                let _ = e.render(&source);
            }
        }
    }
    // Both outcomes are exercised.
    assert!(parsed > 500 && failed > 500, "{parsed} parsed, {failed} failed");
}
