//! The pipeline in process, through `cityrank-core` alone: no binary, no plugin
//! build, no sandbox (declarative methodologies run without one). Numbers come
//! from COINr's own output (`tests/fixtures/coinr/`, see PROVENANCE.md there) or
//! from hand calculations written out below.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cityrank_core::dataset::Dataset;
use cityrank_core::edition::{LimitsSpec, ResolvedEdition};
use cityrank_core::run::{self, ManifestsOnly};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_edition(path: &Path, variant: Option<&str>) -> anyhow::Result<run::RunOutput> {
    let edition = ResolvedEdition::load_variant(path, &LimitsSpec::default(), variant)?;
    run::run_edition(&ManifestsOnly, &edition, Default::default())
}

/// The error of a run that must fail, with its causes.
fn run_error(path: &Path, variant: Option<&str>) -> String {
    match run_edition(path, variant) {
        Ok(_) => panic!("{} ran, but should have failed", path.display()),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn asem_index_and_ranks_are_coinrs() {
    let out = run_edition(&root().join("methodologies/asem-2018.toml"), None).unwrap();
    let mut reader = csv::Reader::from_path(root().join("tests/fixtures/coinr/asem_default_results_full.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (code, rank, index) = (col("uCode"), col("Rank"), col("Index"));
    let mut coinr: BTreeMap<String, (u32, f64)> = BTreeMap::new();
    for r in reader.records() {
        let r = r.unwrap();
        coinr.insert(
            r[code].to_string(),
            (r[rank].parse().unwrap(), r[index].parse().unwrap()),
        );
    }
    assert_eq!(coinr.len(), 51);
    let units: BTreeMap<&str, &cityrank_core::results::UnitResult> =
        out.results.units.iter().map(|u| (u.id.as_str(), u)).collect();
    for (id, (rank, index)) in &coinr {
        let u = units[id.as_str()];
        assert_eq!(u.rank, Some(*rank), "{id}: rank");
        let score = u.score.unwrap();
        assert!(
            (score - index).abs() <= 1e-9 * index.abs().max(1.0),
            "{id}: {score} vs COINr {index}"
        );
    }
}

/// A run that records its stages records exactly the tables the steps' catalogue
/// names, in its order (the names `--stages`, `explain` and the workbook use).
#[test]
fn a_run_records_the_stages_the_catalogue_names() {
    let edition = ResolvedEdition::load(&root().join("methodologies/asem-2018.toml"), &LimitsSpec::default()).unwrap();
    let options = cityrank_core::pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    let out = run::run_edition(&ManifestsOnly, &edition, options).unwrap();
    let recorded: Vec<&str> = out.stages.iter().map(|s| s.name).collect();
    assert_eq!(recorded, cityrank_core::catalogue::stage_names());
}

/// A three-unit methodology written out by hand: two indicators, min-max onto
/// [0, 100], arithmetic mean with weights 1 and 3.
fn tiny(dir: &Path, extra_edition: &str) -> PathBuf {
    let data = root().join("tests/fixtures/tiny");
    std::fs::write(
        dir.join("methodology.toml"),
        r#"schema_version = 2
id = "hand"
name = "Hand"
version = "1.0.0"
description = "Checked by hand"
index = { id = "index", name = "Index" }
nodes = [{ id = "p", name = "P", parent = "index" }]
indicators = [
  { id = "x", name = "X", parent = "p", direction = "higher", unit = "1", from = "x", weight = 1.0 },
  { id = "y", name = "Y", parent = "p", direction = "lower", unit = "1", formula = "x * x", weight = 3.0 },
]
tiers = [{ label = "top", upper_share = 0.34 }, { label = "rest", upper_share = 1.0 }]
"#,
    )
    .unwrap();
    let edition = dir.join("hand.toml");
    std::fs::write(
        &edition,
        format!(
            "schema_version = 1\nid = \"hand\"\nname = \"Hand\"\nyear = 2024\nmethodology = \"methodology.toml\"\n\
             dataset = \"{}\"\n{extra_edition}",
            data.join("dataset.toml").display().to_string().replace('\\', "/")
        ),
    )
    .unwrap();
    edition
}

/// A misspelt methodology or dataset path is named with the closest entry of its folder.
#[test]
fn a_misspelt_path_gets_the_closest_name() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(dir.path(), "");
    let text = std::fs::read_to_string(&edition).unwrap();
    std::fs::write(&edition, text.replace("methodology.toml", "methodolgy.toml")).unwrap();
    let err = run_error(&edition, None);
    assert!(
        err.contains("methodolgy.toml` does not exist; did you mean `methodology.toml`?"),
        "{err}"
    );
}

/// Every problem of a variant at once, each at its place in the edition file
/// (they came one at a time: a fix, a run, the next).
#[test]
fn every_problem_of_a_variant_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(
        dir.path(),
        "[variants.v]\nskip = [\"treet\"]\nweights = { z = 1.0 }\nnormalise = { yy = { method = \"rank\" } }\n\
         aggregate = { q = { method = \"geometric\" } }\ndrop = [\"w\"]\n",
    );
    let err = run_error(&edition, Some("v"));
    let file = edition.display();
    assert!(err.contains("5 problems"), "{err}");
    // The edition's variant table starts on line 7: `skip` is line 8, `weights` 9, …;
    // each problem is at its value: `skip = ` is 7 characters, so column 8;
    // `weights = { z = ` 16, column 17; `normalise = { yy = ` 19, column 20;
    // `aggregate = { q = ` 18, column 19; `drop = ` 7, column 8.
    for expected in [
        format!("{file}:8:8: variants.v.skip: `treet` cannot be skipped"),
        format!("{file}:9:17: variants.v.weights.z: no node or indicator `z` in methodology `hand`"),
        format!("{file}:10:20: variants.v.normalise.yy: no indicator `yy` in methodology `hand`"),
        format!("{file}:11:19: variants.v.aggregate.q: no aggregate node `q` in methodology `hand`"),
        format!("{file}:12:8: variants.v.drop: no node or indicator `w` in methodology `hand`"),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
}

#[test]
fn hand_calculated_scores_ranks_and_record() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(
        dir.path(),
        "[variants.flat]\nweights = { y = 1.0 }\npipeline = { normalise = { method = \"rank\" } }\n",
    );
    // x = a 1, b 3, c 2 → min-max: a 0, b 100, c 50.
    // y = x² = 1, 9, 4, lower is better → min-max reversed: a 100, b 0, c 62.5.
    // Index = (1·x + 3·y) / 4: a 75, b 25, c 59.375. Ranks a 1, c 2, b 3; the top
    // tier holds the first 34% of 3 units, one unit.
    let out = run_edition(&edition, None).unwrap();
    let got: Vec<(&str, f64, u32, &str)> = out
        .results
        .units
        .iter()
        .map(|u| {
            (
                u.id.as_str(),
                u.score.unwrap(),
                u.rank.unwrap(),
                u.tier.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("a", 75.0, 1, "top"), ("c", 59.375, 2, "rest"), ("b", 25.0, 3, "rest")]
    );
    // The results say how they were made: the edition file, the resolved pipeline
    // (defaults written out), no limits for a methodology without code.
    let r = &out.results;
    assert_eq!(r.edition.file, "hand.toml");
    assert_eq!(r.edition.sha256.len(), 64);
    assert_eq!(r.dataset.description_sha256.len(), 64);
    assert!(r.limits.is_none());
    let json = serde_json::to_value(r).unwrap();
    assert_eq!(json["pipeline"]["steps"]["normalise"]["method"], "min-max");
    assert_eq!(json["pipeline"]["steps"]["aggregate"]["method"], "arithmetic");
    assert!(json["edition"].get("changes").is_none());

    // The variant: weights 1 and 1, ranks normalised. Ranks of x: a 1, c 2, b 3
    // (rank normalisation gives the rank among the units, higher = better: a 1, c 2,
    // b 3); of y (lower is better, so the smallest y ranks highest): a 3, c 2, b 1.
    // Each unit's mean is 2: all three tie at rank 1.
    let out = run_edition(&edition, Some("flat")).unwrap();
    let ranks: Vec<u32> = out.results.units.iter().map(|u| u.rank.unwrap()).collect();
    assert_eq!(ranks, [1, 1, 1]);
    let json = serde_json::to_value(&out.results).unwrap();
    assert_eq!(json["edition"]["variant"], "flat");
    assert_eq!(json["edition"]["changes"]["weights"]["y"], 1.0);
    assert_eq!(json["pipeline"]["steps"]["normalise"]["method"], "rank");
    let y = out.results.framework.iter().find(|n| n.id == "y").unwrap();
    assert_eq!(y.weight, 1.0);
}

#[test]
fn a_pinned_methodology_hash_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let manifest_hash =
        |dir: &Path| cityrank_core::digest::sha256_hex(std::fs::read(dir.join("methodology.toml")).unwrap());
    let wrong = "0".repeat(64);
    let edition = tiny(dir.path(), &format!("methodology_sha256 = \"{wrong}\"\n"));
    let err = run_error(&edition, None);
    let actual = manifest_hash(dir.path());
    assert!(err.contains(&format!("pins methodology {wrong}")), "{err}");
    assert!(err.contains(&format!("has {actual}")), "{err}");
    assert!(err.contains("methodology_sha256"), "{err}");
    // The right hash runs.
    let edition = tiny(dir.path(), &format!("methodology_sha256 = \"{actual}\"\n"));
    run_edition(&edition, None).unwrap();
    // Not a hash at all: the schema says so.
    let edition = tiny(dir.path(), "methodology_sha256 = \"abc\"\n");
    let err = run_error(&edition, None);
    assert!(err.contains("methodology_sha256"), "{err}");
}

#[test]
fn a_variant_cannot_skip_a_step_that_is_not_skippable() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(dir.path(), "[variants.v]\nskip = [\"normalise\"]\n");
    let err = run_error(&edition, Some("v"));
    assert!(
        err.contains("`normalise` cannot be skipped; skippable steps are denominate, impute, screen, treat"),
        "{err}"
    );
}

#[test]
fn datasets_load_in_process() {
    let d = Dataset::load(&root().join("tests/fixtures/tiny/dataset.toml")).unwrap();
    assert_eq!(d.numbers["x"], [1.0, 3.0, 2.0]);
}

#[test]
fn every_problem_of_an_edition_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.toml");
    std::fs::write(
        &path,
        "schema_version = 1\nid = \"e\"\nname = \"E\"\nyear = 2024\nmethodology = \"nowhere/methodology.toml\"\n\
         dataset = \"missing.toml\"\n[panel]\nyears = [2022, 2022]\nweights = [1.0]\n\
         [variants.v]\ndataset = \"also-missing.toml\"\n",
    )
    .unwrap();
    let err = match ResolvedEdition::load(&path, &LimitsSpec::default()) {
        Ok(_) => panic!("a broken edition loaded"),
        Err(e) => format!("{e:#}"),
    };
    let file = path.display();
    for expected in [
        format!("{file}: 4 problems:"),
        // `methodology = "…"`: line 5, the value at column 15.
        format!("{file}:5:15: methodology: `"),
        format!("{file}:6:11: dataset: `"),
        format!("{file}:7:1: panel: give one weight per year (years: 2, weights: 1)"),
        format!("{file}:8:16: panel.years[1]: 2022 is listed twice"),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in:\n{err}");
    }
    // Another variant's dataset is that variant's business: checked when it runs.
    assert!(!err.contains("also-missing"), "{err}");
    let err = match ResolvedEdition::load_variant(&path, &LimitsSpec::default(), Some("v")) {
        Ok(_) => panic!("a broken variant loaded"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains(&format!("{file}:11:11: variants.v.dataset: `")), "{err}");
}

#[test]
fn every_problem_of_a_dataset_description_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dataset.toml");
    std::fs::copy(
        root().join("tests/fixtures/tiny/units.csv"),
        dir.path().join("units.csv"),
    )
    .unwrap();
    let tiny = std::fs::read_to_string(root().join("tests/fixtures/tiny/dataset.toml")).unwrap();
    std::fs::write(
        &path,
        format!("{tiny}\n[[variables]]\nid = \"x\"\ntype = \"number\"\nsource = \"wdi\"\n\n[[sources]]\nid = \"wbi\"\ntitle = \"World Bank\"\nlicence = \"CC BY 4.0\"\n\n[[variables]]\nid = \"y\"\ntype = \"number\"\nmin = 10\nmax = 1\n"),
    )
    .unwrap();
    let err = match Dataset::load(&path) {
        Ok(_) => panic!("a broken description loaded"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("3 problems"), "{err}");
    // The last variable's `min = 10` is line 30, its value at column 7.
    assert!(
        err.contains(&format!(
            "{}:30:7: variable `y`: min: variable `y` has min = 10 above max = 1; swap them",
            path.display()
        )),
        "{err}"
    );
    // The tiny description has 15 lines, then a blank one: the second
    // `[[variables]]` is line 17, its `id` value line 18 column 6, its `source`
    // value line 20 column 10.
    let file = path.display();
    assert!(
        err.contains(&format!("{file}:18:6: variable `x`: id: `x` is already variables[0]")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{file}:20:10: variable `x`: source: no source `wdi` in [[sources]]; did you mean `wbi`?"
        )),
        "{err}"
    );
}

