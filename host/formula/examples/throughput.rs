//! Measures evaluation throughput: `cargo run --release -p cityrank-formula --example throughput`.
//!
//! 13,000 units × 100 columns' worth of values (1.3 M) per formula; prints the
//! best of a few runs in million values per second.

use std::time::Instant;

use cityrank_formula::{Binding, Formula};

fn main() -> Result<(), cityrank_formula::FormulaError> {
    let n = 1_300_000;
    // A small LCG for deterministic inputs in 0.5..1000.5.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 1000.0 + 0.5
    };
    let a: Vec<f64> = (0..n).map(|_| next()).collect();
    let b: Vec<f64> = (0..n).map(|_| next()).collect();
    for source in [
        "a / b * 1000",
        "clamp((a + 2.5) / 5 * 100, 0, 100)",
        "if(b > 10, ln(a / b), missing)",
        "coalesce(sqrt(a - 500), 0) + max(a, b, 100)",
    ] {
        let bound = Formula::parse(source)?.bind(|name| match name {
            "a" => Some(Binding::Column(0)),
            "b" => Some(Binding::Column(1)),
            _ => None,
        })?;
        let mut best = f64::INFINITY;
        let mut check = 0.0;
        for _ in 0..20 {
            let t = Instant::now();
            let out = bound.eval(&[&a, &b], n);
            best = best.min(t.elapsed().as_secs_f64());
            check += out.values[n / 2] + out.domain_errors as f64;
        }
        println!(
            "{source:<45} {:>8.1} M values/s  ({:.2} ms per {n} values; check {check:.3})",
            n as f64 / best / 1e6,
            best * 1e3
        );
    }
    Ok(())
}
