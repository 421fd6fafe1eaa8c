//! Conformance with COINr 1.1.14's `get_opt_weights()` on its ASEM example: the
//! weights of level 2 (the 8 pillars) or level 3 (the sub-indices Conn and Sust)
//! optimised at once, against the index, for the `balance` and `infomax`
//! objectives, at COINr's default tolerance (reltol 0.1, 500 evaluations) and a
//! tight one (1e-8, 5000). The references are `tests/fixtures/coinr/more/e_*`
//! (see PROVENANCE.md there): the final weights, the objective, the number of
//! evaluations, the correlations at the optimum, and every evaluation of R's
//! `optim()` (`_trace`), which the search here must follow step by step.
//!
//! The level's aggregates come from COINr's default build
//! (`asem_default_Aggregated.csv`); the index is re-aggregated from them at every
//! evaluation with the candidate weights, as COINr's `Regen` does.
#![allow(clippy::unwrap_used)]

mod common;

use cityrank_steps::StepError;
use cityrank_steps::aggregate::{Method, MissingPolicy, aggregate};
use cityrank_steps::weight::{Candidates, Objective, OptimiseOptions, OptimisedWeights, optimise_for_correlation};
use common::Table;

/// Relative tolerance: |ours − COINr| ≤ TOL·max(1, |COINr|).
const TOL: f64 = 1e-9;

/// The pillars (level 2) in COINr's weight-table order, under Conn, then under Sust.
const PILLARS: [&str; 8] = [
    "Physical",
    "ConEcFin",
    "Political",
    "Instit",
    "P2P",
    "Environ",
    "Social",
    "SusEcFin",
];
const SUB_INDICES: [&str; 2] = ["Conn", "Sust"];

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// One of COINr's calls: `get_opt_weights(coin, itarg = "equal", dset = "Aggregated",
/// Level, optype, toler, maxiter)`.
struct Case {
    name: &'static str,
    level: usize,
    objective: Objective,
    tight: bool,
}

const CASES: [Case; 8] = [
    Case {
        name: "e_balance_L2",
        level: 2,
        objective: Objective::Balance,
        tight: false,
    },
    Case {
        name: "e_balance_L2_tight",
        level: 2,
        objective: Objective::Balance,
        tight: true,
    },
    Case {
        name: "e_balance_L3",
        level: 3,
        objective: Objective::Balance,
        tight: false,
    },
    Case {
        name: "e_balance_L3_tight",
        level: 3,
        objective: Objective::Balance,
        tight: true,
    },
    Case {
        name: "e_infomax_L2",
        level: 2,
        objective: Objective::Infomax,
        tight: false,
    },
    Case {
        name: "e_infomax_L2_tight",
        level: 2,
        objective: Objective::Infomax,
        tight: true,
    },
    Case {
        name: "e_infomax_L3",
        level: 3,
        objective: Objective::Infomax,
        tight: false,
    },
    Case {
        name: "e_infomax_L3_tight",
        level: 3,
        objective: Objective::Infomax,
        tight: true,
    },
];

impl Case {
    fn codes(&self) -> &'static [&'static str] {
        if self.level == 2 { &PILLARS } else { &SUB_INDICES }
    }

    fn table(&self, what: &str) -> Table {
        Table::read(&format!("more/{}_{what}.csv", self.name))
    }

    /// The level's aggregates in the default build.
    fn columns(&self) -> Vec<Vec<f64>> {
        let agg = Table::read("asem_default_Aggregated.csv");
        self.codes().iter().map(|c| agg.numbers(c)).collect()
    }

    /// The index for level weights `w` (normalised to sum to 1 over the level): the
    /// arithmetic means of COINr's default build, up from the level.
    fn index(&self, children: &[&[f64]], w: &[f64]) -> Result<Vec<f64>, StepError> {
        let reweight = MissingPolicy::Reweight { min_share: 0.0 };
        if self.level == 2 {
            let conn = aggregate(Method::Arithmetic, &children[..5], &w[..5], reweight)?;
            let sust = aggregate(Method::Arithmetic, &children[5..], &w[5..], reweight)?;
            aggregate(Method::Arithmetic, &[&conn, &sust], &[1.0, 1.0], reweight)
        } else {
            aggregate(Method::Arithmetic, children, w, reweight)
        }
    }

    /// The search as COINr runs it: candidates p / Σp, from the targets (balance)
    /// or the iMeta weights, all 1 (infomax).
    fn run(&self) -> OptimisedWeights {
        let columns = self.columns();
        let children: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let options = OptimiseOptions {
            reltol: if self.tight { 1e-8 } else { 0.1 },
            max_evaluations: if self.tight { 5000 } else { 500 },
            objective: self.objective,
            candidates: Candidates::Signed,
            trace: true,
            ..OptimiseOptions::default()
        };
        let current = vec![1.0; children.len()];
        optimise_for_correlation(&children, None, &current, &options, |w| self.index(&children, w)).unwrap()
    }
}

