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

use cityrank_steps::weight::effective;
use common::Table;
use common::asem::{Deviation, aggregate_all, framework, normalise_all};

#[test]
fn treated_to_normalised_matches_coinr() {
    let nodes = framework();
    let treated = Table::read("asem_default_Treated.csv");
    let reference = Table::read("asem_default_Normalised.csv");
    assert_eq!(treated.strings("uCode"), reference.strings("uCode"), "unit order");
    let units = reference.strings("uCode");
    let ours = normalise_all(|c| treated.numbers(c), &nodes);
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
    let mut data = normalise_all(|c| treated.numbers(c), &nodes);
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
