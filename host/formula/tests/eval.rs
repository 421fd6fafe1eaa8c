//! Evaluation: missing values, domain errors (and where they count), bit-identity
//! with plain Rust expressions, chunk boundaries, constants and binding.
//!
//! Expected values are worked out by hand in the comments, or computed by the plain
//! Rust expression the formula stands for (the independent reference).
#![allow(clippy::unwrap_used)]

use cityrank_formula::{Binding, CHUNK, DomainCount, DomainError, ErrorKind, Evaluation, Formula, Scope};

const NAN: f64 = f64::NAN;

/// Evaluates `source` with variables `x`, `y`, `z` (columns 0, 1, 2; all of the
/// length of `x`) and the constant `k = 4`.
fn eval(source: &str, x: &[f64], y: &[f64], z: &[f64]) -> Evaluation {
    let scope = Scope::new(["x", "y", "z"]).with_constants([("k", 4.0)]);
    let bound = Formula::parse(source)
        .and_then(|f| f.bind_scope(&scope))
        .unwrap_or_else(|e| panic!("{source}: {e}"));
    bound.eval(&[x, y, z], x.len())
}

/// The value for one unit.
fn one(source: &str, x: f64, y: f64, z: f64) -> Evaluation {
    eval(source, &[x], &[y], &[z])
}

/// Asserts `a` and `b` are the same bits (so `NaN` equals `NaN`, and `-0` is not `0`).
#[track_caller]
fn same(a: f64, b: f64, what: &str) {
    assert_eq!(a.to_bits(), b.to_bits(), "{what}: {a:?} vs {b:?}");
}

/// A deterministic stream (a 64-bit LCG) of awkward values: NaN, ±0, negatives,
/// huge (up to `f64::MAX`), tiny and subnormal numbers, and ordinary ones.
struct Lcg(u64);

impl Lcg {
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0
    }

    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn value(&mut self) -> f64 {
        // High bits: the low bits of a power-of-two LCG cycle with short periods.
        let sign = if self.next_u64() >> 63 == 0 { 1.0 } else { -1.0 };
        match (self.next_u64() >> 33) % 12 {
            0 => NAN,
            1 => 0.0,
            2 => -0.0,
            3 => sign * self.unit() * f64::MAX,
            4 => sign * self.unit() * 1e-300,
            5 => sign * f64::MIN_POSITIVE * self.unit(), // subnormal
            6 => sign * ((self.next_u64() >> 33) % 7) as f64 - 2.5, // exactly on a bound sometimes
            7 => -2.5,
            8 => 17.5,
            _ => sign * self.unit() * 200.0 - 50.0,
        }
    }
}

fn values(seed: u64, n: usize) -> Vec<f64> {
    let mut g = Lcg(seed);
    (0..n).map(|_| g.value()).collect()
}