#[test]
fn warnings_are_kept_in_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(dir.path(), "");
    // y = 1 / (x − 1): Alpha has x = 1, a division by zero — missing, with a warning.
    let m = std::fs::read_to_string(dir.path().join("methodology.toml")).unwrap();
    std::fs::write(
        dir.path().join("methodology.toml"),
        m.replace("formula = \"x * x\"", "formula = \"1 / (x - 1)\""),
    )
    .unwrap();
    let out = run_edition(&edition, None).unwrap();
    assert_eq!(out.results.warnings, out.warnings);
    assert_eq!(out.results.warnings.len(), 1, "{:?}", out.results.warnings);
    let w = &out.results.warnings[0];
    assert!(w.contains("division by zero") && w.contains('a'), "{w}");
    let json = serde_json::to_value(&out.results).unwrap();
    assert_eq!(json["warnings"].as_array().unwrap().len(), 1);
}

/// A COINr reference table of `tests/fixtures/coinr/` (see PROVENANCE.md there),
/// rows keyed by their first column (uCode or iCode); empty cells are NA.
struct Reference {
    header: Vec<String>,
    keys: Vec<String>,
    rows: BTreeMap<String, Vec<String>>,
}

impl Reference {
    fn read(name: &str) -> Reference {
        let mut reader = csv::Reader::from_path(root().join("tests/fixtures/coinr").join(name)).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
        let mut keys = Vec::new();
        let mut rows = BTreeMap::new();
        for r in reader.records() {
            let r: Vec<String> = r.unwrap().iter().map(str::to_string).collect();
            keys.push(r[0].clone());
            rows.insert(r[0].clone(), r);
        }
        Reference { header, keys, rows }
    }

