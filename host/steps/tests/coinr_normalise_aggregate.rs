//! Conformance with COINr 1.1.14 on its ASEM example (`build_example_coin()`):
//! normalisation, aggregation and effective weights.
//!
//! - Treated → Normalised: min-max onto [0, 100] per indicator, lower-is-better
//!   indicators (iMeta `Direction = -1`) flipped (COINr `n_minmax`, `l_u = c(0, 100)`).
//! - Normalised → Aggregated: weighted arithmetic mean (COINr `a_amean`) with the
//!   iMeta weights, level by level: Indicator → Pillar → Sub-index → Index.
//! - Effective weights: COINr `get_eff_wts()`.
//!
//! Every unit × column is compared with COINr's output (the repository's tests/fixtures/coinr, see its
//! PROVENANCE.md): `|ours − COINr| ≤ 1e-9·max(1, |COINr|)`, missing values in the
//! same places, and the same set of columns. Run with `--nocapture` to see the
//! largest deviation per stage.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use cityrank_steps::Direction;
use cityrank_steps::aggregate::{Method, MissingPolicy, aggregate};
use cityrank_steps::normalise::{Normaliser, normalise};
use cityrank_steps::weight::effective;
use common::{Table, num};

/// Relative tolerance: |ours − COINr| ≤ TOL·max(1, |COINr|).
const TOL: f64 = 1e-9;

/// One node of the ASEM framework (indicator or aggregate).
struct Node {
    code: String,
    level: u32,
    direction: Direction,
    weight: f64,
    parent: Option<String>,
}

fn framework() -> Vec<Node> {
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

/// Largest deviation found while comparing, and the cells that failed.
#[derive(Default)]
struct Deviation {
    max_abs: f64,
    max_rel: f64,
    at: String,
    cells: usize,
    failures: Vec<String>,
}

impl Deviation {
    fn compare(&mut self, column: &str, units: &[String], ours: &[f64], coinr: &[f64]) {
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

    fn finish(self, stage: &str) {
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

/// Min-max 0–100 of every indicator of `treated`, by iMeta direction.
fn normalise_all(treated: &Table, nodes: &[Node]) -> HashMap<String, Vec<f64>> {
    let n = Normaliser::MinMax { lo: 0.0, hi: 100.0 };
    nodes
        .iter()
        .filter(|nd| nd.level == 1)
        .map(|nd| {
            (
                nd.code.clone(),
                normalise(&treated.numbers(&nd.code), nd.direction, &n).unwrap(),
            )
        })
        .collect()
}

/// Aggregates level by level with the weighted arithmetic mean, adding each
/// aggregate to `data` (which starts with the indicator columns).
fn aggregate_all(data: &mut HashMap<String, Vec<f64>>, nodes: &[Node]) {
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

#[test]
fn treated_to_normalised_matches_coinr() {
    let nodes = framework();
    let treated = Table::read("asem_default_Treated.csv");
    let reference = Table::read("asem_default_Normalised.csv");
    assert_eq!(treated.strings("uCode"), reference.strings("uCode"), "unit order");
    let units = reference.strings("uCode");
    let ours = normalise_all(&treated, &nodes);
    // Same set of columns: every indicator of iMeta, nothing else.
    let mut want: Vec<String> = reference.data_columns();
    let mut got: Vec<String> = ours.keys().cloned().collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "indicator columns");
    assert_eq!(got.len(), 49);
    let mut dev = Deviation::default();
    for code in reference.data_columns() {
        dev.compare(&code, &units, &ours[&code], &reference.numbers(&code));
    }
    dev.finish("Treated → Normalised");
}

#[test]
fn normalised_to_aggregated_matches_coinr() {
    let nodes = framework();
    let normalised = Table::read("asem_default_Normalised.csv");
    let reference = Table::read("asem_default_Aggregated.csv");
    assert_eq!(normalised.strings("uCode"), reference.strings("uCode"), "unit order");
    let units = reference.strings("uCode");
    // Start from COINr's own normalised data, so this stage is tested on its own.
    let mut data: HashMap<String, Vec<f64>> = normalised
        .data_columns()
        .into_iter()
        .map(|c| (c.clone(), normalised.numbers(&c)))
        .collect();
    aggregate_all(&mut data, &nodes);
    let mut want = reference.data_columns();
    let mut got: Vec<String> = data.keys().cloned().collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "columns of the aggregated data set");
    assert_eq!(got.len(), 60);
    let mut dev = Deviation::default();
    for code in reference.data_columns() {
        dev.compare(&code, &units, &data[&code], &reference.numbers(&code));
    }
    dev.finish("Normalised → Aggregated");
}

#[test]
fn treated_to_aggregated_end_to_end_matches_coinr() {
    let nodes = framework();
    let treated = Table::read("asem_default_Treated.csv");
    let reference = Table::read("asem_default_Aggregated.csv");
    let units = reference.strings("uCode");
    let mut data = normalise_all(&treated, &nodes);
    aggregate_all(&mut data, &nodes);
    let mut dev = Deviation::default();
    for code in reference.data_columns() {
        dev.compare(&code, &units, &data[&code], &reference.numbers(&code));
    }
    dev.finish("Treated → Aggregated (chained)");
}

#[test]
fn effective_weights_match_coinr() {
    let nodes = framework();
    let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.code.as_str(), i)).collect();
    let parents: Vec<Option<usize>> = nodes.iter().map(|n| n.parent.as_deref().map(|p| index[p])).collect();
    let weights: Vec<f64> = nodes.iter().map(|n| n.weight).collect();
    let eff = effective(&parents, &weights).unwrap();
    let reference = Table::read("asem_effective_weights.csv");
    let codes = reference.strings("iCode");
    let want = reference.numbers("EffWeight");
    let mut got_codes: Vec<&str> = nodes.iter().map(|n| n.code.as_str()).collect();
    let mut want_codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    got_codes.sort();
    want_codes.sort();
    assert_eq!(got_codes, want_codes, "nodes");
    let ours: Vec<f64> = codes.iter().map(|c| eff[index[c.as_str()]]).collect();
    let mut dev = Deviation::default();
    dev.compare("EffWeight", &codes, &ours, &want);
    dev.finish("Effective weights");
    // The indicators' effective weights sum to 1 (the index's weight).
    let total: f64 = nodes
        .iter()
        .zip(&eff)
        .filter(|(n, _)| n.level == 1)
        .map(|(_, e)| e)
        .sum();
    assert!((total - 1.0).abs() < 1e-12);
}
