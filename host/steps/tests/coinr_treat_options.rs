//! Conformance with COINr 1.1.14's treatment options beyond its default build, on
//! its ASEM example: the fallbacks `log_CT_orig` and `log_GII`, Box-Cox as the first
//! or the second treatment, `combine_treat` and winsorisation's `force_win`.
//!
//! Each case starts from COINr's Screened data set of the default build
//! (`tests/fixtures/coinr/asem_default_Screened.csv`) and treats every indicator as
//! COINr's `Treat(coin, dset = "Screened", global_specs = …)` of
//! `tools/coinr/references.R` does; its outputs are in `tests/fixtures/coinr/more/`
//! (see PROVENANCE.md there). Compared, for every case:
//! - the treated value of every unit and indicator, within
//!   `1e-9·max(1, |COINr|)`, missing values in the same places;
//! - the treatment details, row by row (COINr's `Dets_Table`): the checks before,
//!   after the first and after the second treatment (pass, skewness, kurtosis),
//!   the points winsorised, which indicators reached the second treatment and
//!   what was applied; the units winsorised (COINr's `Treated_Points`);
//! - the normalised data (min-max 0–100) where COINr wrote them, and the
//!   aggregated results (every indicator, pillar, sub-index and the index, and
//!   the index's ranks).
//!
//! `log_GII` is the exception, on purpose: COINr 1.1.14's `log_GII` returns its
//! input untreated (a bug, see `tools/coinr/SOURCE-NOTES.md`), cityrank applies
//! its formula. There, the indicators that reach the second treatment, and every
//! check up to it, must be COINr's; their values must be the formula's, as COINr's
//! reference script computes it (`b_log_GII_formula_values_NOT_used_by_COINr.csv`).
//!
//! Run with `--nocapture` to see the largest deviation of each case.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use cityrank_steps::rank::competition;
use cityrank_steps::stats;
use cityrank_steps::treat::{LoopStep, Side, Transform, TreatLoop, TreatReport, Treatment, treat};
use common::Table;
use common::asem::{Deviation, TOL, aggregate_all, framework, normalise_all};

/// COINr's `Treat()` specification of a case, as a treatment of this crate.
fn coinr_loop(first: LoopStep, second: LoopStep, combine: bool) -> Treatment {
    Treatment::Loop(TreatLoop {
        first,
        second: Some(second),
        combine,
        skew: 2.0,
        kurt: 3.5,
    })
}

fn winsorise(winmax: usize) -> LoopStep {
    LoopStep::Winsorise { winmax, force: false }
}

/// COINr's `boxcox(lambda = 0.5, makepos = TRUE)` of the reference script.
const BOX_COX: LoopStep = LoopStep::BoxCox {
    lambda: 0.5,
    shift: true,
};

/// What COINr's details say each stage of a case does.
struct Expect {
    /// What a kept first treatment is.
    first: Transform,
    /// What the second treatment gives.
    second: Transform,
    /// COINr's `combine_treat`.
    combine: bool,
}

/// COINr's Screened data set: unit codes, indicator codes, columns.
struct Screened {
    units: Vec<String>,
    codes: Vec<String>,
    cols: Vec<Vec<f64>>,
}

fn screened() -> Screened {
    let t = Table::read("asem_default_Screened.csv");
    let codes = t.data_columns();
    assert_eq!(codes.len(), 49);
    Screened {
        units: t.strings("uCode"),
        cols: codes.iter().map(|c| t.numbers(c)).collect(),
        codes,
    }
}

/// Our treatment of every Screened indicator.
fn run(s: &Screened, t: &Treatment) -> (Vec<Vec<f64>>, Vec<TreatReport>) {
    s.cols.iter().map(|x| treat(x, t).unwrap()).unzip()
}

/// Column `code` of `t`, in the order of `units` (matched by uCode).
fn column_by_unit(t: &Table, code: &str, units: &[String]) -> Vec<f64> {
    let row: HashMap<String, usize> = t
        .strings("uCode")
        .into_iter()
        .enumerate()
        .map(|(i, u)| (u, i))
        .collect();
    let col = t.numbers(code);
    units.iter().map(|u| col[row[u]]).collect()
}

