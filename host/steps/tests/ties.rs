//! Mathematically equal scores rank equal, whatever the last bits of their sums
//! (the field case `ties-float`, from public bug reports: tie detection on raw
//! IEEE-754 scores splits scores that differ only by rounding).
//!
//! Data (`../shared/cases/field/ties-float`): A = (0.1, 0.2, 0.3), B = (0.3, 0.1,
//! 0.2), C = (0.2, 0.3, 0.1), D = (0.3, 0.2, 0.1), and E lower in every child. With
//! equal weights every aggregator that treats its children symmetrically gives A–D
//! the same score in exact arithmetic (they hold the same values in other
//! orders), so by hand: competition ranks 1, 1, 1, 1, 5 and dense ranks 1, 1, 1, 1, 2.
//! (The arithmetic mean gives 0.20000000000000004 for A and B and
//! 0.19999999999999998 for C and D in floating point: they ranked 1, 1, 3, 3, 5.)
//! Copeland scores are counts of wins and losses — exact, and not symmetric in
//! this sense (A beats B on two children of three) — so it is not among them.
#![allow(clippy::unwrap_used)]

use cityrank_steps::aggregate::{Method, MissingPolicy, MpiPenalty, aggregate};
use cityrank_steps::rank::{Ranking, competition, dense, ties, within_groups};
use cityrank_steps::tiers::by_thresholds;

/// The children's columns (x1, x2, x3 over units A–E).
fn children(e: f64) -> [Vec<f64>; 3] {
    [
        vec![0.1, 0.3, 0.2, 0.3, e],
        vec![0.2, 0.1, 0.3, 0.2, e],
        vec![0.3, 0.2, 0.1, 0.1, e],
    ]
}

#[test]
fn every_symmetric_aggregator_ranks_the_four_permutations_equal() {
    let methods = [
        Method::Arithmetic,
        Method::Geometric,
        Method::Harmonic,
        Method::Generalised { p: 2.0 },
        Method::Generalised { p: 0.5 },
        Method::WeightedMedian,
        Method::WeightedMedianClassical,
        Method::MazziottaPareto {
            penalty: MpiPenalty::Positive,
        },
        Method::BenefitOfTheDoubt,
    ];
    let cols = children(0.05);
    let refs: Vec<&[f64]> = cols.iter().map(Vec::as_slice).collect();
    let mut split = 0;
    for method in methods {
        let scores = aggregate(method, &refs, &[1.0, 1.0, 1.0], MissingPolicy::Fail).unwrap();
        if scores[..4].iter().any(|&s| s != scores[0]) {
            split += 1;
        }
        assert_eq!(
            competition(&scores),
            [Some(1), Some(1), Some(1), Some(1), Some(5)],
            "{} gives {scores:?}",
            method.name()
        );
        assert_eq!(
            dense(&scores),
            [Some(1), Some(1), Some(1), Some(1), Some(2)],
            "{}",
            method.name()
        );
        let groups = [Some(0), Some(0), Some(0), Some(0), Some(0)];
        assert_eq!(
            within_groups(&scores, &groups, Ranking::Competition).unwrap(),
            [Some(1), Some(1), Some(1), Some(1), Some(5)],
            "{}",
            method.name()
        );
    }
    // The case is the one of the bug: some aggregators do split the last bits.
    assert!(split > 0, "no aggregator split the four scores; the test shows nothing");
}

#[test]
fn a_tier_bound_reached_up_to_rounding_is_reached() {
    // The arithmetic mean of C is 0.19999999999999998; a tier starting at 0.2 holds it.
    let c = (0.2 + 0.3 + 0.1) / 3.0;
    assert!(c < 0.2);
    assert_eq!(by_thresholds(&[c, 0.1], &[0.2]).unwrap(), [Some(0), Some(1)]);
}

#[test]
fn ties_are_relative_and_do_not_chain() {
    assert!(ties(0.2, 0.20000000000000004));
    assert!(ties(1e6, 1e6 * (1.0 + 5e-13)));
    assert!(!ties(1e6, 1e6 * (1.0 + 5e-12)));
    assert!(!ties(0.0, 1e-300), "zero ties only zero");
    // 1, 1 − 0.8e-12, 1 − 1.6e-12: the second ties the first, the third is more than
    // 1e-12 below the first (the group's best), so it does not join by chaining.
    let s = [1.0, 1.0 - 0.8e-12, 1.0 - 1.6e-12];
    assert_eq!(competition(&s), [Some(1), Some(1), Some(3)]);
    assert_eq!(dense(&s), [Some(1), Some(1), Some(2)]);
}
