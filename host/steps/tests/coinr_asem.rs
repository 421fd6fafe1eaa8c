//! Conformance with COINr 1.1.14 on its ASEM example (`build_example_coin()`).
//!
//! Starting from `ASEM_iData` and `ASEM_iMeta`, the steps of this crate are chained
//! exactly as COINr's default build does —
//! Raw → Denominated → Imputed → Screened → Treated — and every unit × indicator of
//! every stage is compared with COINr's own output (the repository's tests/fixtures/coinr, see its
//! PROVENANCE.md): values within `1e-9·max(1, |reference|)`, and missing values in
//! the same places. The treatment details (points winsorised, indicators
//! log-transformed, skewness and kurtosis before and after) must match too.
//!
//! Run with `--nocapture` to see the largest deviation found at each stage.
// The platform's functions are an independent reference here.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use cityrank_steps::denominate::denominate;
use cityrank_steps::impute::{Imputation, ImputedBy, impute_columns};
use cityrank_steps::screen::{screen, select_units};
use cityrank_steps::stats;
use cityrank_steps::treat::{Transform, TreatReport, Treatment, treat};
use common::Table;

/// Relative tolerance: |ours − COINr| ≤ TOL·max(1, |COINr|).
const TOL: f64 = 1e-9;

/// One indicator of the framework.
struct Indicator {
    code: String,
    denominator: Option<String>,
}

fn indicators() -> Vec<Indicator> {
    let meta = Table::read("ASEM_iMeta.csv");
    let (code, den, typ) = (meta.col("iCode"), meta.col("Denominator"), meta.col("Type"));
    meta.rows
        .iter()
        .filter(|r| r[typ] == "Indicator")
        .map(|r| Indicator {
            code: r[code].clone(),
            denominator: (!r[den].is_empty()).then(|| r[den].clone()),
        })
        .collect()
}

/// A data set: unit codes and one column per indicator (in iMeta order).
struct Dset {
    units: Vec<String>,
    cols: Vec<Vec<f64>>,
}

/// COINr's data set at `stage`.
fn reference(stage: &str, inds: &[Indicator]) -> Dset {
    let t = Table::read(&format!("asem_default_{stage}.csv"));
    Dset {
        units: t.strings("uCode"),
        cols: inds.iter().map(|i| t.numbers(&i.code)).collect(),
    }
}

/// Largest deviation found in one comparison.
#[derive(Default, Debug)]
struct Deviation {
    abs: f64,
    rel: f64,
    at: String,
    cells: usize,
}

/// Compares every unit × indicator (units matched by code); panics listing the
/// cells that deviate beyond `TOL` or differ in missingness.
fn compare(stage: &str, ours: &Dset, theirs: &Dset, inds: &[Indicator]) -> Deviation {
    let mut a = ours.units.clone();
    let mut b = theirs.units.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "{stage}: different units kept");
    let row: HashMap<&str, usize> = ours.units.iter().enumerate().map(|(i, u)| (u.as_str(), i)).collect();
    let mut dev = Deviation::default();
    let mut failures = Vec::new();
    for (j, ind) in inds.iter().enumerate() {
        for (r, unit) in theirs.units.iter().enumerate() {
            let x = ours.cols[j][row[unit.as_str()]];
            let y = theirs.cols[j][r];
            dev.cells += 1;
            if x.is_nan() || y.is_nan() {
                if x.is_nan() != y.is_nan() {
                    failures.push(format!("{unit} {}: ours {x}, COINr {y}", ind.code));
                }
                continue;
            }
            let d = (x - y).abs();
            let rel = d / y.abs().max(1.0);
            if rel > dev.rel {
                dev = Deviation {
                    abs: d,
                    rel,
                    at: format!("{unit} {}", ind.code),
                    ..dev
                };
            }
            dev.abs = dev.abs.max(d);
            if d > TOL * y.abs().max(1.0) {
                failures.push(format!("{unit} {}: ours {x:e}, COINr {y:e}", ind.code));
            }
        }
    }
    println!(
        "{stage}: {} cells, largest deviation {:.3e} (relative {:.3e}, at {})",
        dev.cells,
        dev.abs,
        dev.rel,
        if dev.at.is_empty() { "-" } else { &dev.at }
    );
    assert!(
        failures.is_empty(),
        "{stage}: {} cell(s) deviate from COINr, e.g.\n{}",
        failures.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    dev
}

/// Every stage of the default build, computed by this crate.
struct Build {
    raw: Dset,
    denominated: Dset,
    imputed: Dset,
    imputed_cells: Vec<cityrank_steps::impute::ImputedCell>,
    groups: Vec<usize>,
    screened: Dset,
    treated: Dset,
    reports: Vec<TreatReport>,
}

