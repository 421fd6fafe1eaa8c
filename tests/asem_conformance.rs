//! Conformance with COINr: the `asem-2018` edition (COINr 1.1.14's ASEM example with
//! its default build, `build_example_coin()`) must reproduce COINr's own output at
//! every stage, for every unit and column, to within 1e-9 relative, plus its
//! treatment report, effective weights, index scores and ranks. The reference tables
//! are in `tests/fixtures/coinr/` (see PROVENANCE.md there).
//!
//! The variants of the edition are checked against independent computations in this
//! file (z-scores, geometric means, flat weights, a dropped pillar, …).
//!
//! Run with `-- --nocapture` (or `--show-output`) to see the largest deviation per stage.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const EDITION: &str = "methodologies/asem-2018.toml";
/// Relative tolerance: |a − b| ≤ TOL · max(1, |b|).
const TOL: f64 = 1e-9;
/// The stages of `--stages` and the matching COINr data sets.
const STAGES: [(&str, &str); 7] = [
    ("raw", "Raw"),
    ("denominated", "Denominated"),
    ("imputed", "Imputed"),
    ("screened", "Screened"),
    ("treated", "Treated"),
    ("normalised", "Normalised"),
    ("aggregated", "Aggregated"),
];

// ── Tables ───────────────────────────────────────────────────────────────────