fn close(ours: f64, theirs: f64) -> bool {
    (ours.is_nan() && theirs.is_nan()) || (ours - theirs).abs() <= TOL * theirs.abs().max(1.0)
}

/// The largest relative deviation of skewness and kurtosis values.
#[derive(Default)]
struct Moments {
    max_rel: f64,
    at: String,
    values: usize,
}

impl Moments {
    fn check(&mut self, what: &str, ours: f64, coinr: f64) {
        assert!(close(ours, coinr), "{what}: ours {ours:.17}, COINr {coinr:.17}");
        self.values += 1;
        let rel = (ours - coinr).abs() / coinr.abs().max(1.0);
        if rel > self.max_rel {
            self.max_rel = rel;
            self.at = what.to_string();
        }
    }
}

/// One row of COINr's details table, by column name (empty: NA or no column).
struct Details {
    table: Table,
    row_of: HashMap<String, usize>,
}

impl Details {
    fn read(case: &str) -> Details {
        let table = Table::read(&format!("more/{case}_treat_details.csv"));
        let row_of = table
            .strings("iCode")
            .into_iter()
            .enumerate()
            .map(|(i, c)| (c, i))
            .collect();
        Details { table, row_of }
    }

    fn get(&self, code: &str, column: &str) -> String {
        match self.table.header.iter().position(|h| h == column) {
            Some(j) => self.table.rows[self.row_of[code]][j].clone(),
            None => String::new(),
        }
    }

    fn number(&self, code: &str, column: &str) -> f64 {
        common::num(&self.get(code, column))
    }

    /// COINr's `check_SkewKurt<k>` of `code`: `None` when that check did not run.
    fn check(&self, code: &str, k: usize) -> Option<(bool, f64, f64)> {
        let pass = self.get(code, &format!("check_SkewKurt{k}.Pass"));
        (!pass.is_empty()).then(|| {
            (
                pass == "TRUE",
                self.number(code, &format!("check_SkewKurt{k}.Skew")),
                self.number(code, &format!("check_SkewKurt{k}.Kurt")),
            )
        })
    }
}

