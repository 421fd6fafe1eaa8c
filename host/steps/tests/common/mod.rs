//! Helpers shared by the COINr conformance tests: reading the reference tables in
//! `tests/fixtures/coinr` (see its PROVENANCE.md).
// Not every test file uses every helper.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

/// A CSV table of `tests/fixtures/coinr` as strings: the header and the rows in
/// file order.
pub struct Table {
    /// The column names.
    pub header: Vec<String>,
    /// The cells, one `Vec` a row, in the header's order.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `tests/fixtures/coinr/<name>`.
    pub fn read(name: &str) -> Table {
        // The repository's fixtures, shared with the end-to-end conformance tests.
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/coinr")
            .join(name);
        let mut rdr = csv::Reader::from_path(&path).unwrap();
        let header = rdr.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        Table { header, rows }
    }

    /// The position of column `name`; panics if there is none.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    /// Column `name` as strings.
    pub fn strings(&self, name: &str) -> Vec<String> {
        let j = self.col(name);
        self.rows.iter().map(|r| r[j].clone()).collect()
    }

    /// Column `name` as numbers (see [`num`]).
    pub fn numbers(&self, name: &str) -> Vec<f64> {
        self.strings(name).iter().map(|s| num(s)).collect()
    }

    /// Data columns (all but `uCode`).
    pub fn data_columns(&self) -> Vec<String> {
        self.header.iter().filter(|h| *h != "uCode").cloned().collect()
    }
}

/// A cell as a number: empty or `NA` (R's missing value) is NaN.
pub fn num(s: &str) -> f64 {
    if s.is_empty() || s == "NA" {
        f64::NAN
    } else {
        s.parse().unwrap()
    }
}

pub mod asem;