/// A CSV table: rows keyed by unit id (first column), values by column name; empty
/// cells and `NA` are NaN, R's `TRUE` and `FALSE` are 1 and 0.
#[derive(Debug, Clone)]
struct Table {
    columns: Vec<String>,
    /// Unit ids in file order.
    units: Vec<String>,
    rows: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Table {
    fn read(path: &Path, id_column: &str) -> Table {
        let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(header[0], id_column, "{}: first column", path.display());
        let columns = header[1..].to_vec();
        let mut units = Vec::new();
        let mut rows = BTreeMap::new();
        for record in reader.records() {
            let record = record.unwrap();
            let id = record[0].to_string();
            let values = columns
                .iter()
                .zip(record.iter().skip(1))
                .map(|(c, cell)| (c.clone(), parse(cell, path, &id, c)))
                .collect();
            assert!(
                rows.insert(id.clone(), values).is_none(),
                "{}: {id} twice",
                path.display()
            );
            units.push(id);
        }
        Table { columns, units, rows }
    }

    fn get(&self, unit: &str, column: &str) -> f64 {
        self.rows[unit][column]
    }

    /// The column as a vector, in unit order.
    fn column(&self, column: &str) -> Vec<f64> {
        self.units.iter().map(|u| self.get(u, column)).collect()
    }
}

fn parse(cell: &str, path: &Path, unit: &str, column: &str) -> f64 {
    match cell.trim() {
        "" | "NA" => f64::NAN,
        "TRUE" => 1.0,
        "FALSE" => 0.0,
        s => s
            .parse()
            .unwrap_or_else(|_| panic!("{}: {unit}/{column}: `{s}` is not a number", path.display())),
    }
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/coinr").join(name)
}

/// The largest relative deviation found by [`compare`], and where.
#[derive(Debug, Default)]
struct Deviation {
    max: f64,
    at: String,
    cells: usize,
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (!a.is_nan() && !b.is_nan() && (a - b).abs() <= TOL * b.abs().max(1.0))
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// Compares every unit and column of `ours` with `theirs` (same units, same column
/// set): NaN positions equal, values within [`TOL`]. Mismatches are pushed onto
/// `errors`.
fn compare(what: &str, ours: &Table, theirs: &Table, errors: &mut Vec<String>) -> Deviation {
    let mut ours_units: Vec<&String> = ours.rows.keys().collect();
    let mut their_units: Vec<&String> = theirs.rows.keys().collect();
    ours_units.sort();
    their_units.sort();
    if ours_units != their_units {
        errors.push(format!(
            "{what}: units differ: ours {ours_units:?}, COINr {their_units:?}"
        ));
        return Deviation::default();
    }
    let mut a: Vec<&String> = ours.columns.iter().collect();
    let mut b: Vec<&String> = theirs.columns.iter().collect();
    a.sort();
    b.sort();
    if a != b {
        errors.push(format!("{what}: columns differ: ours {a:?}, COINr {b:?}"));
        return Deviation::default();
    }
    let mut dev = Deviation::default();
    for unit in &their_units {
        for column in &theirs.columns {
            let (x, y) = (ours.get(unit, column), theirs.get(unit, column));
            dev.cells += 1;
            if !close(x, y) {
                errors.push(format!("{what}: {unit}/{column}: cityrank {x:?}, COINr {y:?}"));
                continue;
            }
            if !x.is_nan() && rel(x, y) > dev.max {
                dev.max = rel(x, y);
                dev.at = format!("{unit}/{column}");
            }
        }
    }
    dev
}

// ── Running the edition ──────────────────────────────────────────────────────

struct Run {
    results: Value,
    stages: BTreeMap<&'static str, Table>,
}

/// Runs the edition (or one of its variants) with `--stages`.
fn run(dir: &Path, variant: Option<&str>) -> Run {
    let name = variant.unwrap_or("default");
    let out = dir.join(format!("{name}.json"));
    let stages_dir = dir.join(format!("{name}-stages"));
    std::fs::create_dir_all(&stages_dir).unwrap();
    let mut cmd = cityrank(&dir.join("cache"));
    cmd.args(["run", EDITION, "--format", "json", "--output"])
        .arg(&out)
        .arg("--stages")
        .arg(&stages_dir);
    if let Some(v) = variant {
        cmd.args(["--variant", v]);
    }
    let o = output(&mut cmd);
    assert!(o.status.success(), "{name}: run failed: {}", stderr(&o));
    let results: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let stages = STAGES
        .iter()
        .map(|(s, _)| (*s, Table::read(&stages_dir.join(format!("{s}.csv")), "id")))
        .collect();
    Run { results, stages }
}

fn unit_scores(results: &Value) -> BTreeMap<String, &Value> {
    results["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap().to_string(), u))
        .collect()
}

/// The framework of a results document: id → (parent, weight, effective weight).
fn framework(results: &Value) -> BTreeMap<String, (Option<String>, f64, f64)> {
    results["framework"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                (
                    n["parent"].as_str().map(str::to_string),
                    n["weight"].as_f64().unwrap(),
                    n["effective_weight"].as_f64().unwrap(),
                ),
            )
        })
        .collect()
}

fn children<'a>(fw: &'a BTreeMap<String, (Option<String>, f64, f64)>, node: &str) -> Vec<(&'a str, f64)> {
    fw.iter()
        .filter(|(_, (p, _, _))| p.as_deref() == Some(node))
        .map(|(id, (_, w, _))| (id.as_str(), *w))
        .collect()
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let ss = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>();
    (m, (ss / (n - 1.0)).sqrt())
}

// ── The default build against COINr ──────────────────────────────────────────

