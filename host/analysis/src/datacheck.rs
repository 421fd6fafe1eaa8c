//! `cityrank data check`: the statistics of a dataset's variables (and of an
//! edition's indicators) before anything is ranked, with COINr's flags.
//!
//! Per numeric column, the statistics of COINr's `get_stats()` (COINr 1.1,
//! `R/stats.R`) with its default thresholds: minimum, maximum, mean, median,
//! standard deviation, skewness and kurtosis (bias-corrected, as COINr's
//! treatment decides with them: `cityrank_steps::stats::skew_kurt`), counts of
//! present, non-zero, unique and most-repeated values, and the flags — low
//! availability (present share < 0.65), many zeros (non-zero share of all units <
//! 0.5), few unique values (unique share of all units < 0.5), possible outliers
//! (|skew| > 2 and kurtosis > 3.5). cityrank adds two flags that COINr leaves to
//! the reader: no value at all, and one value for every unit (constant). For an
//! edition, the same for each indicator as derived, and which units miss which
//! indicator.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Context, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::ResolvedEdition;
use cityrank_core::report::{aligned, fmt_opt};
use cityrank_core::run::{self, LoadedMethodology};

/// Version of the data check format.
pub const DATA_CHECK_SCHEMA_VERSION: u32 = 1;

/// COINr's default thresholds (`get_stats()`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Absolute skewness above which (with the kurtosis) outliers are flagged.
    pub skew: f64,
    /// Kurtosis above which (with the skewness) outliers are flagged.
    pub kurt: f64,
    /// Share of present values below which availability is low.
    pub avail: f64,
    /// Share of non-zero values (of all units) below which zeros are many.
    pub zero: f64,
    /// Share of unique values (of all units) below which they are few.
    pub unique: f64,
}

impl Default for Thresholds {
    /// 2, 3.5, 0.65, 0.5, 0.5 (COINr's defaults).
    fn default() -> Self {
        Thresholds {
            skew: 2.0,
            kurt: 3.5,
            avail: 0.65,
            zero: 0.5,
            unique: 0.5,
        }
    }
}

/// What `cityrank data check --format json` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DataCheck {
    /// Format version of this document.
    pub schema_version: u32,
    /// Version of cityrank that computed it.
    pub cityrank: String,
    /// The dataset's id.
    pub dataset: String,
    /// The edition checked, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edition: Option<String>,
    /// Rows of the dataset (units, or units × years for panel data).
    pub rows: usize,
    /// Each variable of the dataset, in the description's order.
    pub variables: Vec<ColumnStats>,
    /// Each indicator of the edition's methodology as derived (edition only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<ColumnStats>,
    /// Indicator id → the units missing it (edition only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub missing: BTreeMap<String, Vec<String>>,
}

cityrank_core::document!(DataCheck, "data-check");

/// The statistics of one column (COINr's `get_stats()` columns, and flags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnStats {
    /// Column (variable or indicator) id.
    pub id: String,
    /// `number` or `text`.
    pub kind: String,
    /// Present values (`N.Avail`).
    pub available: usize,
    /// Share of rows with a value (`Frc.Avail`).
    pub available_share: f64,
    /// Smallest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Arithmetic mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median: Option<f64>,
    /// Sample standard deviation (n − 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    /// Bias-corrected skewness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skew: Option<f64>,
    /// Bias-corrected excess kurtosis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kurt: Option<f64>,
    /// Present values that are not zero (`N.NonZero`).
    pub nonzero: usize,
    /// Distinct present values (`N.Unique`).
    pub unique: usize,
    /// The largest number of present values equal to one another (`N.Same`).
    pub same: usize,
    /// What to look at: `no values`, `constant`, `low availability`, `many zeros`,
    /// `few unique values`, `possible outliers`.
    pub flags: Vec<String>,
}

/// The statistics of a numeric column of `rows` values (NaN = missing).
pub fn number_stats(id: &str, values: &[f64], t: &Thresholds) -> ColumnStats {
    use cityrank_steps::stats;
    let present: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = values.len();
    let avail = present.len();
    let finite = |x: f64| x.is_finite().then_some(x);
    let (skew, kurt) = stats::skew_kurt(values);
    let nonzero = present.iter().filter(|v| **v != 0.0).count();
    let mut sorted = present.clone();
    sorted.sort_by(f64::total_cmp);
    // Runs of equal values in sorted order: the distinct values and the longest run.
    let (mut unique, mut same, mut run) = (0usize, 0usize, 0usize);
    for (i, v) in sorted.iter().enumerate() {
        if i == 0 || sorted[i - 1] != *v {
            unique += 1;
            run = 0;
        }
        run += 1;
        same = same.max(run);
    }
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let mut flags = Vec::new();
    if avail == 0 {
        flags.push("no values".to_string());
    } else if unique == 1 && avail >= 2 {
        flags.push("constant".to_string());
    }
    if share(avail) < t.avail {
        flags.push("low availability".to_string());
    }
    if avail > 0 && share(nonzero) < t.zero {
        flags.push("many zeros".to_string());
    }
    if avail > 0 && share(unique) < t.unique {
        flags.push("few unique values".to_string());
    }
    if skew.abs() > t.skew && kurt > t.kurt {
        flags.push("possible outliers".to_string());
    }
    ColumnStats {
        id: id.to_string(),
        kind: "number".to_string(),
        available: avail,
        available_share: share(avail),
        min: sorted.first().copied(),
        max: sorted.last().copied(),
        mean: finite(stats::mean(values)),
        median: finite(stats::median(values)),
        sd: finite(stats::sd(values)),
        skew: finite(skew),
        kurt: finite(kurt),
        nonzero,
        unique,
        same,
        flags,
    }
}