/// Every case but one follows R's search evaluation by evaluation: the same
/// candidates and values (to within 1.6e-15 here), the same number of
/// evaluations, and so the same weights, objective and correlations.
#[test]
fn the_search_is_rs_evaluation_by_evaluation() {
    for case in CASES.iter().filter(|c| c.name != "e_balance_L3_tight") {
        let r = case.run();
        let trace = case.table("trace");
        let values = trace.numbers("value");
        let par: Vec<Vec<f64>> = case
            .codes()
            .iter()
            .map(|c| trace.numbers(&format!("par_{c}")))
            .collect();
        assert_eq!(r.trace.len(), values.len(), "{}: evaluations", case.name);
        let mut largest: f64 = 0.0;
        for (k, e) in r.trace.iter().enumerate() {
            assert!(
                close(e.value, values[k], TOL),
                "{} eval {}: value {} vs R {}",
                case.name,
                k + 1,
                e.value,
                values[k]
            );
            largest = largest.max((e.value - values[k]).abs() / values[k].abs().max(1.0));
            for (i, p) in par.iter().enumerate() {
                assert!(
                    close(e.parameters[i], p[k], TOL),
                    "{} eval {}: par_{} {} vs R {}",
                    case.name,
                    k + 1,
                    case.codes()[i],
                    e.parameters[i],
                    p[k]
                );
                largest = largest.max((e.parameters[i] - p[k]).abs() / p[k].abs().max(1.0));
            }
        }
        let optim = case.table("optim");
        assert_eq!(r.evaluations as f64, optim.numbers("fn_count")[0], "{}", case.name);
        assert_eq!(optim.numbers("convergence")[0], 0.0);
        assert!(r.converged, "{}", case.name);
        assert!(
            close(r.objective, optim.numbers("value")[0], TOL),
            "{}: {}",
            case.name,
            r.objective
        );
        // Weights (normalised), raw parameters and correlations at the optimum, by node.
        let at = case.table("corr_at_optimum");
        assert_eq!(at.strings("iCode"), case.codes());
        let returned = case.table("CorrResultsNorm");
        for (i, code) in case.codes().iter().enumerate() {
            let (w, c) = (at.numbers("OptWeight")[i], at.numbers("CorWithIndex")[i]);
            assert!(
                close(r.weights[i], w, TOL),
                "{}: weight of {code} {} vs {w}",
                case.name,
                r.weights[i]
            );
            assert!(
                close(r.correlations[i], c, TOL),
                "{}: correlation of {code} {} vs {c}",
                case.name,
                r.correlations[i]
            );
            let raw = returned.numbers("RawPar")[i];
            assert!(close(r.parameters[i], raw, TOL), "{}: par of {code}", case.name);
            largest = largest
                .max((r.weights[i] - w).abs() / w.abs().max(1.0))
                .max((r.correlations[i] - c).abs() / c.abs().max(1.0));
        }
        println!(
            "{}: {} evaluations as R's; largest relative deviation {largest:.2e}; objective {}",
            case.name, r.evaluations, r.objective
        );
    }
}