#[test]
fn arithmetic_is_bit_identical_to_rust() {
    let x = values(1, 5000);
    let y = values(2, 5000);
    // (formula, the Rust expression, whether it reads y)
    type Case = (&'static str, fn(f64, f64) -> f64, bool);
    let cases: Vec<Case> = vec![
        ("(x + 2.5) / 5 * 100", |x, _| (x + 2.5) / 5.0 * 100.0, false),
        ("x / y * 1000", |x, y| x / y * 1000.0, true),
        ("x - y - 3", |x, y| x - y - 3.0, true),
        ("x * y + x / 3", |x, y| x * y + x / 3.0, true),
        ("-x * y", |x, y| -x * y, true),
        ("abs(x) * 0.1 - y", |x, y| x.abs() * 0.1 - y, true),
        ("sqrt(x) + sqrt(y)", |x, y| x.sqrt() + y.sqrt(), true),
        ("ln(x) - log10(y)", |x, y| libm::log(x) - libm::log10(y), true),
        ("exp(x / 100) * y", |x, y| libm::exp(x / 100.0) * y, true),
        (
            "x ^ 2 + pow(y, 0.5)",
            |x, y| libm::pow(x, 2.0) + libm::pow(y, 0.5),
            true,
        ),
    ];
    let mut total_errors = 0;
    for (source, rust, reads_y) in cases {
        let out = eval(source, &x, &y, &[]);
        for i in 0..x.len() {
            let r = rust(x[i], y[i]);
            let want = if r.is_finite() { r } else { f64::NAN };
            same(
                out.values[i],
                want,
                &format!("{source} at {i} (x = {:e}, y = {:e})", x[i], y[i]),
            );
        }
        // Over the units whose inputs are all present, a result that is not finite
        // means that some operation failed: a domain error, and nothing else is.
        let (px, py): (Vec<f64>, Vec<f64>) = x
            .iter()
            .zip(&y)
            .filter(|(a, b)| !(a.is_nan() || reads_y && b.is_nan()))
            .map(|(a, b)| (*a, *b))
            .unzip();
        let out = eval(source, &px, &py, &[]);
        let errors = px.iter().zip(&py).filter(|(a, b)| !rust(**a, **b).is_finite()).count();
        assert_eq!(out.domain_errors, errors, "{source}");
        total_errors += errors;
    }
    assert!(total_errors > 100, "the data should make domain errors: {total_errors}");
}

#[test]
fn clamp_is_bit_identical_to_rust_clamp() {
    let x = values(7, 20_000);
    let out = eval("clamp((x + 2.5) / 5 * 100, 0, 100)", &x, &[], &[]);
    let mut expected_errors = 0;
    for (i, &v) in x.iter().enumerate() {
        let inner = (v + 2.5) / 5.0 * 100.0;
        if v.is_nan() {
            assert!(out.values[i].is_nan());
        } else if !inner.is_finite() {
            // (huge + 2.5) / 5 * 100 overflows: a domain error, missing.
            assert!(out.values[i].is_nan());
            expected_errors += 1;
        } else {
            same(out.values[i], inner.clamp(0.0, 100.0), &format!("x = {v:e}"));
        }
    }
    assert!(expected_errors > 0, "the data should include overflows");
    assert_eq!(out.domain_errors, expected_errors);
    assert_eq!(out.by_kind.len(), 1);
    assert_eq!(out.by_kind[0].kind, DomainError::Overflow);

    // Signed zeros and bounds, by hand: Rust's clamp keeps -0 in [0, 1] (-0 < 0 is
    // false), and -0 bounds the same way.
    let cases = [
        (-0.0, 0.0, 1.0, -0.0),
        (0.0, -0.0, 1.0, 0.0),
        (-1.0, -0.0, 1.0, -0.0),
        (2.0, 0.0, 1.0, 1.0),
        (0.5, 0.0, 1.0, 0.5),
        (5.0, 5.0, 5.0, 5.0),
        (f64::INFINITY, 0.0, 1.0, 1.0),
    ];
    for (v, lo, hi, want) in cases {
        same(v.clamp(lo, hi), want, "reference");
        let out = one("clamp(x, y, z)", v, lo, hi);
        same(out.values[0], want, &format!("clamp({v}, {lo}, {hi})"));
        assert_eq!(out.domain_errors, 0);
    }
}

#[test]
fn min_and_max_propagate_missing_and_order_signed_zeros() {
    // By hand: min(3, 1) = 1, max(3, 1) = 3; with a missing argument, missing (not
    // IEEE's minNum, which would give the other argument).
    let out = eval("min(x, y)", &[3.0, 1.0, NAN, 2.0], &[1.0, 3.0, 1.0, NAN], &[]);
    assert_eq!(out.values[..2], [1.0, 1.0]);
    assert!(out.values[2].is_nan() && out.values[3].is_nan());
    let out = eval("max(x, y)", &[3.0, 1.0, NAN, 2.0], &[1.0, 3.0, 1.0, NAN], &[]);
    assert_eq!(out.values[..2], [3.0, 3.0]);
    assert!(out.values[2].is_nan() && out.values[3].is_nan());
    // -0 below +0 whatever the order.
    for (a, b) in [(0.0, -0.0), (-0.0, 0.0)] {
        same(one("min(x, y)", a, b, 0.0).values[0], -0.0, "min of zeros");
        same(one("max(x, y)", a, b, 0.0).values[0], 0.0, "max of zeros");
    }
    // More than two arguments: min(5, -2, 7) = -2, max(5, -2, 7) = 7.
    assert_eq!(one("min(x, y, z)", 5.0, -2.0, 7.0).values[0], -2.0);
    assert_eq!(one("max(x, y, z)", 5.0, -2.0, 7.0).values[0], 7.0);
    assert!(one("max(x, y, z)", 5.0, -2.0, NAN).values[0].is_nan());
}

#[test]
fn missing_propagates_through_every_operator_and_function() {
    let sources = [
        "x + y",
        "x - y",
        "x * y",
        "x / y",
        "x ^ y",
        "-x",
        "+x",
        "x == y",
        "x != y",
        "x < y",
        "x <= y",
        "x > y",
        "x >= y",
        "x and y",
        "x or y",
        "not x",
        "min(x, y)",
        "max(x, y)",
        "clamp(x, y, 10)",
        "clamp(y, x, 10)",
        "clamp(y, 0, x)",
        "abs(x)",
        "ln(x)",
        "log10(x)",
        "exp(x)",
        "sqrt(x)",
        "pow(x, y)",
        "pow(y, x)",
        "if(x, y, y)",
        "1 - x * 2",
    ];
    for source in sources {
        for (x, y) in [(NAN, 1.0), (1.0, NAN), (NAN, NAN), (NAN, 0.0), (0.0, NAN)] {
            if !(x.is_nan() || (y.is_nan() && source.contains('y'))) {
                continue;
            }
            let out = one(source, x, y, 0.0);
            assert!(
                out.values[0].is_nan(),
                "{source} with x = {x}, y = {y}: {}",
                out.values[0]
            );
            assert_eq!(out.domain_errors, 0, "{source}: missing is no domain error");
        }
    }
    // The IEEE exceptions are not followed: pow(1, NaN) and pow(NaN, 0) are 1 there.
    assert_eq!(libm::pow(1.0, NAN), 1.0);
    assert!(one("1 ^ x", NAN, 0.0, 0.0).values[0].is_nan());
    assert!(one("x ^ 0", NAN, 0.0, 0.0).values[0].is_nan());
    // `and`/`or` propagate even when the other side decides it (unlike R).
    assert!(one("x and 0", NAN, 0.0, 0.0).values[0].is_nan());
    assert!(one("x or 1", NAN, 0.0, 0.0).values[0].is_nan());
    // The missing constant too.
    assert!(one("x + missing", 1.0, 0.0, 0.0).values[0].is_nan());
}

#[test]
fn truth_values() {
    // Comparisons give 1 or 0; a condition is true when present and non-zero.
    let out = eval("x > 1", &[0.0, 2.0, 1.0], &[], &[]);
    assert_eq!(out.values, [0.0, 1.0, 0.0]);
    let out = eval("x and y", &[2.0, 2.0, 0.0, -0.5], &[-3.0, 0.0, 0.0, 0.1], &[]);
    assert_eq!(out.values, [1.0, 0.0, 0.0, 1.0]);
    let out = eval("x or y", &[2.0, 0.0, 0.0], &[0.0, 0.0, 0.1], &[]);
    assert_eq!(out.values, [1.0, 0.0, 1.0]);
    let out = eval("not x", &[2.0, 0.0, -0.0], &[], &[]);
    assert_eq!(out.values, [0.0, 1.0, 1.0]);
    // -0 == 0 (IEEE).
    assert_eq!(one("x == y", -0.0, 0.0, 0.0).values[0], 1.0);
}

#[test]
fn if_coalesce_and_is_missing_handle_missing() {
    // if(x > 0, y, missing): y where x > 0 (even a missing y), missing where x ≤ 0
    // (even with y present), missing where x is missing.
    let out = eval(
        "if(x > 0, y, missing)",
        &[1.0, 1.0, -1.0, 0.0, NAN],
        &[5.0, NAN, 5.0, 5.0, 5.0],
        &[],
    );
    same(out.values[0], 5.0, "taken");
    assert!(out.values[1..].iter().all(|v| v.is_nan()), "{:?}", out.values);
    // if with a missing condition is missing, whatever the branches.
    assert!(one("if(x, 1, 1)", NAN, 0.0, 0.0).values[0].is_nan());
    // Non-zero conditions are true: -2 and 0.5 choose the first branch.
    let out = eval("if(x, 10, 20)", &[-2.0, 0.5, 0.0, -0.0], &[], &[]);
    assert_eq!(out.values, [10.0, 10.0, 20.0, 20.0]);

    // coalesce: the first present argument.
    let out = eval(
        "coalesce(x, y, z)",
        &[1.0, NAN, NAN, NAN],
        &[2.0, 2.0, NAN, NAN],
        &[3.0, 3.0, 3.0, NAN],
    );
    assert_eq!(out.values[..3], [1.0, 2.0, 3.0]);
    assert!(out.values[3].is_nan());
    let out = eval("coalesce(x, 0)", &[7.0, NAN], &[], &[]);
    assert_eq!(out.values, [7.0, 0.0]);
    let out = eval("coalesce(missing, x, 9)", &[7.0, NAN], &[], &[]);
    assert_eq!(out.values, [7.0, 9.0]);

    let out = eval("is_missing(x)", &[7.0, NAN, 0.0], &[], &[]);
    assert_eq!(out.values, [0.0, 1.0, 0.0]);
    let out = eval("is_missing(x / y)", &[1.0, NAN, 1.0], &[2.0, 2.0, 0.0], &[]);
    assert_eq!(out.values, [0.0, 1.0, 1.0]);
    assert_eq!(out.domain_errors, 1, "1 / 0 inside is_missing is still evaluated");
}

fn kinds(out: &Evaluation) -> Vec<(DomainError, usize, usize)> {
    out.by_kind.iter().map(|k| (k.kind, k.units, k.first)).collect()
}

#[test]
fn domain_errors_are_missing_and_counted_by_kind() {
    // Division by zero at units 1 and 3; 0/0 is one too.
    let out = eval("x / y", &[1.0, 1.0, 2.0, 0.0, NAN], &[2.0, 0.0, 4.0, 0.0, 0.0], &[]);
    same(out.values[0], 0.5, "1 / 2");
    same(out.values[2], 0.5, "2 / 4");
    assert!(out.values[1].is_nan() && out.values[3].is_nan() && out.values[4].is_nan());
    assert_eq!((out.domain_errors, out.first_domain_error), (2, Some(1)));
    assert_eq!(kinds(&out), [(DomainError::DivisionByZero, 2, 1)]);
    assert_eq!(out.causes(), "a division by zero");

    let logs = eval("ln(x) + log10(y)", &[1.0, 0.0, -1.0, 1.0], &[1.0, 1.0, 1.0, -0.0], &[]);
    assert_eq!(logs.values[0], 0.0);
    assert!(logs.values[1..].iter().all(|v| v.is_nan()));
    assert_eq!(kinds(&logs), [(DomainError::Logarithm, 3, 1)]);

    let roots = eval("sqrt(x)", &[4.0, -1.0, -0.0], &[], &[]);
    assert_eq!(roots.values[0], 2.0);
    assert!(roots.values[1].is_nan());
    same(roots.values[2], -0.0, "sqrt(-0) = -0, no error");
    assert_eq!(kinds(&roots), [(DomainError::SquareRoot, 1, 1)]);

    // (-8) ^ (1/3) has no real value here (as in IEEE pow); (-8) ^ 3 = -512 does.
    let powers = eval("x ^ y", &[-8.0, -8.0, 0.0, 10.0], &[1.0 / 3.0, 3.0, -1.0, 400.0], &[]);
    assert!(powers.values[0].is_nan());
    assert_eq!(powers.values[1], -512.0);
    assert!(powers.values[2].is_nan() && powers.values[3].is_nan());
    assert_eq!(
        kinds(&powers),
        [
            (DomainError::DivisionByZero, 1, 2),
            (DomainError::Power, 1, 0),
            (DomainError::Overflow, 1, 3)
        ]
    );
    assert_eq!(powers.domain_errors, 3);
    assert_eq!(
        powers.causes(),
        "a division by zero, a negative number to a non-integer power or a result too large to represent (or an \
         infinite input)"
    );

    let overflow = eval("exp(x) + y * y", &[1000.0, 0.0], &[1.0, 1e200], &[]);
    assert!(overflow.values.iter().all(|v| v.is_nan()));
    assert_eq!(kinds(&overflow), [(DomainError::Overflow, 2, 0)]);

    // Bounds from columns with lo > hi: missing for that unit only.
    let clamped = eval("clamp(x, y, z)", &[5.0, 5.0], &[0.0, 10.0], &[1.0, 1.0]);
    assert_eq!(clamped.values[0], 1.0);
    assert!(clamped.values[1].is_nan());
    assert_eq!(kinds(&clamped), [(DomainError::ClampBounds, 1, 1)]);

    // Two kinds at one unit: one unit, counted under both kinds.
    let both = one("x / y + ln(z)", 1.0, 0.0, -1.0);
    assert_eq!(both.domain_errors, 1);
    assert_eq!(
        kinds(&both),
        [(DomainError::DivisionByZero, 1, 0), (DomainError::Logarithm, 1, 0)]
    );
}

#[test]
fn non_finite_results_are_the_canonical_nan() {
    // x86's 0/0 is a NaN with the sign bit set; the evaluator gives f64::NAN.
    for source in [
        "x / y",
        "sqrt(x - 1)",
        "ln(x - 1)",
        "(x - 2) ^ 0.5",
        "x / y * 0 + missing",
    ] {
        let out = one(source, 0.0, 0.0, 0.0);
        same(out.values[0], f64::NAN, source);
    }
    let out = one("x", -f64::NAN, 0.0, 0.0);
    same(out.values[0], f64::NAN, "a NaN of the data");
}

#[test]
fn infinite_data_is_missing_and_an_overflow() {
    let out = eval("x", &[f64::INFINITY, 1.0, f64::NEG_INFINITY], &[], &[]);
    assert!(out.values[0].is_nan() && out.values[2].is_nan());
    assert_eq!(out.values[1], 1.0);
    assert_eq!(kinds(&out), [(DomainError::Overflow, 2, 0)]);
    let out = eval("x - 1", &[f64::INFINITY], &[], &[]);
    assert!(out.values[0].is_nan());
    assert_eq!(out.domain_errors, 1);
    // An infinite value that is compared is fine.
    let out = eval("x > 1", &[f64::INFINITY], &[], &[]);
    assert_eq!((out.values[0], out.domain_errors), (1.0, 0));
}

#[test]
fn errors_in_branches_not_taken_do_not_count() {
    // b = 0 at units 1 and 3: the division is not used there.
    let x = [6.0, 5.0, 8.0, 1.0];
    let y = [3.0, 0.0, 2.0, 0.0];
    let out = eval("if(y != 0, x / y, 0)", &x, &y, &[]);
    assert_eq!(out.values, [2.0, 0.0, 4.0, 0.0]);
    assert_eq!((out.domain_errors, out.first_domain_error), (0, None));
    assert!(out.by_kind.is_empty());
    let out = eval("if(y == 0, missing, x / y)", &x, &y, &[]);
    assert_eq!(out.domain_errors, 0);
    assert_eq!(out.values[0], 2.0);
    // The same division outside an `if` counts twice.
    assert_eq!(eval("x / y", &x, &y, &[]).domain_errors, 2);
    // ... and where the branch is taken, it counts: `if(y >= 0, x / y, 0)` uses
    // the division at every unit.
    let out = eval("if(y >= 0, x / y, 0)", &x, &y, &[]);
    assert_eq!((out.domain_errors, out.first_domain_error), (2, Some(1)));

    // Errors of the condition always count: x / y > 1 at units 1 and 3.
    let out = eval("if(x / y > 1, 1, 0)", &x, &y, &[]);
    assert_eq!((out.domain_errors, out.first_domain_error), (2, Some(1)));
    assert!(out.values[1].is_nan());

    // A missing condition takes neither branch: no error from either.
    let out = eval("if(z, ln(x - 100), sqrt(-x))", &x, &y, &[NAN, NAN, 1.0, 0.0]);
    // Unit 2: ln(8 - 100) is an error (taken); unit 3: sqrt(-1) is (taken).
    assert_eq!(
        kinds(&out),
        [(DomainError::Logarithm, 1, 2), (DomainError::SquareRoot, 1, 3)]
    );

    // Nested: the inner division runs only where y != 0 and x > 5.
    let out = eval("if(x > 5, if(y != 0, x / y, -1), ln(y))", &x, &y, &[]);
    // Unit 0: 6 > 5, y = 3 → 2. Unit 1: 5 ≤ 5 → ln(0): an error. Unit 2: 8 / 2 = 4.
    // Unit 3: 1 ≤ 5 → ln(0): an error.
    assert_eq!(out.values[0], 2.0);
    assert_eq!(out.values[2], 4.0);
    assert_eq!(kinds(&out), [(DomainError::Logarithm, 2, 1)]);

    // The inner condition holds at unit 0 but the outer one does not: ln(1 - 7)
    // is not used there. At unit 1 both hold and ln(8 - 7) = 0.
    let out = eval("if(x > 5, if(y > 0, ln(x - 7), 0), 0)", &[1.0, 8.0], &[1.0, 1.0], &[]);
    assert_eq!(out.values, [0.0, 0.0]);
    assert_eq!(out.domain_errors, 0);
    let out = eval(
        "coalesce(x, coalesce(y, ln(z)))",
        &[1.0, NAN, NAN],
        &[NAN, 2.0, NAN],
        &[-1.0, -1.0, -1.0],
    );
    assert_eq!(out.values[..2], [1.0, 2.0]);
    assert_eq!(kinds(&out), [(DomainError::Logarithm, 1, 2)]);

    // coalesce: later arguments count only where the earlier ones are missing.
    let out = eval("coalesce(x, ln(y))", &[1.0, NAN, NAN], &[0.0, 0.0, 1.0], &[]);
    assert_eq!(out.values[0], 1.0);
    assert!(out.values[1].is_nan());
    assert_eq!(out.values[2], 0.0);
    assert_eq!(kinds(&out), [(DomainError::Logarithm, 1, 1)]);
    // The first argument's errors count even when a later one fills the gap.
    let out = eval("coalesce(x / y, 0)", &[1.0, 1.0], &[0.0, 2.0], &[]);
    assert_eq!(out.values, [0.0, 0.5]);
    assert_eq!((out.domain_errors, out.first_domain_error), (1, Some(0)));

    // `and` evaluates both sides: no guard.
    let out = eval("y != 0 and x / y > 1", &x, &y, &[]);
    assert_eq!(out.domain_errors, 2);
    assert!(out.values[1].is_nan());
}

#[test]
fn branches_over_many_chunks() {
    // y is 0 at every 7th unit, x < 0 at every 11th; the formula divides only
    // where y != 0 and takes the logarithm only where x > 0, so no unit errs; the
    // same expressions unguarded err exactly there.
    let n = 3 * CHUNK + 77;
    let x: Vec<f64> = (0..n)
        .map(|i| if i % 11 == 3 { -(i as f64) } else { i as f64 + 1.0 })
        .collect();
    let y: Vec<f64> = (0..n)
        .map(|i| if i % 7 == 5 { 0.0 } else { (i % 13) as f64 + 0.5 })
        .collect();
    let out = eval("if(y != 0, x / y, 0) + if(x > 0, ln(x), 0)", &x, &y, &[]);
    assert_eq!(out.domain_errors, 0);
    for i in 0..n {
        let a = if y[i] != 0.0 { x[i] / y[i] } else { 0.0 };
        let b = if x[i] > 0.0 { libm::log(x[i]) } else { 0.0 };
        same(out.values[i], a + b, &format!("unit {i}"));
    }
    let out = eval("x / y + ln(x)", &x, &y, &[]);
    let bad: Vec<usize> = (0..n).filter(|&i| y[i] == 0.0 || x[i] <= 0.0).collect();
    assert_eq!(out.domain_errors, bad.len());
    assert_eq!(out.first_domain_error, bad.first().copied());
    let zero_div: Vec<usize> = (0..n).filter(|&i| y[i] == 0.0).collect();
    let logs: Vec<usize> = (0..n).filter(|&i| x[i] <= 0.0).collect();
    assert_eq!(
        out.by_kind,
        [
            DomainCount {
                kind: DomainError::DivisionByZero,
                units: zero_div.len(),
                first: zero_div[0]
            },
            DomainCount {
                kind: DomainError::Logarithm,
                units: logs.len(),
                first: logs[0]
            },
        ]
    );
}

#[test]
fn lengths_around_the_chunk_size() {
    for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 5 * CHUNK + 3] {
        let x = values(n as u64 + 11, n);
        let y = values(n as u64 + 12, n);
        let out = eval("x / y * 1000", &x, &y, &[]);
        assert_eq!(out.values.len(), n);
        let mut errors = Vec::new();
        for i in 0..n {
            let r = x[i] / y[i] * 1000.0;
            if r.is_finite() {
                same(out.values[i], r, &format!("n = {n}, unit {i}"));
            } else {
                assert!(out.values[i].is_nan());
                if !x[i].is_nan() && !y[i].is_nan() {
                    errors.push(i);
                }
            }
        }
        assert_eq!(out.domain_errors, errors.len(), "n = {n}");
        assert_eq!(out.first_domain_error, errors.first().copied(), "n = {n}");
        // An error in the very last unit is found.
        if n > 0 {
            let mut z = vec![1.0; n];
            z[n - 1] = 0.0;
            let out = eval("1 / z", &z, &z, &z);
            assert_eq!((out.domain_errors, out.first_domain_error), (1, Some(n - 1)), "n = {n}");
        }
    }
    // A constant formula gives n values.
    for n in [0, 1, CHUNK + 1] {
        let out = eval("2 * k", &vec![0.0; n], &[], &[]);
        assert_eq!(out.values, vec![8.0; n]);
    }
}

