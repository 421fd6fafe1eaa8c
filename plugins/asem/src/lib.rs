//! asem: COINr's ASEM example (ASEM Sustainable Connectivity, 51 countries, 49
//! indicators) with COINr 1.1.14's default build, as a cityrank methodology.
//!
//! The dataset's indicator columns are COINr's `ASEM_iData` as they are, so `derive`
//! passes the 49 inputs through unchanged: every other step — denomination by the
//! dataset's Area/Energy/GDP/Population columns, group-mean imputation, screening,
//! outlier treatment, min-max normalisation and arithmetic aggregation — is a host
//! step declared in `methodology.toml` (generated from `ASEM_iMeta` by
//! `methodologies/data/recipe/asem.py`).

use cityrank_sdk::{Methodology, Table, export_methodology};

struct Asem;

impl Methodology for Asem {
    const MANIFEST: &'static str = include_str!("../methodology.toml");

    fn derive(_edition: &str, input: Table) -> Result<Table, String> {
        // The manifest's inputs are exactly its indicators (same ids), so the input's
        // numeric columns are the indicator columns, in the manifest's order.
        Ok(Table {
            units: input.units,
            numbers: input.numbers,
            texts: Vec::new(),
        })
    }
}

export_methodology!(Asem);