/// The statistics of a text column: presence, distinct values, flags.
pub fn text_stats(id: &str, values: &[Option<String>]) -> ColumnStats {
    let present: Vec<&String> = values.iter().flatten().collect();
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for v in &present {
        *counts.entry(v).or_default() += 1;
    }
    let n = values.len();
    let mut flags = Vec::new();
    if present.is_empty() {
        flags.push("no values".to_string());
    } else if counts.len() == 1 && present.len() >= 2 {
        flags.push("constant".to_string());
    }
    ColumnStats {
        id: id.to_string(),
        kind: "text".to_string(),
        available: present.len(),
        available_share: if n == 0 { 0.0 } else { present.len() as f64 / n as f64 },
        min: None,
        max: None,
        mean: None,
        median: None,
        sd: None,
        skew: None,
        kurt: None,
        nonzero: present.len(),
        unique: counts.len(),
        same: counts.values().copied().max().unwrap_or(0),
        flags,
    }
}

/// Checks a dataset's variables.
pub fn check_dataset(dataset: &Dataset, t: &Thresholds) -> DataCheck {
    let variables = dataset
        .description
        .variables
        .iter()
        .filter_map(|v| match (dataset.numbers.get(&v.id), dataset.texts.get(&v.id)) {
            (Some(x), _) => Some(number_stats(&v.id, x, t)),
            (None, Some(x)) => Some(text_stats(&v.id, x)),
            (None, None) => None,
        })
        .collect();
    DataCheck {
        schema_version: DATA_CHECK_SCHEMA_VERSION,
        cityrank: env!("CARGO_PKG_VERSION").to_string(),
        dataset: dataset.description.id.clone(),
        edition: None,
        rows: dataset.units.len(),
        variables,
        indicators: Vec::new(),
        missing: BTreeMap::new(),
    }
}

/// Checks an edition: its dataset's variables, and each indicator of its
/// methodology as derived from them (formulas or the plugin's `derive`), with the
/// units that miss it. Also returns the derivation's warnings (as `run` prints them).
pub fn check_edition(
    loaded: &LoadedMethodology,
    edition: &ResolvedEdition,
    dataset: &Dataset,
    t: &Thresholds,
) -> Result<(DataCheck, Vec<String>)> {
    let mut check = check_dataset(dataset, t);
    check.edition = Some(edition.edition.id.clone());
    let derived = run::derive_rows(loaded, edition, dataset)
        .with_context(|| format!("deriving the indicators of `{}`", edition.path.display()))?;
    for (spec, values) in loaded.manifest.indicators.iter().zip(&derived.raw) {
        check.indicators.push(number_stats(&spec.id, values, t));
        let missing: Vec<String> = values
            .iter()
            .zip(&derived.unit_ids)
            .filter(|(v, _)| v.is_nan())
            .map(|(_, u)| u.clone())
            .collect();
        if !missing.is_empty() {
            check.missing.insert(spec.id.clone(), missing);
        }
    }
    Ok((check, derived.warnings))
}

/// Pretty JSON with a trailing newline, validated against its schema.
pub fn json(check: &DataCheck) -> Result<String> {
    let value = serde_json::to_value(check).context("cannot represent the data check as JSON")?;
    cityrank_core::schema::validate::<DataCheck>(&value, "data check")
        .context("internal error: the data check does not match its schema")?;
    let mut s = serde_json::to_string_pretty(&value)?;
    s.push('\n');
    Ok(s)
}