    fn get(&self, key: &str, column: &str) -> &str {
        match self.header.iter().position(|h| h == column) {
            Some(j) => &self.rows[key][j],
            None => "",
        }
    }

    fn number(&self, key: &str, column: &str) -> f64 {
        match self.get(key, column) {
            "" => f64::NAN,
            v => v.parse().unwrap(),
        }
    }

    /// The data columns (all but the key column).
    fn columns(&self) -> &[String] {
        &self.header[1..]
    }
}

/// The largest relative deviation from COINr found, where, and over how many values;
/// a value farther than 1e-9·max(1, |COINr|), or missing where COINr's is not (or
/// the reverse), fails.
#[derive(Default)]
struct Largest {
    rel: f64,
    at: String,
    values: usize,
}

impl Largest {
    fn check(&mut self, at: &str, ours: Option<f64>, coinr: f64) {
        let ours = ours.unwrap_or(f64::NAN);
        self.values += 1;
        if ours.is_nan() || coinr.is_nan() {
            assert!(ours.is_nan() && coinr.is_nan(), "{at}: ours {ours}, COINr {coinr}");
            return;
        }
        let rel = (ours - coinr).abs() / coinr.abs().max(1.0);
        assert!(rel <= 1e-9, "{at}: ours {ours:.17}, COINr {coinr:.17}");
        if rel > self.rel {
            self.rel = rel;
            self.at = at.to_string();
        }
    }
}