/// Tight balance of level 3: the balance of two correlations is a simple root, so
/// its weights are well defined (to within 4e-16 of R's); but the objective is
/// `ln(squared error)`, which near the root measures rounding noise (−75.55 is
/// ln 2⁻¹⁰⁹: shares that differ from ½ by 2⁻⁵⁵). R's search and this one agree
/// while the value means something; below about −30 their values differ in the
/// digits the noise decides, and the two searches part at evaluation 119 (this
/// one stops after 161, R's after 153). The candidates' scale is free (only their
/// ratio matters), so their raw values are not compared after that.
#[test]
fn tight_balance_of_level_3_reaches_the_same_root() {
    let case = &CASES[3];
    assert_eq!(case.name, "e_balance_L3_tight");
    let r = case.run();
    let trace = case.table("trace");
    let values = trace.numbers("value");
    let (conn, sust) = (trace.numbers("par_Conn"), trace.numbers("par_Sust"));
    let meaningful = values.iter().take_while(|v| **v > -30.0).count();
    assert_eq!(meaningful, 48);
    for k in 0..meaningful {
        let e = &r.trace[k];
        assert!(
            close(e.value, values[k], TOL),
            "eval {}: {} vs R {}",
            k + 1,
            e.value,
            values[k]
        );
        assert!(
            close(e.parameters[0], conn[k], TOL) && close(e.parameters[1], sust[k], TOL),
            "eval {}",
            k + 1
        );
    }
    // Both end on the noise floor: squared errors under e⁻⁶⁹ ≈ 1e-30.
    let optim = case.table("optim");
    assert!(
        r.objective < -69.0 && optim.numbers("value")[0] < -69.0,
        "{}",
        r.objective
    );
    let at = case.table("corr_at_optimum");
    for i in 0..2 {
        let (w, c) = (at.numbers("OptWeight")[i], at.numbers("CorWithIndex")[i]);
        assert!(close(r.weights[i], w, 1e-12), "weight {i}: {} vs {w}", r.weights[i]);
        assert!(
            close(r.correlations[i], c, 1e-12),
            "correlation {i}: {} vs {c}",
            r.correlations[i]
        );
    }
    assert!(
        (r.correlations[0] - r.correlations[1]).abs() < 1e-15,
        "{:?}",
        r.correlations
    );
}

/// COINr's `CorrResultsNorm$Obtained` is the last evaluation's correlations (not
/// the optimum's), normalised for balance, in the order of the nodes' codes
/// (ConEcFin, Environ, Instit, …) beside weights in weight-table order: its rows
/// are mislabelled. This reproduces it from the last evaluation of the trace, to
/// say what the column is; the correlations this crate returns are the optimum's,
/// in the level's order.
#[test]
fn coinrs_obtained_column_is_the_last_evaluation_sorted_by_code() {
    for case in CASES.iter().filter(|c| !c.tight) {
        let r = case.run();
        let columns = case.columns();
        let children: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
        let last = &r.trace.last().unwrap().parameters;
        let s: f64 = last.iter().sum();
        let w: Vec<f64> = last.iter().map(|p| p / s).collect();
        let index = case.index(&children, &w).unwrap();
        let mut corr: Vec<(&str, f64)> = case
            .codes()
            .iter()
            .zip(&children)
            .map(|(c, x)| (*c, cityrank_steps::analysis::pearson(x, &index).unwrap()))
            .collect();
        corr.sort_by(|a, b| a.0.cmp(b.0));
        let total: f64 = corr.iter().map(|c| c.1).sum();
        let returned = case.table("CorrResultsNorm");
        assert_eq!(
            returned.strings("Obtained_sorted_code"),
            corr.iter().map(|c| c.0.to_string()).collect::<Vec<_>>()
        );
        for ((code, c), obtained) in corr.iter().zip(returned.numbers("Obtained_as_returned")) {
            let expected = if case.objective == Objective::Balance {
                c / total
            } else {
                *c
            };
            assert!(
                close(expected, obtained, TOL),
                "{}: {code} {expected} vs {obtained}",
                case.name
            );
        }
    }
}