fn build(inds: &[Indicator]) -> Build {
    let data = Table::read("ASEM_iData.csv");
    let units = data.strings("uCode");
    // new_coin: the Raw data set is the indicator columns of iData.
    let raw = Dset {
        units: units.clone(),
        cols: inds.iter().map(|i| data.numbers(&i.code)).collect(),
    };

    // Denominate(coin, dset = "Raw"): denominators are iData's denominator columns
    // (WorldDenoms is not used), named by iMeta's Denominator column; iMeta has no
    // ScaleFactor column, so COINr's scale factor is 1.
    let cols = inds
        .iter()
        .zip(&raw.cols)
        .map(|(ind, x)| match &ind.denominator {
            Some(d) => denominate(x, &data.numbers(d), 1.0).unwrap(),
            None => x.clone(),
        })
        .collect();
    let denominated = Dset {
        units: units.clone(),
        cols,
    };

    // Impute(..., f_i = "i_mean_grp", use_group = "EurAsia_group").
    let labels = data.strings("EurAsia_group");
    let mut distinct: Vec<&String> = labels.iter().collect();
    distinct.sort();
    distinct.dedup();
    let groups: Vec<usize> = labels
        .iter()
        .map(|l| distinct.iter().position(|d| *d == l).unwrap())
        .collect();
    let mut cols = denominated.cols.clone();
    let imputed_cells = impute_columns(&mut cols, &Imputation::GroupMean, Some(&groups)).unwrap();
    let imputed = Dset {
        units: units.clone(),
        cols,
    };

    // Screen(..., dat_thresh = 0.9, unit_screen = "byNA").
    let s = screen(&imputed.cols, 0.9, &[], &[]).unwrap();
    let screened = Dset {
        units: s.kept.iter().map(|&u| units[u].clone()).collect(),
        cols: select_units(&imputed.cols, &s.kept).unwrap(),
    };

    // Treat(..., global_specs = list(f1_para = list(winmax = 5))): COINr's default rule.
    let (cols, reports): (Vec<Vec<f64>>, Vec<TreatReport>) = screened
        .cols
        .iter()
        .map(|x| treat(x, &Treatment::COINR_DEFAULT).unwrap())
        .unzip();
    let treated = Dset {
        units: screened.units.clone(),
        cols,
    };
    Build {
        raw,
        denominated,
        imputed,
        imputed_cells,
        groups,
        screened,
        treated,
        reports,
    }
}

#[test]
fn raw_matches_coinr() {
    let inds = indicators();
    assert_eq!(inds.len(), 49);
    let b = build(&inds);
    let dev = compare("Raw", &b.raw, &reference("Raw", &inds), &inds);
    assert_eq!(dev.abs, 0.0);
}

#[test]
fn denominated_matches_coinr() {
    let inds = indicators();
    let b = build(&inds);
    compare("Denominated", &b.denominated, &reference("Denominated", &inds), &inds);
    // LAO's missing Energy denominator makes its Elec and Gas missing.
    let lao = b.denominated.units.iter().position(|u| u == "LAO").unwrap();
    for code in ["Elec", "Gas"] {
        let j = inds.iter().position(|i| i.code == code).unwrap();
        assert!(b.raw.cols[j][lao].is_finite() && b.denominated.cols[j][lao].is_nan());
    }
}

#[test]
fn imputed_matches_coinr() {
    let inds = indicators();
    let b = build(&inds);
    compare("Imputed", &b.imputed, &reference("Imputed", &inds), &inds);
    // The report lists exactly the cells missing after denomination, each with the
    // unit's EurAsia group.
    let mut missing: Vec<(usize, usize)> = Vec::new();
    for (j, c) in b.denominated.cols.iter().enumerate() {
        missing.extend(c.iter().enumerate().filter(|(_, v)| v.is_nan()).map(|(u, _)| (u, j)));
    }
    let mut reported: Vec<(usize, usize)> = b.imputed_cells.iter().map(|c| (c.unit, c.column)).collect();
    missing.sort();
    reported.sort();
    assert_eq!(reported, missing);
    assert_eq!(reported.len(), 65);
    for c in &b.imputed_cells {
        assert_eq!(
            c.method,
            ImputedBy::GroupMean {
                group: b.groups[c.unit]
            }
        );
        assert_eq!(c.value, b.imputed.cols[c.column][c.unit]);
    }
}

#[test]
fn screened_matches_coinr() {
    let inds = indicators();
    let b = build(&inds);
    // After group-mean imputation every unit has full data: all 51 are kept.
    assert_eq!(b.screened.units.len(), 51);
    compare("Screened", &b.screened, &reference("Screened", &inds), &inds);
}

#[test]
fn treated_matches_coinr() {
    let inds = indicators();
    let b = build(&inds);
    compare("Treated", &b.treated, &reference("Treated", &inds), &inds);
}

fn close(ours: f64, theirs: f64) -> bool {
    (ours - theirs).abs() <= TOL * theirs.abs().max(1.0)
}