#[test]
fn default_build_matches_coinr_at_every_stage() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let ours = run(dir.path(), None);
    let mut errors = Vec::new();
    let mut report = Vec::new();

    // Every stage, every unit, every column.
    for (stage, coinr) in STAGES {
        let theirs = Table::read(&fixture(&format!("asem_default_{coinr}.csv")), "uCode");
        let dev = compare(stage, &ours.stages[stage], &theirs, &mut errors);
        report.push(format!(
            "{stage:>12}: {:>5} cells, largest relative deviation {:.3e}{}",
            dev.cells,
            dev.max,
            if dev.at.is_empty() {
                String::new()
            } else {
                format!(" at {}", dev.at)
            }
        ));
    }
    // The screened stage keeps every unit (imputation leaves no gaps), as COINr does.
    if let Some(out) = ours.results.get("screened_out") {
        errors.push(format!("screening removed units COINr keeps: {out}"));
    }

    // Treatment: points winsorised and the transform, exactly; moments to TOL.
    let details = Table::read(&fixture("asem_treat_details.csv"), "iCode");
    let treatment: BTreeMap<&str, &Value> = ours.results["treatment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["indicator"].as_str().unwrap(), t))
        .collect();
    if treatment.len() != details.units.len() {
        errors.push(format!(
            "treatment: {} entries for {} indicators",
            treatment.len(),
            details.units.len()
        ));
    }
    let mut moments = Deviation::default();
    for ind in &details.units {
        let Some(t) = treatment.get(ind.as_str()) else {
            errors.push(format!("treatment: no entry for {ind}"));
            continue;
        };
        let nwin = details.get(ind, "winsorise.nwin");
        let expected_nwin = if nwin.is_nan() { 0 } else { nwin as u64 };
        if t["winsorised"].as_u64() != Some(expected_nwin) {
            errors.push(format!(
                "treatment: {ind}: {} points winsorised, COINr {expected_nwin}",
                t["winsorised"]
            ));
        }
        // COINr: passes at once → untreated; passes after winsorising → winsorised;
        // else a log transform (columns check_SkewKurt2.*, absent in this example).
        let pass0 = details.get(ind, "check_SkewKurt0.Pass") == 1.0;
        let pass1 = details.get(ind, "check_SkewKurt1.Pass") == 1.0;
        let expected = if pass0 {
            "none"
        } else if pass1 {
            "winsorised"
        } else {
            "log"
        };
        if t["transform"] != expected {
            errors.push(format!(
                "treatment: {ind}: transform {}, COINr {expected}",
                t["transform"]
            ));
        }
        let mut check = |what: &str, ours: &Value, coinr: f64| {
            let x = ours.as_f64().unwrap_or(f64::NAN);
            if !close(x, coinr) {
                errors.push(format!("treatment: {ind}: {what} {x}, COINr {coinr}"));
            } else if rel(x, coinr) > moments.max {
                moments.max = rel(x, coinr);
                moments.at = format!("{ind} {what}");
            }
            moments.cells += 1;
        };
        check(
            "skew before",
            &t["skew_before"],
            details.get(ind, "check_SkewKurt0.Skew"),
        );
        check(
            "kurtosis before",
            &t["kurt_before"],
            details.get(ind, "check_SkewKurt0.Kurt"),
        );
        if expected == "winsorised" {
            check("skew after", &t["skew_after"], details.get(ind, "check_SkewKurt1.Skew"));
            check(
                "kurtosis after",
                &t["kurt_after"],
                details.get(ind, "check_SkewKurt1.Kurt"),
            );
        }
    }
    report.push(format!(
        "{:>12}: {:>5} values (skew, kurtosis), largest relative deviation {:.3e} at {}; winsorised counts and transforms exact",
        "treatment", moments.cells, moments.max, moments.at
    ));

    // Results: scores of every node and indicator, and ranks, per unit.
    let full = Table::read(&fixture("asem_default_results_full.csv"), "uCode");
    let units = unit_scores(&ours.results);
    let mut scores = Deviation::default();
    for unit in &full.units {
        let Some(u) = units.get(unit) else {
            errors.push(format!("results: no unit {unit}"));
            continue;
        };
        let rank = full.get(unit, "Rank");
        if u["rank"].as_f64() != Some(rank) {
            errors.push(format!("results: {unit}: rank {}, COINr {rank}", u["rank"]));
        }
        if u["score"] != u["scores"]["Index"] {
            errors.push(format!("results: {unit}: score is not the Index score"));
        }
        for column in full.columns.iter().filter(|c| *c != "Rank") {
            let x = u["scores"][column].as_f64().unwrap_or(f64::NAN);
            let y = full.get(unit, column);
            scores.cells += 1;
            if !close(x, y) {
                errors.push(format!("results: {unit}/{column}: cityrank {x}, COINr {y}"));
            } else if rel(x, y) > scores.max {
                scores.max = rel(x, y);
                scores.at = format!("{unit}/{column}");
            }
        }
    }
    if units.len() != full.units.len() {
        errors.push(format!("results: {} units, COINr {}", units.len(), full.units.len()));
    }
    report.push(format!(
        "{:>12}: {:>5} scores, largest relative deviation {:.3e} at {}; ranks exact",
        "results", scores.cells, scores.max, scores.at
    ));
    // The best unit, as COINr has it: CHE with 68.38….
    let first = &ours.results["units"][0];
    let score = first["score"].as_f64().unwrap_or(f64::NAN);
    if first["id"] != "CHE" || first["rank"] != 1 || !close(score, 68.383_724_238_342) {
        errors.push(format!(
            "results: first unit {} (rank {}, score {score}), COINr CHE (rank 1, score 68.383724238342)",
            first["id"], first["rank"]
        ));
    }

    // Effective weights of every node and indicator.
    let weights = Table::read(&fixture("asem_effective_weights.csv"), "iCode");
    let fw = framework(&ours.results);
    if fw.len() != weights.units.len() {
        errors.push(format!("framework: {} nodes, COINr {}", fw.len(), weights.units.len()));
    }
    for id in &weights.units {
        let coinr = weights.get(id, "EffWeight");
        match fw.get(id) {
            Some((_, w, eff)) => {
                if !close(*eff, coinr) {
                    errors.push(format!("effective weight of {id}: {eff}, COINr {coinr}"));
                }
                if *w != weights.get(id, "Weight") {
                    errors.push(format!("weight of {id}: {w}, COINr {}", weights.get(id, "Weight")));
                }
            }
            None => errors.push(format!("framework: no node {id}")),
        }
    }

    for line in &report {
        println!("asem conformance {line}");
    }
    println!("asem conformance took {:.1?}", started.elapsed());
    if !errors.is_empty() {
        let shown: Vec<&String> = errors.iter().take(40).collect();
        panic!(
            "cityrank deviates from COINr in {} place(s):\n{}",
            errors.len(),
            shown.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n")
        );
    }
}