#[test]
fn constants() {
    // k = 4: x * k + 1 with x = 2 → 9.
    assert_eq!(one("x * k + 1", 2.0, 0.0, 0.0).values[0], 9.0);
    // Folded: (k + 1) / 2 = 2.5, times x = 2 → 5.
    assert_eq!(one("(k + 1) / 2 * x", 2.0, 0.0, 0.0).values[0], 5.0);
    let scope = Scope::new(["x"]).with_constants([("zero", 0.0), ("k", 4.0), ("big", 1e300)]);
    let bind = |s: &str| Formula::parse(s).unwrap().bind_scope(&scope);
    // A constant zero divisor is fine where a column is divided (a domain error per
    // unit), but a constant divided by it is an error.
    let b = bind("x / zero").unwrap();
    assert_eq!(b.eval(&[&[1.0, 2.0]], 2).domain_errors, 2);
    let e = bind("x + 100 / zero").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Constant);
    assert_eq!(e.span, 4..14);
    assert!(e.message.contains("division by zero"), "{e}");
    let e = bind("big * big + x").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Constant);
    let e = bind("clamp(x, k, zero)").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Constant);
    assert!(e.message.contains("lo = 4 is greater than hi = 0"), "{e}");
    assert_eq!(bind("2 * k").unwrap().constant(), Some(8.0));
    assert_eq!(bind("x").unwrap().constant(), None);
    // Variables only: `a` is the second column.
    let b = Formula::parse("a * 2")
        .unwrap()
        .bind_scope(&Scope::new(["b", "a"]))
        .unwrap();
    assert_eq!(b.eval(&[&[], &[3.0]], 1).values, [6.0]);
}