#[test]
fn treatment_details_match_coinr() {
    let inds = indicators();
    let b = build(&inds);
    let t = Table::read("asem_treat_details.csv");
    let codes = t.strings("iCode");
    let field = |name: &str| -> Option<Vec<String>> { t.header.iter().any(|h| h == name).then(|| t.strings(name)) };
    let pass0 = t.strings("check_SkewKurt0.Pass");
    let (skew0, kurt0) = (t.numbers("check_SkewKurt0.Skew"), t.numbers("check_SkewKurt0.Kurt"));
    let nwin = t.strings("winsorise.nwin");
    let pass1 = t.strings("check_SkewKurt1.Pass");
    let (skew1, kurt1) = (t.numbers("check_SkewKurt1.Skew"), t.numbers("check_SkewKurt1.Kurt"));
    // A log transform shows as a third check (check_SkewKurt2) in COINr's table.
    let pass2 = field("check_SkewKurt2.Pass");
    assert_eq!(codes.len(), inds.len());
    let mut max_dev: f64 = 0.0;
    let (mut winsorised, mut logged) = (0, 0);
    for (r, code) in codes.iter().enumerate() {
        let j = inds.iter().position(|i| &i.code == code).unwrap();
        let rep = &b.reports[j];
        let ctx = format!("{code}: {rep:?}");
        assert_eq!(rep.before.pass, Some(pass0[r] == "TRUE"), "{ctx}");
        assert!(
            close(rep.before.skew, skew0[r]) && close(rep.before.kurt, kurt0[r]),
            "{ctx}"
        );
        max_dev = max_dev
            .max((rep.before.skew - skew0[r]).abs())
            .max((rep.before.kurt - kurt0[r]).abs());
        let coinr_logged = pass2.as_ref().is_some_and(|p| !p[r].is_empty());
        assert_eq!(matches!(rep.transform, Transform::Log), coinr_logged, "{ctx}");
        if nwin[r].is_empty() {
            // Passed at once: no winsorisation stage.
            assert_eq!(rep.transform, Transform::None, "{ctx}");
            assert!(rep.after_first.is_none() && rep.nwin == 0, "{ctx}");
            continue;
        }
        assert_eq!(rep.nwin, nwin[r].parse::<usize>().unwrap(), "{ctx}");
        let after = rep.after_first.unwrap();
        assert_eq!(after.pass, Some(pass1[r] == "TRUE"), "{ctx}");
        assert!(close(after.skew, skew1[r]) && close(after.kurt, kurt1[r]), "{ctx}");
        max_dev = max_dev
            .max((after.skew - skew1[r]).abs())
            .max((after.kurt - kurt1[r]).abs());
        // Winsorisation is kept exactly when COINr did not go on to a log.
        assert_eq!(rep.transform == Transform::Winsorised, !coinr_logged, "{ctx}");
        if rep.transform == Transform::Winsorised {
            winsorised += 1;
            assert_eq!(rep.winsorised.len(), rep.nwin, "{ctx}");
        }
        logged += usize::from(coinr_logged);
    }
    println!(
        "Treatment details: {winsorised} indicators winsorised, {logged} log-transformed; \
         largest skew/kurtosis deviation {max_dev:.3e}"
    );
}

/// COINr's `signif(v, 3)` equivalence: `ours` rounds to `theirs` at 3 significant digits.
fn same_3_sig(ours: f64, theirs: f64) -> bool {
    if theirs == 0.0 {
        return ours.abs() < 1e-12;
    }
    let e = theirs.abs().log10().floor() as i32;
    let half_unit = 0.5 * 10f64.powi(e - 2);
    (ours - theirs).abs() <= half_unit * (1.0 + 1e-9)
}

#[test]
fn raw_statistics_match_coinr() {
    // COINr's statistics of the Raw data set, rounded by COINr to 3 significant figures.
    let inds = indicators();
    let b = build(&inds);
    let t = Table::read("asem_stats_raw.csv");
    let codes = t.strings("iCode");
    let cols = [
        "Min",
        "Max",
        "Mean",
        "Median",
        "Std",
        "Skew",
        "Kurt",
        "N.Avail",
        "N.NonZero",
    ];
    let refs: Vec<Vec<f64>> = cols.iter().map(|c| t.numbers(c)).collect();
    for (r, code) in codes.iter().enumerate() {
        let j = inds.iter().position(|i| &i.code == code).unwrap();
        let x = &b.raw.cols[j];
        let present: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
        let (skew, kurt) = stats::skew_kurt(x);
        let ours = [
            present.iter().copied().fold(f64::INFINITY, f64::min),
            present.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            stats::mean(x),
            stats::median(x),
            stats::sd(x),
            skew,
            kurt,
            stats::count(x) as f64,
            present.iter().filter(|v| **v != 0.0).count() as f64,
        ];
        for (k, name) in cols.iter().enumerate() {
            assert!(
                same_3_sig(ours[k], refs[k][r]),
                "{code} {name}: ours {}, COINr {}",
                ours[k],
                refs[k][r]
            );
        }
        // The separate skewness/kurtosis functions agree with the one-pass version.
        assert!((stats::skewness(x) - skew).abs() < 1e-12, "{code}");
        assert!((stats::kurtosis(x) - kurt).abs() < 1e-12, "{code}");
    }
}
