//! COINr's ASEM framework (`ASEM_iMeta.csv`) and the default build's steps after
//! treatment: min-max onto [0, 100] by direction (COINr `n_minmax`), then weighted
//! arithmetic means level by level (COINr `a_amean`); and the comparison of our
//! columns with COINr's.

use std::collections::HashMap;

use cityrank_steps::Direction;
use cityrank_steps::aggregate::{Method, MissingPolicy, aggregate};
use cityrank_steps::normalise::{Normaliser, normalise};

use super::{Table, num};

/// Relative tolerance: |ours − COINr| ≤ TOL·max(1, |COINr|).
pub const TOL: f64 = 1e-9;

/// One node of the ASEM framework (indicator or aggregate).
pub struct Node {
    pub code: String,
    pub level: u32,
    pub direction: Direction,
    pub weight: f64,
    pub parent: Option<String>,
}

/// The nodes of `ASEM_iMeta.csv`, in its order.
pub fn framework() -> Vec<Node> {
    let meta = Table::read("ASEM_iMeta.csv");
    let (lev, code, dir, w, par) = (
        meta.col("Level"),
        meta.col("iCode"),
        meta.col("Direction"),
        meta.col("Weight"),
        meta.col("Parent"),
    );
    meta.rows
        .iter()
        .filter(|r| !r[lev].is_empty())
        .map(|r| Node {
            code: r[code].clone(),
            level: r[lev].parse().unwrap(),
            direction: if num(&r[dir]) < 0.0 {
                Direction::LowerIsBetter
            } else {
                Direction::HigherIsBetter
            },
            weight: num(&r[w]),
            parent: Some(r[par].clone()).filter(|p| !p.is_empty()),
        })
        .collect()
}

/// Min-max 0–100 of every indicator, by iMeta direction; `treated(code)` gives an
/// indicator's treated column.
pub fn normalise_all(treated: impl Fn(&str) -> Vec<f64>, nodes: &[Node]) -> HashMap<String, Vec<f64>> {
    let n = Normaliser::MinMax { lo: 0.0, hi: 100.0 };
    nodes
        .iter()
        .filter(|nd| nd.level == 1)
        .map(|nd| {
            (
                nd.code.clone(),
                normalise(&treated(&nd.code), nd.direction, &n).unwrap(),
            )
        })
        .collect()
}

/// Aggregates level by level with the weighted arithmetic mean, adding each
/// aggregate to `data` (which starts with the indicator columns).
pub fn aggregate_all(data: &mut HashMap<String, Vec<f64>>, nodes: &[Node]) {
    let top = nodes.iter().map(|n| n.level).max().unwrap();
    for level in 2..=top {
        for parent in nodes.iter().filter(|n| n.level == level) {
            let kids: Vec<&Node> = nodes
                .iter()
                .filter(|k| k.parent.as_deref() == Some(parent.code.as_str()))
                .collect();
            assert!(!kids.is_empty(), "{} has no children", parent.code);
            assert!(
                kids.iter().all(|k| k.level == level - 1),
                "{}: children skip a level",
                parent.code
            );
            let cols: Vec<&[f64]> = kids.iter().map(|k| data[&k.code].as_slice()).collect();
            let w: Vec<f64> = kids.iter().map(|k| k.weight).collect();
            let y = aggregate(
                Method::Arithmetic,
                &cols,
                &w,
                MissingPolicy::Reweight { min_share: 0.0 },
            )
            .unwrap();
            data.insert(parent.code.clone(), y);
        }
    }
}

/// Largest deviation found while comparing, and the cells that failed.
#[derive(Default)]
pub struct Deviation {
    pub max_abs: f64,
    pub max_rel: f64,
    pub at: String,
    pub cells: usize,
    pub failures: Vec<String>,
}

impl Deviation {
    /// Compares one column, unit by unit: within [`TOL`], missing in the same places.
    pub fn compare(&mut self, column: &str, units: &[String], ours: &[f64], coinr: &[f64]) {
        assert_eq!(ours.len(), coinr.len(), "{column}: length");
        for ((u, &a), &b) in units.iter().zip(ours).zip(coinr) {
            self.cells += 1;
            if a.is_nan() || b.is_nan() {
                if a.is_nan() != b.is_nan() {
                    self.failures.push(format!("{column}/{u}: ours {a}, COINr {b}"));
                }
                continue;
            }
            let d = (a - b).abs();
            let rel = d / b.abs().max(1.0);
            if rel > self.max_rel {
                self.max_rel = rel;
                self.at = format!("{column}/{u}");
            }
            self.max_abs = self.max_abs.max(d);
            if rel > TOL {
                self.failures.push(format!("{column}/{u}: ours {a:.17}, COINr {b:.17}"));
            }
        }
    }

    /// Prints the largest deviation and panics listing the failed cells, if any.
    pub fn finish(self, stage: &str) {
        println!(
            "{stage}: {} cells, largest deviation {:.3e} (relative {:.3e}) at {}",
            self.cells, self.max_abs, self.max_rel, self.at
        );
        assert!(self.cells > 0, "{stage}: nothing compared");
        assert!(
            self.failures.is_empty(),
            "{stage}: {} cell(s) deviate from COINr, e.g.\n{}",
            self.failures.len(),
            self.failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
        );
    }
}