#[test]
fn a_name_both_constant_and_variable_is_an_error() {
    let scope = Scope::new(["x", "k"]).with_constants([("k", 1.0)]);
    assert_eq!(scope.conflicts().collect::<Vec<_>>(), ["k"]);
    let e = Formula::parse("x + k").unwrap().bind_scope(&scope).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Ambiguous);
    assert_eq!(e.span, 4..5);
    assert_eq!(
        e.to_string(),
        "`k` is both a variable and a constant; rename the constant"
    );
    // A formula that does not use it binds.
    assert!(Formula::parse("x * 2").unwrap().bind_scope(&scope).is_ok());
}

#[test]
fn unknown_names() {
    let constants: std::collections::BTreeMap<String, f64> = [("target".to_string(), 1.0)].into();
    let scope = Scope::new(["population_k", "metro_ridership_m"]).with_constants(&constants);
    let e = Formula::parse("metro_ridership_m / popuation_k")
        .unwrap()
        .bind_scope(&scope)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::UnknownName);
    assert_eq!(e.span, 20..31);
    assert_eq!(
        e.to_string(),
        "unknown variable `popuation_k`; did you mean `population_k`?"
    );
    let e = Formula::parse("zzz").unwrap().bind_scope(&scope).unwrap_err();
    assert_eq!(e.hint, None);

    // With a resolver: called once per occurrence, in source order; the first
    // unknown name is the error.
    let mut asked = Vec::new();
    let e = Formula::parse("a + b * a + c")
        .unwrap()
        .bind(|n| {
            asked.push(n.to_string());
            (n != "c").then_some(Binding::Column(0))
        })
        .unwrap_err();
    assert_eq!(asked, ["a", "b", "a", "c"]);
    assert_eq!((e.kind, e.span), (ErrorKind::UnknownName, 12..13));
    assert_eq!(e.message, "unknown variable `c`");
}