/// Compares our reports with COINr's details of `case`, row by row; returns the
/// indicators that reached the second treatment. With `gii`, the second
/// treatment's check is not compared (COINr's `log_GII` returns its input).
fn compare_details(case: &str, s: &Screened, reports: &[TreatReport], expect: &Expect, gii: bool) -> Vec<String> {
    let d = Details::read(case);
    assert_eq!(d.row_of.len(), s.codes.len(), "{case}: one row per indicator");
    let mut moments = Moments::default();
    let mut reached = Vec::new();
    let (mut kept_first, mut untouched) = (0, 0);
    let points = Table::read(&format!("more/{case}_treated_points.csv"));
    for (j, code) in s.codes.iter().enumerate() {
        let rep = &reports[j];
        let at = |what: &str| format!("{case} {code} {what}");
        let (pass0, skew0, kurt0) = d.check(code, 0).unwrap();
        assert_eq!(rep.before.pass, Some(pass0), "{}", at("check 0"));
        moments.check(&at("skew before"), rep.before.skew, skew0);
        moments.check(&at("kurtosis before"), rep.before.kurt, kurt0);
        let nwin = d.get(code, "winsorise.nwin");
        let nwin: usize = if nwin.is_empty() { 0 } else { nwin.parse().unwrap() };
        assert_eq!(rep.nwin, nwin, "{}", at("points winsorised"));
        if pass0 {
            // Passed at once: no first treatment.
            assert!(d.check(code, 1).is_none(), "{}", at("COINr's check 1"));
            assert_eq!(rep.transform, Transform::None, "{}", at("transform"));
            assert!(rep.after_first.is_none() && rep.combined.is_none(), "{}", at("report"));
            untouched += 1;
            continue;
        }
        let (pass1, skew1, kurt1) = d.check(code, 1).unwrap();
        let after_first = rep.after_first.unwrap();
        assert_eq!(after_first.pass, Some(pass1), "{}", at("check 1"));
        moments.check(&at("skew after the first treatment"), after_first.skew, skew1);
        moments.check(&at("kurtosis after the first treatment"), after_first.kurt, kurt1);
        let Some((pass2, skew2, kurt2)) = d.check(code, 2) else {
            // The first treatment passed and was kept.
            assert!(pass1, "{}", at("COINr ran no second treatment after a failing first"));
            assert_eq!(rep.transform, expect.first, "{}", at("transform"));
            assert!(rep.combined.is_none(), "{}", at("combined"));
            assert_eq!(rep.after, after_first, "{}", at("check of the returned values"));
            if expect.first == Transform::Winsorised {
                // The units COINr marks "winhi" / "winlo".
                let labels = points.strings(code);
                let mut coinr: Vec<(String, Side)> = points
                    .strings("uCode")
                    .into_iter()
                    .zip(&labels)
                    .filter_map(|(u, l)| match l.as_str() {
                        "winhi" => Some((u, Side::High)),
                        "winlo" => Some((u, Side::Low)),
                        "" => None,
                        other => panic!("{}: label {other}", at("treated points")),
                    })
                    .collect();
                let mut ours: Vec<(String, Side)> = rep
                    .winsorised
                    .iter()
                    .map(|p| (s.units[p.unit].clone(), p.side))
                    .collect();
                coinr.sort_by(|a, b| a.0.cmp(&b.0));
                ours.sort_by(|a, b| a.0.cmp(&b.0));
                assert_eq!(ours, coinr, "{}", at("winsorised units"));
            }
            kept_first += 1;
            continue;
        };
        assert!(!pass1, "{}", at("COINr ran a second treatment after a passing first"));
        reached.push(code.clone());
        assert_eq!(rep.transform, expect.second, "{}", at("transform"));
        assert_eq!(
            rep.combined,
            expect.combine.then_some(expect.first),
            "{}",
            at("combined")
        );
        assert_eq!(
            rep.label(),
            if expect.combine {
                format!("{}+{}", expect.first.as_str(), expect.second.as_str())
            } else {
                expect.second.as_str().to_string()
            }
        );
        if gii {
            // COINr's check of its log_GII output is that of the untreated values:
            // the references show the bug themselves.
            assert_eq!(
                (pass2, skew2, kurt2),
                (pass0, skew0, kurt0),
                "{}",
                at("COINr's check 2")
            );
        } else {
            assert_eq!(rep.after.pass, Some(pass2), "{}", at("check 2"));
            moments.check(&at("skew after the second treatment"), rep.after.skew, skew2);
            moments.check(&at("kurtosis after the second treatment"), rep.after.kurt, kurt2);
        }
    }
    println!(
        "{case}: details of {} indicators ({untouched} passing, {kept_first} kept after the first treatment, \
         {} reaching the second): {} moments, largest relative deviation {:.3e} at {}",
        s.codes.len(),
        reached.len(),
        moments.values,
        moments.max_rel,
        if moments.at.is_empty() { "-" } else { &moments.at }
    );
    reached
}

/// Compares our treated columns with `reference` (every indicator unless
/// `only` says which).
fn compare_treated(stage: &str, s: &Screened, ours: &[Vec<f64>], reference: &Table, only: impl Fn(&str) -> bool) {
    let mut dev = Deviation::default();
    for (j, code) in s.codes.iter().enumerate().filter(|(_, c)| only(c)) {
        dev.compare(code, &s.units, &ours[j], &column_by_unit(reference, code, &s.units));
    }
    dev.finish(stage);
}