/// The ASEM edition at `variant`, run in process with its stage tables.
fn run_asem(edition: &Path, variant: &str) -> run::RunOutput {
    let edition = ResolvedEdition::load_variant(edition, &LimitsSpec::default(), Some(variant)).unwrap();
    let options = cityrank_core::pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    run::run_edition(&ManifestsOnly, &edition, options).unwrap()
}

/// The treated value of every unit and indicator, as `(unit, indicator) → value`.
fn treated_values(out: &run::RunOutput) -> BTreeMap<(String, String), f64> {
    let stage = out.stages.iter().find(|s| s.name == "treated").unwrap();
    let mut values = BTreeMap::new();
    for (c, column) in stage.columns.iter().enumerate() {
        for (k, &u) in stage.units.iter().enumerate() {
            values.insert((out.unit_ids[u].clone(), column.clone()), stage.values[c][k]);
        }
    }
    values
}

/// The ASEM edition's treatment variants reproduce COINr 1.1.14's `Treat` with the
/// same options, through the whole pipeline: the treated value of every unit and
/// indicator, the treatment report (what was applied to each indicator, the points
/// winsorised, skewness and kurtosis before and after, as COINr's details table
/// gives them), the score of every node and indicator, and the ranks.
#[test]
fn asem_treatment_variants_are_coinrs() {
    let edition = root().join("methodologies/asem-2018.toml");
    // (variant, COINr case, what a kept first treatment is, what the second gives)
    let cases = [
        ("log-ct-orig", "a_log_CT_orig_winmax1", "winsorised", "log_orig"),
        ("box-cox-first", "c1_boxcox_f1", "box_cox", "log"),
        ("box-cox-combined", "c3_boxcox_f1_combine", "box_cox", "box_cox+log"),
        ("box-cox-second", "c2_boxcox_f2_winmax1", "winsorised", "box_cox"),
        ("force-win", "d_force_win", "winsorised", "log"),
    ];
    for (variant, case, first, second) in cases {
        let out = run_asem(&edition, variant);
        // Treated values.
        let treated = Reference::read(&format!("more/{case}_Treated.csv"));
        let ours = treated_values(&out);
        assert_eq!(ours.len(), 51 * 49, "{variant}");
        let mut values = Largest::default();
        for unit in &treated.keys {
            for code in treated.columns() {
                values.check(
                    &format!("{variant} treated {unit}/{code}"),
                    ours.get(&(unit.clone(), code.clone())).copied(),
                    treated.number(unit, code),
                );
            }
        }
        // The treatment report.
        let details = Reference::read(&format!("more/{case}_treat_details.csv"));
        let report: BTreeMap<&str, &cityrank_core::results::TreatmentInfo> = out
            .results
            .treatment
            .iter()
            .map(|t| (t.indicator.as_str(), t))
            .collect();
        assert_eq!(report.len(), details.keys.len(), "{variant}: one entry per indicator");
        let mut moments = Largest::default();
        let (mut kept, mut second_ran) = (0, 0);
        for code in &details.keys {
            let t = report[code.as_str()];
            let at = |what: &str| format!("{variant} {code} {what}");
            let nwin = details.number(code, "winsorise.nwin");
            assert_eq!(
                t.winsorised,
                if nwin.is_nan() { 0 } else { nwin as usize },
                "{}",
                at("nwin")
            );
            moments.check(
                &at("skew before"),
                t.skew_before,
                details.number(code, "check_SkewKurt0.Skew"),
            );
            moments.check(
                &at("kurtosis before"),
                t.kurt_before,
                details.number(code, "check_SkewKurt0.Kurt"),
            );
            // Passing at once: untreated; else the first treatment kept where it
            // passes; else the second treatment (COINr's check_SkewKurt2).
            let (expected, after) = if details.get(code, "check_SkewKurt0.Pass") == "TRUE" {
                ("none", None)
            } else if details.get(code, "check_SkewKurt2.Pass").is_empty() {
                kept += 1;
                (first, Some(1))
            } else {
                second_ran += 1;
                (second, Some(2))
            };
            assert_eq!(t.transform, expected, "{}", at("transform"));
            if let Some(k) = after {
                let check = format!("check_SkewKurt{k}");
                moments.check(
                    &at("skew after"),
                    t.skew_after,
                    details.number(code, &format!("{check}.Skew")),
                );
                moments.check(
                    &at("kurtosis after"),
                    t.kurt_after,
                    details.number(code, &format!("{check}.Kurt")),
                );
            }
        }
        // Scores of every indicator (normalised) and aggregate, and ranks.
        let results = Reference::read(&format!("more/{case}_results.csv"));
        let units: BTreeMap<&str, &cityrank_core::results::UnitResult> =
            out.results.units.iter().map(|u| (u.id.as_str(), u)).collect();
        assert_eq!(units.len(), results.keys.len(), "{variant}");
        let mut scores = Largest::default();
        for unit in &results.keys {
            let u = units[unit.as_str()];
            assert_eq!(
                u.rank.map(f64::from),
                Some(results.number(unit, "Rank")),
                "{variant} rank of {unit}"
            );
            scores.check(
                &format!("{variant} {unit} score"),
                u.score,
                results.number(unit, "Index"),
            );
            for column in results.columns().iter().filter(|c| *c != "Rank") {
                scores.check(
                    &format!("{variant} {unit}/{column}"),
                    u.scores.get(column),
                    results.number(unit, column),
                );
            }
        }
        println!(
            "{variant} (COINr {case}): {} treated values, largest relative deviation {:.3e} at {}; \
             treatment of {} indicators ({kept} first treatment kept, {second_ran} second), {} moments, {:.3e} at {}; \
             {} scores, {:.3e} at {}; ranks exact",
            values.values,
            values.rel,
            values.at,
            details.keys.len(),
            moments.values,
            moments.rel,
            moments.at,
            scores.values,
            scores.rel,
            scores.at
        );
    }
}