// ── Variants ─────────────────────────────────────────────────────────────────

fn assert_close(what: &str, ours: f64, expected: f64) {
    assert!(close(ours, expected), "{what}: {ours}, expected {expected}");
}

/// The indicators (leaves) of a framework and their directions, from the manifest.
fn directions() -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(root().join("plugins/asem/methodology.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let dir = match i["direction"].as_str().unwrap() {
                "higher" => 1.0,
                "lower" => -1.0,
                other => panic!("direction {other}"),
            };
            (i["id"].as_str().unwrap().to_string(), dir)
        })
        .collect()
}

/// Checks every aggregate node of `run` against `f(children values, weights)` computed
/// here from the normalised stage, bottom up.
fn check_aggregation(name: &str, run: &Run, f: impl Fn(&[f64], &[f64]) -> f64) {
    let fw = framework(&run.results);
    let normalised = &run.stages["normalised"];
    let aggregated = &run.stages["aggregated"];
    let mut values: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for unit in &normalised.units {
        values.insert(unit.clone(), normalised.rows[unit].clone());
    }
    // Deepest first: pillars (parents of indicators), then sub-indices, then the index.
    let depth = |id: &str| {
        let mut d = 0;
        let mut p = fw[id].0.clone();
        while let Some(q) = p {
            d += 1;
            p = fw[&q].0.clone();
        }
        d
    };
    let mut nodes: Vec<&String> = fw.keys().filter(|id| !children(&fw, id).is_empty()).collect();
    nodes.sort_by_key(|id| std::cmp::Reverse(depth(id)));
    for node in nodes {
        let kids = children(&fw, node);
        let w: Vec<f64> = kids.iter().map(|(_, w)| *w).collect();
        for unit in &normalised.units {
            let x: Vec<f64> = kids.iter().map(|(c, _)| values[unit][*c]).collect();
            let expected = f(&x, &w);
            values.get_mut(unit).unwrap().insert(node.clone(), expected);
            assert_close(&format!("{name}: {unit}/{node}"), aggregated.get(unit, node), expected);
        }
    }
}