#[test]
fn closest_names() {
    use cityrank_formula::closest;
    let names = ["population_k", "metro_ridership_m", "area_km2", "gdp", "gdp_pc", "x"];
    assert_eq!(closest("popuation_k", names, 3), ["population_k"]);
    assert_eq!(closest("Population_K", names, 3), ["population_k"]);
    assert_eq!(closest("area_km", names, 3), ["area_km2"]);
    // A prefix or part of a name.
    assert_eq!(closest("ridership", names, 3), ["metro_ridership_m"]);
    // Distance first, then containment: `gpd` is 1 swap from `gdp`.
    assert_eq!(closest("gpd", names, 3), ["gdp"]);
    assert_eq!(closest("gdp_p", names, 3), ["gdp_pc", "gdp"]);
    // `max` limits the list.
    assert_eq!(closest("gdp_p", names, 1), ["gdp_pc"]);
    // Nothing close, and no one-letter guesses.
    assert!(closest("unemployment", names, 3).is_empty());
    assert!(closest("y", names, 3).is_empty());
    // Repeated candidates once.
    assert_eq!(closest("gdq", ["gdp", "gdp"], 3), ["gdp"]);
}

#[test]
fn short_or_absent_columns_read_as_missing() {
    let b = Formula::parse("x + y")
        .unwrap()
        .bind(|n| match n {
            "x" => Some(Binding::Column(0)),
            "y" => Some(Binding::Column(2)),
            _ => None,
        })
        .unwrap();
    assert_eq!(b.columns_needed(), 3);
    let out = b.eval(&[&[1.0, 2.0, 3.0], &[], &[10.0]], 3);
    assert_eq!(out.values[0], 11.0);
    assert!(out.values[1].is_nan() && out.values[2].is_nan());
    let out = b.eval(&[&[1.0, 2.0]], 2);
    assert!(out.values.iter().all(|v| v.is_nan()));
    // Entries past n_units are ignored.
    let out = b.eval(&[&[1.0, 2.0, 3.0], &[], &[10.0, 20.0, 30.0]], 2);
    assert_eq!(out.values, [11.0, 22.0]);
}