/// A copy of the ASEM edition in `dir` (methodology and dataset by absolute
/// paths) with `extra` appended.
fn asem_copy(dir: &Path, extra: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join("methodologies/asem-2018.toml"))
        .unwrap()
        .replace(
            "methodology = \"../plugins/asem\"",
            &format!("methodology = {:?}", root().join("plugins/asem").display().to_string()),
        )
        .replace(
            "dataset = \"data/asem-2018/dataset.toml\"",
            &format!(
                "dataset = {:?}",
                root()
                    .join("methodologies/data/asem-2018/dataset.toml")
                    .display()
                    .to_string()
            ),
        );
    let path = dir.join("asem-2018.toml");
    std::fs::write(&path, format!("{text}\n{extra}")).unwrap();
    path
}

/// `log = "log-gii"` applies the GII's log where COINr 1.1.14 (whose `log_GII`
/// returns its input) leaves the values untreated: the indicators that reach it
/// are COINr's, their values the formula's; the indicators it reverses (maximum
/// below 1) are warned about.
#[test]
fn the_gii_log_is_applied_where_coinr_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    let edition = asem_copy(
        dir.path(),
        "[variants.log-gii]\npipeline = { treat = { method = \"coinr\", winmax = 0, log = \"log-gii\" } }\n",
    );
    let out = run_asem(&edition, "log-gii");
    let details = Reference::read("more/b_log_GII_winmax0_treat_details.csv");
    let coinr = Reference::read("more/b_log_GII_winmax0_Treated.csv");
    let formula = Reference::read("more/b_log_GII_formula_values_NOT_used_by_COINr.csv");
    let screened = Reference::read("asem_default_Screened.csv");
    let reached: Vec<&String> = details
        .keys
        .iter()
        .filter(|c| !details.get(c, "check_SkewKurt2.Pass").is_empty())
        .collect();
    assert_eq!(reached.len(), 15);
    let report: BTreeMap<&str, &str> = out
        .results
        .treatment
        .iter()
        .map(|t| (t.indicator.as_str(), t.transform.as_str()))
        .collect();
    let ours = treated_values(&out);
    let mut values = Largest::default();
    for code in &details.keys {
        let gii = reached.contains(&code);
        assert_eq!(report[code.as_str()], if gii { "log_gii" } else { "none" }, "{code}");
        let expected = if gii { &formula } else { &coinr };
        for unit in &expected.keys {
            values.check(
                &format!("{unit}/{code}"),
                ours.get(&(unit.clone(), code.clone())).copied(),
                expected.number(unit, code),
            );
        }
    }
    // Reversed: the indicators reaching the log whose largest value is below 1.
    let warned: Vec<&str> = out
        .results
        .warnings
        .iter()
        .filter(|w| w.contains("reversed its order"))
        .map(|w| w.split('`').nth(1).unwrap())
        .collect();
    let below_one: Vec<&str> = reached
        .iter()
        .filter(|c| screened.keys.iter().all(|u| screened.number(u, c) < 1.0))
        .map(|c| c.as_str())
        .collect();
    assert_eq!(warned, below_one);
    assert!(!warned.is_empty());
    println!(
        "log-gii: {} treated values, largest relative deviation {:.3e} at {}; reversed: {warned:?}",
        values.values, values.rel, values.at
    );
    let json = serde_json::to_value(&out.results).unwrap();
    assert_eq!(json["pipeline"]["steps"]["treat"]["log"], "log-gii");
}