/// Normalises and aggregates our treated data as COINr's default build does,
/// and compares the normalised set (when COINr wrote it) and the results
/// (`only` restricts the normalised columns compared; `results = false` skips the
/// aggregates).
fn compare_downstream(case: &str, s: &Screened, ours: &[Vec<f64>], only: impl Fn(&str) -> bool, results: bool) {
    let nodes = framework();
    let index: HashMap<&str, usize> = s.codes.iter().enumerate().map(|(j, c)| (c.as_str(), j)).collect();
    let mut data = normalise_all(|c| ours[index[c]].clone(), &nodes);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/coinr/more")
        .join(format!("{case}_Normalised.csv"));
    if path.exists() {
        let reference = Table::read(&format!("more/{case}_Normalised.csv"));
        let mut dev = Deviation::default();
        for code in s.codes.iter().filter(|c| only(c)) {
            dev.compare(code, &s.units, &data[code], &column_by_unit(&reference, code, &s.units));
        }
        dev.finish(&format!("{case}: Treated → Normalised"));
    }
    if !results {
        return;
    }
    aggregate_all(&mut data, &nodes);
    let reference = Table::read(&format!("more/{case}_results.csv"));
    let columns: Vec<String> = reference.data_columns().into_iter().filter(|c| c != "Rank").collect();
    let mut got: Vec<&String> = data.keys().collect();
    let mut want: Vec<&String> = columns.iter().collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{case}: columns of the results");
    let mut dev = Deviation::default();
    for code in &columns {
        dev.compare(code, &s.units, &data[code], &column_by_unit(&reference, code, &s.units));
    }
    dev.finish(&format!("{case}: Normalised → Aggregated (results)"));
    // Ranks of the index: COINr's rank(-Index, ties.method = "min").
    let ranks = competition(&data["Index"]);
    let coinr = column_by_unit(&reference, "Rank", &s.units);
    for (k, u) in s.units.iter().enumerate() {
        assert_eq!(ranks[k].map(f64::from), Some(coinr[k]), "{case}: rank of {u}");
    }
}

/// A case reproduced in full: treated values, details, normalised, results.
fn full_case(case: &str, t: Treatment, expect: Expect) -> Vec<String> {
    let s = screened();
    let (ours, reports) = run(&s, &t);
    compare_treated(
        &format!("{case}: Screened → Treated"),
        &s,
        &ours,
        &Table::read(&format!("more/{case}_Treated.csv")),
        |_| true,
    );
    let reached = compare_details(case, &s, &reports, &expect, false);
    compare_downstream(case, &s, &ours, |_| true, true);
    reached
}

/// Winsorisation first (kept where it is enough), `second` otherwise.
fn winsorised_then(second: Transform) -> Expect {
    Expect {
        first: Transform::Winsorised,
        second,
        combine: false,
    }
}

#[test]
fn log_ct_orig_fallback_matches_coinr() {
    // Treat(global_specs = list(f1_para = list(winmax = w), f2 = "log_CT_orig")).
    for winmax in [5, 1, 0] {
        let reached = full_case(
            &format!("a_log_CT_orig_winmax{winmax}"),
            coinr_loop(winsorise(winmax), LoopStep::LogCtOrig, false),
            winsorised_then(Transform::LogOrig),
        );
        // With winmax 5 winsorisation is enough for every ASEM indicator (as in the
        // default build); with less, some indicators reach the log.
        assert_eq!(reached.is_empty(), winmax == 5, "winmax {winmax}: {reached:?}");
    }
}

#[test]
fn log_ct_baseline_matches_coinr() {
    // The default f2 = "log_CT" with winmax 1 and 0 (the baseline of the cases above).
    for winmax in [1, 0] {
        let reached = full_case(
            &format!("a0_log_CT_winmax{winmax}"),
            Treatment::Coinr {
                winmax,
                skew: 2.0,
                kurt: 3.5,
            },
            winsorised_then(Transform::Log),
        );
        assert!(!reached.is_empty());
    }
}