/// Aligned tables for the terminal: the variables, the indicators, the missing
/// units, and what to look at.
pub fn table(check: &DataCheck) -> String {
    let mut out = format!(
        "dataset {}{} — {} rows\n",
        check.dataset,
        check
            .edition
            .as_ref()
            .map(|e| format!(", edition {e}"))
            .unwrap_or_default(),
        check.rows
    );
    let header: Vec<String> = [
        "column", "n", "missing", "min", "max", "mean", "sd", "skew", "kurt", "unique", "flags",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let rows = |cols: &[ColumnStats]| -> Vec<Vec<String>> {
        cols.iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    c.available.to_string(),
                    format!("{:.0}%", (1.0 - c.available_share) * 100.0),
                    fmt_opt(c.min, 3),
                    fmt_opt(c.max, 3),
                    fmt_opt(c.mean, 3),
                    fmt_opt(c.sd, 3),
                    fmt_opt(c.skew, 2),
                    fmt_opt(c.kurt, 2),
                    c.unique.to_string(),
                    c.flags.join(", "),
                ]
            })
            .collect()
    };
    let numeric = |c: usize| (1..=9).contains(&c);
    out.push_str("\nVariables\n");
    out.push_str(&aligned(&header, &rows(&check.variables), numeric, true));
    if !check.indicators.is_empty() {
        out.push_str("\nIndicators (as derived)\n");
        out.push_str(&aligned(&header, &rows(&check.indicators), numeric, true));
    }
    if !check.missing.is_empty() {
        out.push_str("\nMissing indicator values\n");
        for (id, units) in &check.missing {
            let shown: Vec<&str> = units.iter().take(10).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "  {id}: {} — {}{}",
                cityrank_core::report::count_rows(units.iter().map(String::as_str)),
                shown.join(", "),
                if units.len() > shown.len() { ", …" } else { "" }
            );
        }
    }
    let flagged: usize = check
        .variables
        .iter()
        .chain(&check.indicators)
        .filter(|c| !c.flags.is_empty())
        .count();
    let _ = writeln!(
        out,
        "\n{flagged} column{} flagged (COINr's thresholds: availability < 65%, non-zero < 50%, unique < 50% of the \
         rows, |skew| > 2 and kurtosis > 3.5)",
        if flagged == 1 { "" } else { "s" }
    );
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A CSV of the fixtures as column name → values (empty and `NA` are NaN).
    fn columns(path: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/coinr")
            .join(path);
        let mut r = csv::Reader::from_path(p).unwrap();
        let header = r.headers().unwrap().iter().map(str::to_string).collect();
        (header, r.records().map(Result::unwrap).collect())
    }

    /// COINr's `get_stats(coin, dset = "Raw")` of its ASEM example (rounded by COINr
    /// to 3 significant digits): every statistic and flag of every indicator.
    #[test]
    fn asem_raw_statistics_are_coinrs() {
        let (data_header, data) = columns("ASEM_iData.csv");
        let (header, expected) = columns("asem_stats_raw.csv");
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(expected.len(), 49);
        for row in &expected {
            let code = &row[at("iCode")];
            let c = data_header.iter().position(|h| h == code).unwrap();
            let values: Vec<f64> = data.iter().map(|r| r[c].parse::<f64>().unwrap_or(f64::NAN)).collect();
            let s = number_stats(code, &values, &Thresholds::default());
            let number = |name: &str| row[at(name)].parse::<f64>().unwrap();
            // 3 significant digits: within half a unit of the third digit.
            let close = |ours: Option<f64>, name: &str| {
                let theirs = number(name);
                let ours = ours.unwrap();
                assert!(
                    (ours - theirs).abs() <= 5e-3 * theirs.abs() + 1e-12,
                    "{code} {name}: {ours} vs COINr {theirs}"
                );
            };
            close(s.min, "Min");
            close(s.max, "Max");
            close(s.mean, "Mean");
            close(s.median, "Median");
            close(s.sd, "Std");
            close(s.skew, "Skew");
            close(s.kurt, "Kurt");
            assert_eq!(s.available as f64, number("N.Avail"), "{code}");
            assert_eq!(s.nonzero as f64, number("N.NonZero"), "{code}");
            assert_eq!(s.unique as f64, number("N.Unique"), "{code}");
            assert_eq!(s.same as f64, number("N.Same"), "{code}");
            for (flag, ours) in [
                ("Flag.Avail", "low availability"),
                ("Flag.NonZero", "many zeros"),
                ("Flag.Unique", "few unique values"),
                ("Flag.SkewKurt", "possible outliers"),
            ] {
                let raised = row[at(flag)] != *"ok";
                assert_eq!(s.flags.iter().any(|f| f == ours), raised, "{code} {flag}");
            }
        }
    }

    #[test]
    fn constant_and_empty_columns_are_flagged() {
        let t = Thresholds::default();
        let s = number_stats("x", &[10.0, 10.0, f64::NAN, 10.0], &t);
        assert_eq!(s.flags, ["constant", "few unique values"]);
        assert_eq!((s.available, s.unique, s.same), (3, 1, 3));
        let s = number_stats("y", &[f64::NAN; 3], &t);
        assert_eq!(s.flags, ["no values", "low availability"]);
        assert_eq!(s.mean, None);
    }
}