/// The COINr names of the logs are the older names' equals; new settings are
/// written in the results only when set; settings that another replaces are refused.
#[test]
fn treatment_settings_read_as_coinrs() {
    let dir = tempfile::tempdir().unwrap();
    let edition = asem_copy(
        dir.path(),
        "[variants.log-ct]\npipeline = { treat = { method = \"coinr\", winmax = 1, log = \"log-ct\" } }\n\
         [variants.coinr]\npipeline = { treat = { method = \"coinr\", winmax = 1 } }\n\
         [variants.first-and-winmax]\npipeline = { treat = { method = \"coinr\", winmax = 1, first = { method = \"box-cox\", lambda = 0.5, shift = true } } }\n\
         [variants.then-and-log]\npipeline = { treat = { method = \"coinr\", log = \"log-ct-orig\", then = { method = \"box-cox\", lambda = 0.5, shift = true } } }\n",
    );
    let named = run_asem(&edition, "log-ct");
    let default = run_asem(&edition, "coinr");
    assert_eq!(treated_values(&named), treated_values(&default));
    let json = serde_json::to_value(&default.results).unwrap();
    let treat = json["pipeline"]["steps"]["treat"].as_object().unwrap();
    let mut keys: Vec<&str> = treat.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["kurt", "log", "method", "skew", "winmax"]);
    assert_eq!(treat["log"], "coinr");
    let err = run_error(&edition, Some("first-and-winmax"));
    assert!(
        err.contains("pipeline.treat: `winmax` and `force_win` set winsorisation, which `first` replaces"),
        "{err}"
    );
    let err = run_error(&edition, Some("then-and-log"));
    assert!(
        err.contains("pipeline.treat: `log` names the second treatment, which `then` replaces"),
        "{err}"
    );
    // Box-Cox inside the loop says whether it shifts (the schema refuses the edition).
    let other = tempfile::tempdir().unwrap();
    let edition = asem_copy(
        other.path(),
        "[variants.no-shift]\npipeline = { treat = { method = \"coinr\", first = { method = \"box-cox\", lambda = 0.5 } } }\n",
    );
    let err = run_error(&edition, Some("no-shift"));
    assert!(
        err.contains("variants.no-shift.pipeline.treat.first: \"shift\" is a required property"),
        "{err}"
    );
}