#[test]
fn log_gii_applies_the_formula_where_coinr_reaches_it() {
    // Treat(global_specs = list(f1_para = list(winmax = w), f2 = "log_GII")).
    let s = screened();
    let screened_table = Table::read("asem_default_Screened.csv");
    let formula = Table::read("more/b_log_GII_formula_values_NOT_used_by_COINr.csv");
    for winmax in [5, 1, 0] {
        let case = format!("b_log_GII_winmax{winmax}");
        let (ours, reports) = run(&s, &coinr_loop(winsorise(winmax), LoopStep::LogGii, false));
        let reached = compare_details(&case, &s, &reports, &winsorised_then(Transform::LogGii), true);
        assert_eq!(reached.is_empty(), winmax == 5, "{case}: {reached:?}");
        let is_reached = |c: &str| reached.iter().any(|r| r == c);
        let coinr = Table::read(&format!("more/{case}_Treated.csv"));
        // Where COINr does not reach log_GII, its values.
        compare_treated(
            &format!("{case}: Screened → Treated, indicators not reaching the log"),
            &s,
            &ours,
            &coinr,
            |c| !is_reached(c),
        );
        if reached.is_empty() {
            // Nothing differs from COINr: normalised and results too.
            compare_downstream(&case, &s, &ours, |_| true, true);
            continue;
        }
        // Where it does: COINr returns the Screened values (its bug) …
        let mut untouched = Deviation::default();
        for code in &reached {
            untouched.compare(
                code,
                &s.units,
                &column_by_unit(&coinr, code, &s.units),
                &column_by_unit(&screened_table, code, &s.units),
            );
        }
        assert_eq!(untouched.max_abs, 0.0, "{case}: COINr's log_GII returned its input");
        // … and cityrank the formula's values.
        compare_treated(
            &format!("{case}: Screened → Treated, the GII log's formula"),
            &s,
            &ours,
            &formula,
            is_reached,
        );
        // The check recorded after the log is that of the values returned.
        for code in &reached {
            let j = s.codes.iter().position(|c| c == code).unwrap();
            let (skew, kurt) = stats::skew_kurt(&column_by_unit(&formula, code, &s.units));
            assert!(
                close(reports[j].after.skew, skew) && close(reports[j].after.kurt, kurt),
                "{case} {code}"
            );
            // The formula reverses indicators whose maximum is below 1 (its
            // `max − 1` is negative), and the report says so.
            let max = s.cols[j].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(reports[j].reversed, max < 1.0, "{case} {code}: max {max}");
        }
        // Normalised values of the other indicators are COINr's; the aggregates
        // mix in the log's values, which COINr never computed.
        compare_downstream(&case, &s, &ours, |c| !is_reached(c), false);
    }
}

#[test]
fn box_cox_first_matches_coinr() {
    // Treat(global_specs = list(f1 = "boxcox", f1_para = list(winmax = NULL, …,
    // lambda = 0.5, makepos = TRUE))): Box-Cox where the check fails, log_CT of
    // the original values where Box-Cox is not enough.
    let reached = full_case(
        "c1_boxcox_f1",
        coinr_loop(BOX_COX, LoopStep::LogCt, false),
        Expect {
            first: Transform::BoxCox,
            second: Transform::Log,
            combine: false,
        },
    );
    assert!(!reached.is_empty());
}

#[test]
fn box_cox_second_matches_coinr() {
    // Treat(global_specs = list(f1_para = list(winmax = w), f2 = "boxcox",
    // f2_para = list(lambda = 0.5, makepos = TRUE))).
    for winmax in [5, 1, 0] {
        let reached = full_case(
            &format!("c2_boxcox_f2_winmax{winmax}"),
            coinr_loop(winsorise(winmax), BOX_COX, false),
            winsorised_then(Transform::BoxCox),
        );
        assert_eq!(reached.is_empty(), winmax == 5, "winmax {winmax}: {reached:?}");
    }
}

#[test]
fn box_cox_combined_with_log_matches_coinr() {
    // As c1 with combine_treat = TRUE: log_CT of Box-Cox's output.
    let reached = full_case(
        "c3_boxcox_f1_combine",
        coinr_loop(BOX_COX, LoopStep::LogCt, true),
        Expect {
            first: Transform::BoxCox,
            second: Transform::Log,
            combine: true,
        },
    );
    assert!(!reached.is_empty());
}

#[test]
fn forced_winsorisation_matches_coinr() {
    // Treat(global_specs = list(f1_para = list(winmax = 5, force_win = TRUE))):
    // every failing indicator gets exactly 5 points; passing ones stay untouched.
    let reached = full_case(
        "d_force_win",
        coinr_loop(LoopStep::Winsorise { winmax: 5, force: true }, LoopStep::LogCt, false),
        winsorised_then(Transform::Log),
    );
    assert!(reached.is_empty());
    let s = screened();
    let (_, reports) = run(
        &s,
        &coinr_loop(LoopStep::Winsorise { winmax: 5, force: true }, LoopStep::LogCt, false),
    );
    for r in reports.iter().filter(|r| r.before.pass == Some(false)) {
        assert_eq!((r.nwin, r.winsorised.len()), (5, 5));
    }
}