fn arithmetic(x: &[f64], w: &[f64]) -> f64 {
    x.iter().zip(w).map(|(x, w)| x * w).sum::<f64>() / w.iter().sum::<f64>()
}

fn geometric(x: &[f64], w: &[f64]) -> f64 {
    (x.iter().zip(w).map(|(x, w)| w * x.ln()).sum::<f64>() / w.iter().sum::<f64>()).exp()
}

#[test]
fn variants_run_and_differ_as_expected() {
    let dir = tempfile::tempdir().unwrap();
    let base = run(dir.path(), None);
    let dirs = directions();
    let indicators: Vec<&String> = dirs.keys().collect();
    assert_eq!(indicators.len(), 49);
    let base_index = base.stages["aggregated"].column("Index");

    // zscore: the treated values are the default's; each indicator's normalised values
    // have mean 10 and sd 2 and are 10 + 2·direction·(x − x̄)/s of the treated values.
    let z = run(dir.path(), Some("zscore"));
    assert_eq!(z.results["edition"]["variant"], "zscore");
    let treated = &z.stages["treated"];
    for ind in &indicators {
        assert_eq!(
            treated.column(ind),
            base.stages["treated"].column(ind),
            "zscore: treated {ind}"
        );
        let y = z.stages["normalised"].column(ind);
        let (m, s) = mean_sd(&y);
        assert_close(&format!("zscore: mean of {ind}"), m, 10.0);
        assert_close(&format!("zscore: sd of {ind}"), s, 2.0);
        let x = treated.column(ind);
        let (mx, sx) = mean_sd(&x);
        for (k, (xv, yv)) in x.iter().zip(&y).enumerate() {
            let expected = 10.0 + 2.0 * dirs[*ind] * (xv - mx) / sx;
            assert_close(&format!("zscore: {ind} unit {k}"), *yv, expected);
        }
    }
    check_aggregation("zscore", &z, arithmetic);

    // geometric: min-max onto 1–100, then weighted geometric means at every level.
    let g = run(dir.path(), Some("geometric"));
    for ind in &indicators {
        let y = g.stages["normalised"].column(ind);
        let lo = y.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        assert_close(&format!("geometric: min of {ind}"), lo, 1.0);
        assert_close(&format!("geometric: max of {ind}"), hi, 100.0);
        // The same order as the default's 0–100 values: an affine map of them.
        let d = base.stages["normalised"].column(ind);
        for (a, b) in y.iter().zip(&d) {
            assert_close(&format!("geometric: {ind}"), *a, 1.0 + b * 0.99);
        }
    }
    check_aggregation("geometric", &g, geometric);
    assert_ne!(g.stages["aggregated"].column("Index"), base_index);

    // no-treatment: treated = screened, nothing reported as treated, and the
    // normalised values are min-max of the untreated values.
    let n = run(dir.path(), Some("no-treatment"));
    let winsorised: u64 = n.results["treatment"]
        .as_array()
        .map_or(0, |a| a.iter().map(|t| t["winsorised"].as_u64().unwrap()).sum());
    assert_eq!(winsorised, 0, "no-treatment winsorised nothing");
    for ind in &indicators {
        let x = n.stages["screened"].column(ind);
        assert_eq!(n.stages["treated"].column(ind), x, "no-treatment: treated {ind}");
        let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for (xv, yv) in x.iter().zip(n.stages["normalised"].column(ind)) {
            let share = if dirs[*ind] > 0.0 {
                (xv - lo) / (hi - lo)
            } else {
                (hi - xv) / (hi - lo)
            };
            assert_close(&format!("no-treatment: {ind}"), yv, 100.0 * share);
        }
    }
    // Bord is winsorised by default (3 points): without treatment it differs.
    assert_ne!(
        n.stages["normalised"].column("Bord"),
        base.stages["normalised"].column("Bord")
    );
    assert_ne!(n.stages["aggregated"].column("Index"), base_index);
    check_aggregation("no-treatment", &n, arithmetic);

    // equal-weights: ASEM_iMeta's weights are all 1 already, so the build is COINr's
    // default exactly.
    let e = run(dir.path(), Some("equal-weights"));
    assert!(framework(&e.results).values().all(|(_, w, _)| *w == 1.0));
    for (stage, _) in STAGES {
        let (a, b) = (&e.stages[stage], &base.stages[stage]);
        assert_eq!(a.columns, b.columns, "equal-weights: {stage} columns");
        assert_eq!(
            format!("{:?}", a.rows),
            format!("{:?}", b.rows),
            "equal-weights: {stage}"
        );
    }
    assert_eq!(e.results["units"], base.results["units"]);

    // flat-weights: every indicator the same effective weight, so the index is the
    // plain mean of the 49 normalised indicators.
    let f = run(dir.path(), Some("flat-weights"));
    for id in &indicators {
        assert_close(
            &format!("flat-weights: effective weight of {id}"),
            framework(&f.results)[id.as_str()].2,
            1.0 / 49.0,
        );
    }
    for unit in &f.stages["normalised"].units {
        let row = &f.stages["normalised"].rows[unit];
        let mean = indicators.iter().map(|i| row[i.as_str()]).sum::<f64>() / 49.0;
        assert_close(
            &format!("flat-weights: {unit}"),
            f.stages["aggregated"].get(unit, "Index"),
            mean,
        );
    }
    check_aggregation("flat-weights", &f, arithmetic);
    assert_ne!(f.stages["aggregated"].column("Index"), base_index);

    // drop-physical: no Physical pillar or its indicators anywhere; Conn has the 4
    // other connectivity pillars; Sust is untouched.
    let d = run(dir.path(), Some("drop-physical"));
    let physical: Vec<&str> = ["LPI", "Flights", "Ship", "Bord", "Elec", "Gas", "ConSpeed", "Cov4G"].to_vec();
    for (stage, _) in STAGES {
        let cols = &d.stages[stage].columns;
        assert!(
            !cols.iter().any(|c| c == "Physical"),
            "drop-physical: {stage} has Physical"
        );
        for p in &physical {
            assert!(!cols.iter().any(|c| c == p), "drop-physical: {stage} has {p}");
        }
    }
    assert_eq!(d.stages["raw"].columns.len(), 41);
    let fw = framework(&d.results);
    assert!(!fw.contains_key("Physical"));
    let conn = children(&fw, "Conn");
    let mut conn_ids: Vec<&str> = conn.iter().map(|(c, _)| *c).collect();
    conn_ids.sort_unstable();
    assert_eq!(conn_ids, ["ConEcFin", "Instit", "P2P", "Political"]);
    for (c, w) in &conn {
        assert_eq!(*w, 1.0, "drop-physical: weight of {c}");
        assert_close(&format!("drop-physical: effective weight of {c}"), fw[*c].2, 0.125);
    }
    for unit in &d.stages["aggregated"].units {
        let a = &d.stages["aggregated"];
        let expected = ["ConEcFin", "Political", "Instit", "P2P"]
            .iter()
            .map(|p| a.get(unit, p))
            .sum::<f64>()
            / 4.0;
        assert_close(&format!("drop-physical: {unit}/Conn"), a.get(unit, "Conn"), expected);
        assert_eq!(
            a.get(unit, "Sust"),
            base.stages["aggregated"].get(unit, "Sust"),
            "drop-physical: {unit}/Sust"
        );
        assert_eq!(
            a.get(unit, "ConEcFin"),
            base.stages["aggregated"].get(unit, "ConEcFin"),
            "drop-physical: {unit}/ConEcFin"
        );
    }
    check_aggregation("drop-physical", &d, arithmetic);
    assert_ne!(d.stages["aggregated"].column("Index"), base_index);
}