#[test]
fn evaluation_is_repeatable() {
    let x = values(99, 3000);
    let y = values(98, 3000);
    let b = Formula::parse("if(x > y, ln(abs(x)), coalesce(sqrt(y), exp(x / 100)))")
        .unwrap()
        .bind(|n| match n {
            "x" => Some(Binding::Column(0)),
            "y" => Some(Binding::Column(1)),
            _ => None,
        })
        .unwrap();
    let first = b.eval(&[&x, &y], x.len());
    let second = b.eval(&[&x, &y], x.len());
    let bits = |e: &Evaluation| e.values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&first), bits(&second));
    assert_eq!(first.by_kind, second.by_kind);
    // And each unit is the plain Rust expression, with the rules of the language.
    for i in 0..x.len() {
        let (a, b) = (x[i], y[i]);
        let want = if a.is_nan() || b.is_nan() {
            NAN
        } else if a > b {
            libm::log(a.abs())
        } else if b >= 0.0 {
            b.sqrt()
        } else {
            libm::exp(a / 100.0)
        };
        let want = if want.is_finite() { want } else { NAN };
        same(first.values[i], want, &format!("unit {i}: x = {a:e}, y = {b:e}"));
    }
}

#[test]
fn log1p_is_libms_and_has_its_domain() {
    // ln(1 + x) by libm's log1p (the bits a Rust plugin's `f64::ln_1p` has in Wasm);
    // x ≤ -1 is a logarithm's domain error, -1 < x fine, 0 → 0 exactly.
    let xs = [0.0, 1e-300, 1e-10, 0.5, 3.0, 1e300, -0.5, -1.0, -2.0, f64::NAN];
    let e = eval("log1p(x)", &xs, &xs, &[]);
    for (i, &x) in xs.iter().enumerate() {
        let want = if x.is_nan() || x <= -1.0 {
            f64::NAN
        } else {
            libm::log1p(x)
        };
        assert!(
            e.values[i].to_bits() == want.to_bits() || (e.values[i].is_nan() && want.is_nan()),
            "log1p({x}) = {}, want {want}",
            e.values[i]
        );
    }
    assert_eq!(e.values[0], 0.0);
    // Two units out of the domain (-1 and -2); the missing input is no error.
    assert_eq!(e.domain_errors, 2);
    assert_eq!(e.first_domain_error, Some(7));
}
