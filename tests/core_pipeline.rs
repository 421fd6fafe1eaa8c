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
    // The results name the manifest as the edition does; the terminal, by its path.
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].starts_with(&format!("{}:", dir.path().join("methodology.toml").display())));
    assert!(
        out.results.warnings[0].starts_with("methodology.toml:"),
        "{:?}",
        out.results.warnings
    );
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

// ── COINr's optimised weights of a level (get_opt_weights) ───────────────────

/// Relative tolerance against COINr: |ours − COINr| ≤ TOL·max(1, |COINr|).
const TOL: f64 = 1e-9;

/// A reference table of `tests/fixtures/coinr` (see PROVENANCE.md there): the
/// header and the rows as strings.
struct Coinr {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Coinr {
    fn read(name: &str) -> Coinr {
        let path = root().join("tests/fixtures/coinr").join(name);
        let mut reader = csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let header = reader.headers().unwrap().iter().map(str::to_string).collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        Coinr { header, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    }

    fn strings(&self, name: &str) -> Vec<String> {
        let j = self.col(name);
        self.rows.iter().map(|r| r[j].clone()).collect()
    }

    fn numbers(&self, name: &str) -> Vec<f64> {
        self.strings(name)
            .iter()
            .map(|s| match s.as_str() {
                "" | "NA" => f64::NAN,
                "TRUE" => 1.0,
                "FALSE" => 0.0,
                s => s.parse().unwrap(),
            })
            .collect()
    }
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

/// The largest relative deviation seen, and where.
#[derive(Default)]
struct Deviation {
    value: f64,
    at: String,
}

impl Deviation {
    /// Records `ours` against COINr's `theirs` (NaN on both sides counts as equal)
    /// and fails beyond `tol`.
    fn check(&mut self, what: &str, ours: f64, theirs: f64, tol: f64) {
        if ours.is_nan() && theirs.is_nan() {
            return;
        }
        let d = rel(ours, theirs);
        assert!(d <= tol, "{what}: cityrank {ours}, COINr {theirs}");
        if d > self.value {
            self.value = d;
            self.at = what.to_string();
        }
    }
}

/// The scores and ranks of every unit against a COINr results table
/// (`uCode`, `Rank`, then every indicator and aggregate).
fn check_results(case: &str, out: &run::RunOutput, coinr: &Coinr, largest: &mut Deviation) {
    let units: BTreeMap<&str, &cityrank_core::results::UnitResult> =
        out.results.units.iter().map(|u| (u.id.as_str(), u)).collect();
    assert_eq!(units.len(), coinr.rows.len(), "{case}: units");
    let json = serde_json::to_value(&out.results.units).unwrap();
    let by_id: BTreeMap<&str, &serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u))
        .collect();
    let (code, rank) = (coinr.col("uCode"), coinr.col("Rank"));
    for row in &coinr.rows {
        let id = row[code].as_str();
        let u = units[id];
        assert_eq!(u.rank, Some(row[rank].parse().unwrap()), "{case}: rank of {id}");
        for (j, column) in coinr.header.iter().enumerate() {
            if j == code || j == rank {
                continue;
            }
            let theirs: f64 = row[j].parse().unwrap();
            let ours = by_id[id]["scores"][column.as_str()].as_f64().unwrap_or(f64::NAN);
            largest.check(&format!("{case}: {id}/{column}"), ours, theirs, TOL);
        }
    }
}

/// The variants `optimised-{balance,infomax}-l{2,3}[-tight]` of `asem-2018` are
/// COINr's `get_opt_weights(coin, itarg = "equal", dset = "Aggregated", Level,
/// optype, toler, maxiter)` with the weights written into the coin and the coin
/// re-aggregated: the weights of every level, the objective, the number of
/// evaluations, the correlations with the index at the optimum, and every unit's
/// scores and rank are COINr's (tests/fixtures/coinr/more/e_*).
///
/// Tight balance of level 3 ends where its objective, ln(squared error), measures
/// rounding noise (R's −75.55 is ln 2⁻¹⁰⁹; here the search even meets an exact
/// balance, a squared error of 0, whose objective is taken as ln 1e-300 = −690.8):
/// there the weights and the correlations are compared (a simple root, well
/// defined: they agree to 4e-16), the objective only as being on that floor, and
/// the number of evaluations not at all (169 here, 153 in R: the searches part in
/// the noise; see host/steps/tests/coinr_opt_weights.rs).
#[test]
fn asem_optimised_weights_of_a_level_are_coinrs() {
    let edition = root().join("methodologies/asem-2018.toml");
    let mut report = Vec::new();
    for (objective, level) in [("balance", 2), ("balance", 3), ("infomax", 2), ("infomax", 3)] {
        for tight in [false, true] {
            let suffix = if tight { "-tight" } else { "" };
            let variant = format!("optimised-{objective}-l{level}{suffix}");
            let case = format!("e_{objective}_L{level}{}", if tight { "_tight" } else { "" });
            let noise_floor = case == "e_balance_L3_tight";
            let out = run_edition(&edition, Some(&variant)).unwrap();
            let mut largest = Deviation::default();
            // Every weight of the framework (the level's sum to 1; the others are iMeta's).
            let full = Coinr::read(&format!("more/{case}_weights_full.csv"));
            let weights: BTreeMap<&str, f64> = out
                .results
                .framework
                .iter()
                .map(|n| (n.id.as_str(), n.weight))
                .collect();
            assert_eq!(weights.len(), full.rows.len(), "{case}: nodes");
            for (id, w) in full.strings("iCode").iter().zip(full.numbers("Weight")) {
                largest.check(&format!("{case}: weight of {id}"), weights[id.as_str()], w, TOL);
            }
            // The search: objective, evaluations, correlations at the optimum.
            let found = out.optimised.as_ref().expect("a level's optimisation is reported");
            assert_eq!(found.level, level);
            let optim = Coinr::read(&format!("more/{case}_optim.csv"));
            assert!(found.converged && optim.numbers("convergence")[0] == 0.0, "{case}");
            if noise_floor {
                assert!(
                    found.objective < -69.0 && optim.numbers("value")[0] < -69.0,
                    "{case}: {}",
                    found.objective
                );
            } else {
                largest.check(
                    &format!("{case}: objective"),
                    found.objective,
                    optim.numbers("value")[0],
                    TOL,
                );
                assert_eq!(
                    found.evaluations as f64,
                    optim.numbers("fn_count")[0],
                    "{case}: evaluations"
                );
            }
            let at = Coinr::read(&format!("more/{case}_corr_at_optimum.csv"));
            assert_eq!(
                found.nodes,
                at.strings("iCode"),
                "{case}: the level's nodes in COINr's order"
            );
            for (i, (id, c)) in at.strings("iCode").iter().zip(at.numbers("CorWithIndex")).enumerate() {
                largest.check(&format!("{case}: correlation of {id}"), found.correlations[i], c, TOL);
                largest.check(
                    &format!("{case}: weight of {id}"),
                    found.weights[i],
                    at.numbers("OptWeight")[i],
                    TOL,
                );
            }
            // Every unit's scores and rank.
            check_results(
                &case,
                &out,
                &Coinr::read(&format!("more/{case}_results.csv")),
                &mut largest,
            );
            // Negative weights are said (only tight balance of level 2 has them).
            let negative = out.warnings.iter().find(|w| w.contains("negative weight"));
            if case == "e_balance_L2_tight" {
                let w = negative.expect("a warning about the negative weights");
                assert!(w.contains("`Physical` (-0.2018)") && w.contains("`SusEcFin`"), "{w}");
            } else {
                assert!(negative.is_none(), "{case}: {negative:?}");
            }
            report.push(format!(
                "{variant:>28}: {} evaluations, objective {:.6}, largest relative deviation {:.2e} at {}",
                found.evaluations, found.objective, largest.value, largest.at
            ));
        }
    }
    for line in report {
        println!("asem optimised weights {line}");
    }
}

/// A methodology of two pillars p1 (x) and p2 (z): `z` is given by `z_formula`.
fn two_pillars(dir: &Path, z_formula: &str, variants: &str) -> PathBuf {
    let data = root().join("tests/fixtures/tiny");
    std::fs::write(
        dir.join("methodology.toml"),
        format!(
            r#"schema_version = 2
id = "two"
name = "Two"
version = "1.0.0"
description = "Two pillars"
index = {{ id = "index", name = "Index" }}
nodes = [{{ id = "p1", name = "P1", parent = "index" }}, {{ id = "p2", name = "P2", parent = "index" }}]
indicators = [
  {{ id = "x", name = "X", parent = "p1", direction = "higher", unit = "1", from = "x" }},
  {{ id = "y", name = "Y", parent = "p1", direction = "lower", unit = "1", formula = "x * x" }},
  {{ id = "z", name = "Z", parent = "p2", direction = "higher", unit = "1", formula = "{z_formula}", normalise = {{ method = "none" }} }},
]
tiers = [{{ label = "all", upper_share = 1.0 }}]
"#
        ),
    )
    .unwrap();
    let edition = dir.join("two.toml");
    std::fs::write(
        &edition,
        format!(
            "schema_version = 1\nid = \"two\"\nname = \"Two\"\nyear = 2024\nmethodology = \"methodology.toml\"\n\
             dataset = \"{}\"\n{variants}",
            data.join("dataset.toml").display().to_string().replace('\\', "/")
        ),
    )
    .unwrap();
    edition
}

/// The level must be below the index's and hold two nodes; a constant node is
/// refused by name (with its parent), as a constant child is without a level.
#[test]
fn optimised_weights_of_a_level_refuse_what_cannot_be_optimised() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(
        dir.path(),
        "[variants.l2]\npipeline = { weights = { method = \"optimised\", level = 2 } }\n\
         [variants.l3]\npipeline = { weights = { method = \"optimised\", level = 3 } }\n\
         [variants.l1]\npipeline = { weights = { method = \"optimised\", level = 1, objective = \"infomax\" } }\n",
    );
    let e = run_error(&edition, Some("l3"));
    assert!(
        e.contains("pipeline.weights.level: 3 is not a level below the index's") && e.contains("give 1 to 2"),
        "{e}"
    );
    let e = run_error(&edition, Some("l2"));
    assert!(
        e.contains("level 2 has 1 node (`p`); optimising needs at least two"),
        "{e}"
    );
    // Level 1: the indicators x and y against the index (their only parent p).
    let out = run_edition(&edition, Some("l1")).unwrap();
    let found = out.optimised.unwrap();
    assert_eq!(
        (found.level, found.nodes.clone()),
        (1, vec!["x".to_string(), "y".to_string()])
    );
    assert!((found.weights.iter().sum::<f64>() - 1.0).abs() < 1e-15, "{found:?}");

    let dir = tempfile::tempdir().unwrap();
    let variants = "[variants.balance]\npipeline = { weights = { method = \"optimised\", level = 2 } }\n\
                    [variants.infomax]\npipeline = { weights = { method = \"optimised\", level = 2, objective = \"infomax\" } }\n\
                    [variants.per-node]\npipeline = { weights = { method = \"optimised\" } }\n";
    let edition = two_pillars(dir.path(), "x * 0 + 5", variants);
    for (variant, verb) in [("balance", "balance"), ("infomax", "maximise")] {
        let e = run_error(&edition, Some(variant));
        assert!(
            e.contains(&format!(
                "optimised weights of level 2: `p2` (under `index`) is constant over the units, so its correlation \
                 with `index` is undefined and no weights can {verb} it; leave the node out (a variant with `drop = \
                 [\"p2\"]`)"
            )),
            "{variant}: {e}"
        );
    }
    // Without a level, p2 has a single child and nothing is optimised there; the
    // index's children p1, p2 are, and p2 is named as before.
    let e = run_error(&edition, Some("per-node"));
    assert!(
        e.contains("optimised weights of `index`: `p2` is constant over the units"),
        "{e}"
    );
    // With z varying, both run; the level's weights sum to 1.
    let edition = two_pillars(dir.path(), "x * x * x", variants);
    for variant in ["balance", "infomax"] {
        let out = run_edition(&edition, Some(variant)).unwrap();
        let found = out.optimised.unwrap();
        assert_eq!(found.nodes, ["p1", "p2"]);
        let w: Vec<f64> = ["p1", "p2"]
            .iter()
            .map(|id| out.results.framework.iter().find(|n| n.id == *id).unwrap().weight)
            .collect();
        assert_eq!(w, found.weights, "{variant}");
        assert!((w[0] + w[1] - 1.0).abs() < 1e-15, "{variant}: {w:?}");
    }
}

// ── A variant's denominator (COINr's Denominate with another denomby) ─────────

/// The variant `goods-by-population` of `asem-2018` divides Goods by Population
/// instead of GDP, as COINr's `Denominate(coin, dset = "Raw", denomby)` with that
/// row changed: every stage (denominated, imputed, screened, treated, normalised,
/// aggregated), the treatment report, and every unit's scores and rank are COINr's
/// (tests/fixtures/coinr/more/f_goods_by_pop_*), to 1e-9.
#[test]
fn asem_goods_by_population_is_coinrs_at_every_stage() {
    let path = root().join("methodologies/asem-2018.toml");
    let edition = ResolvedEdition::load_variant(&path, &LimitsSpec::default(), Some("goods-by-population")).unwrap();
    let options = cityrank_core::pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    let out = run::run_edition(&ManifestsOnly, &edition, options).unwrap();
    let goods = out.results.pipeline.indicators["Goods"].denominator.as_deref();
    assert_eq!(goods, Some("Population"));
    let mut report = Vec::new();
    for (stage, coinr) in [
        ("denominated", "Denominated"),
        ("imputed", "Imputed"),
        ("screened", "Screened"),
        ("treated", "Treated"),
        ("normalised", "Normalised"),
        ("aggregated", "Aggregated"),
    ] {
        let ours = out.stages.iter().find(|s| s.name == stage).unwrap();
        let theirs = Coinr::read(&format!("more/f_goods_by_pop_{coinr}.csv"));
        let mut columns: Vec<&String> = theirs.header[1..].iter().collect();
        let mut mine: Vec<&String> = ours.columns.iter().collect();
        columns.sort();
        mine.sort();
        assert_eq!(mine, columns, "{stage}: columns");
        let units: Vec<&str> = ours.units.iter().map(|&u| out.unit_ids[u].as_str()).collect();
        let codes = theirs.strings("uCode");
        assert_eq!(units.len(), codes.len(), "{stage}: units");
        let mut largest = Deviation::default();
        for column in &theirs.header[1..] {
            let c = ours.columns.iter().position(|x| x == column).unwrap();
            for (code, value) in codes.iter().zip(theirs.numbers(column)) {
                let row = units.iter().position(|u| u == code).unwrap();
                assert_eq!(
                    ours.values[c][row].is_nan(),
                    value.is_nan(),
                    "{stage}: {code}/{column} missing"
                );
                largest.check(&format!("{stage}: {code}/{column}"), ours.values[c][row], value, TOL);
            }
        }
        report.push(format!(
            "{stage:>12}: largest relative deviation {:.2e} at {}",
            largest.value, largest.at
        ));
    }
    // The denominated Goods are Goods / Population, and differ from the default build's.
    let default = Coinr::read("asem_default_Denominated.csv");
    let theirs = Coinr::read("more/f_goods_by_pop_Denominated.csv");
    assert_ne!(default.numbers("Goods"), theirs.numbers("Goods"));
    assert_eq!(default.numbers("Services"), theirs.numbers("Services"));

    // Treatment: points winsorised and the transform exactly, moments to 1e-9.
    let details = Coinr::read("more/f_goods_by_pop_treat_details.csv");
    let json = serde_json::to_value(&out.results.treatment).unwrap();
    let treatment: BTreeMap<&str, &serde_json::Value> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["indicator"].as_str().unwrap(), t))
        .collect();
    assert_eq!(treatment.len(), details.rows.len());
    let mut moments = Deviation::default();
    for (k, id) in details.strings("iCode").iter().enumerate() {
        let t = treatment[id.as_str()];
        let nwin = details.numbers("winsorise.nwin")[k];
        assert_eq!(
            t["winsorised"].as_f64().unwrap(),
            if nwin.is_nan() { 0.0 } else { nwin },
            "{id}"
        );
        let pass0 = details.numbers("check_SkewKurt0.Pass")[k] == 1.0;
        let pass1 = details.numbers("check_SkewKurt1.Pass")[k] == 1.0;
        let transform = if pass0 {
            "none"
        } else if pass1 {
            "winsorised"
        } else {
            "log"
        };
        assert_eq!(t["transform"], transform, "{id}");
        let value = |key: &str| t[key].as_f64().unwrap_or(f64::NAN);
        moments.check(
            &format!("{id} skew"),
            value("skew_before"),
            details.numbers("check_SkewKurt0.Skew")[k],
            TOL,
        );
        moments.check(
            &format!("{id} kurtosis"),
            value("kurt_before"),
            details.numbers("check_SkewKurt0.Kurt")[k],
            TOL,
        );
        if transform == "winsorised" {
            let (s, c) = (
                details.numbers("check_SkewKurt1.Skew")[k],
                details.numbers("check_SkewKurt1.Kurt")[k],
            );
            moments.check(&format!("{id} skew after"), value("skew_after"), s, TOL);
            moments.check(&format!("{id} kurtosis after"), value("kurt_after"), c, TOL);
        }
    }
    report.push(format!(
        "{:>12}: largest relative deviation {:.2e} at {}",
        "treatment", moments.value, moments.at
    ));
    let mut scores = Deviation::default();
    check_results(
        "goods-by-population",
        &out,
        &Coinr::read("more/f_goods_by_pop_results.csv"),
        &mut scores,
    );
    report.push(format!(
        "{:>12}: largest relative deviation {:.2e} at {}; ranks exact",
        "results", scores.value, scores.at
    ));
    for line in report {
        println!("asem goods-by-population {line}");
    }
}

/// A variant's `denominate` table: a variable, `false`, or the variable and its
/// scale; an unknown indicator or variable is an error naming the key and the
/// closest name, at its place in the edition file.
#[test]
fn a_variant_changes_an_indicators_denominator() {
    let dir = tempfile::tempdir().unwrap();
    // The tiny methodology has no denominate step: the variants switch it on.
    let edition = tiny(
        dir.path(),
        "[variants.by-x]\npipeline = { denominate = { scale = 1.0 } }\ndenominate = { y = \"x\" }\n\
         [variants.by-x-scaled]\npipeline = { denominate = {} }\n\
         denominate = { y = { denominator = \"x\", scale = 10.0 } }\n\
         [variants.none]\ndenominate = { y = false }\n",
    );
    let by_x = run_edition(&edition, Some("by-x")).unwrap();
    let steps = &by_x.results.pipeline.indicators["y"];
    assert_eq!(
        (steps.denominator.as_deref(), steps.denominator_scale),
        (Some("x"), None)
    );
    // x = 1, 3, 2 → min-max 0, 100, 50; y = x² divided by x is x, lower is better →
    // 100, 0, 50; index = (1·x + 3·y) / 4 = 75, 25, 50.
    let scores: Vec<(&str, f64)> = by_x
        .results
        .units
        .iter()
        .map(|u| (u.id.as_str(), u.score.unwrap()))
        .collect();
    assert_eq!(scores, [("a", 75.0), ("c", 50.0), ("b", 25.0)]);
    // With a scale the divided values are 10× larger, and min-max gives the same scores.
    let scaled = run_edition(&edition, Some("by-x-scaled")).unwrap();
    assert_eq!(scaled.results.pipeline.indicators["y"].denominator_scale, Some(10.0));
    let same: Vec<f64> = scaled.results.units.iter().map(|u| u.score.unwrap()).collect();
    assert_eq!(
        same,
        by_x.results.units.iter().map(|u| u.score.unwrap()).collect::<Vec<_>>()
    );
    // `false` leaves an indicator without a denominator undenominated.
    let none = run_edition(&edition, Some("none")).unwrap();
    assert_eq!(none.results.pipeline.indicators["y"].denominator, None);

    // Errors: the indicator, the variable (closest name, its place), `true`, a
    // scale alone for an indicator without a denominator, a bad scale. (The
    // variants switch the denomination step on; without it a denominator would
    // change nothing, which is an error of its own, below.)
    let bad = |variant: &str| -> String {
        let dir = tempfile::tempdir().unwrap();
        let edition = tiny(
            dir.path(),
            &format!("[variants.v]\npipeline = {{ denominate = {{}} }}\n{variant}\n"),
        );
        run_error(&edition, Some("v"))
    };
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(dir.path(), "[variants.v]\ndenominate = { y = \"x\" }\n");
    let e = run_error(&edition, Some("v"));
    assert!(
        e.contains(
            "variants.v.denominate: the variant changes denominators, but methodology `hand` has no \
                    denomination step, so they would change nothing"
        ),
        "{e}"
    );
    let e = bad("denominate = { Y = \"x\" }");
    assert!(
        e.contains("variants.v.denominate.Y: no indicator `Y` in methodology `hand`; did you mean `y`?"),
        "{e}"
    );
    let e = bad("denominate = { y = \"X\" }");
    assert!(
        e.contains("hand.toml:9:")
            && e.contains("variants.v.denominate.y: `X` is not a numeric variable of dataset `tiny`")
            && e.contains("did you mean `x`?"),
        "{e}"
    );
    let e = bad("denominate = { y = true }");
    assert!(
        e.contains("variants.v.denominate.y: `true` names no denominator"),
        "{e}"
    );
    let e = bad("denominate = { y = { scale = 1000.0 } }");
    assert!(
        e.contains("variants.v.denominate.y.scale: indicator `y` has no denominator to scale"),
        "{e}"
    );
    let e = bad("denominate = { y = { denominator = \"x\", scale = 0.0 } }");
    assert!(
        e.contains("variants.v.denominate.y.scale: expected a finite number > 0, got 0"),
        "{e}"
    );
    let e = bad("denominate = { y = { } }");
    assert!(
        e.contains("variants.v.denominate.y: give `denominator`, `scale` or both"),
        "{e}"
    );

    // On ASEM, with its names: typos of the indicator and of the variable, and a
    // text variable. Every variant on the edition's dataset is checked, whichever runs.
    let dir = tempfile::tempdir().unwrap();
    let asem = |variant: &str| -> PathBuf {
        let edition = dir.path().join("asem.toml");
        std::fs::write(
            &edition,
            format!(
                "schema_version = 1\nid = \"asem\"\nname = \"ASEM\"\nyear = 2018\nmethodology = \"{}\"\n\
                 dataset = \"{}\"\n[variants.ok]\ndenominate = {{ Goods = \"Population\" }}\n[variants.v]\n{variant}\n",
                root().join("plugins/asem").display().to_string().replace('\\', "/"),
                root()
                    .join("methodologies/data/asem-2018/dataset.toml")
                    .display()
                    .to_string()
                    .replace('\\', "/")
            ),
        )
        .unwrap();
        edition
    };
    let e = run_error(&asem("denominate = { Good = \"Population\" }"), Some("v"));
    assert!(
        e.contains("variants.v.denominate.Good: no indicator `Good` in methodology `asem`; did you mean `Goods`"),
        "{e}"
    );
    let e = run_error(&asem("denominate = { Goods = \"Populaton\" }"), Some("ok"));
    assert!(
        e.contains("asem.toml:10:")
            && e.contains("variants.v.denominate.Goods: `Populaton` is not a numeric variable of dataset `asem-2018`")
            && e.contains("did you mean `Population`?"),
        "{e}"
    );
    let e = run_error(&asem("denominate = { Goods = \"GDP_group\" }"), None);
    assert!(
        e.contains("`GDP_group` is not a numeric variable of dataset `asem-2018`"),
        "{e}"
    );
}

/// An indicator's own scale factor (`denominator_scale`, COINr's `ScaleFactor`)
/// replaces the pipeline's; a variant's `pipeline.denominate` replaces it, and
/// says so.
#[test]
fn an_indicators_own_denominator_scale() {
    let dir = tempfile::tempdir().unwrap();
    let edition = tiny(
        dir.path(),
        "[variants.global]\npipeline = { denominate = { scale = 1.0 } }\n\
         [variants.kept]\npipeline = { denominate = { scale = 1.0 } }\ndenominate = { y = { scale = 10.0 } }\n",
    );
    let manifest = dir.path().join("methodology.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "formula = \"x * x\", weight = 3.0",
        "formula = \"x * x\", weight = 3.0, denominator = \"x\", denominator_scale = 10.0",
    );
    std::fs::write(
        &manifest,
        text.replace(
            "description = \"Checked by hand\"",
            "description = \"Checked by hand\"\npipeline = { denominate = { scale = 1000.0 } }",
        ),
    )
    .unwrap();
    let own = |out: &run::RunOutput| out.results.pipeline.indicators["y"].denominator_scale;
    let base = run_edition(&edition, None).unwrap();
    assert_eq!(own(&base), Some(10.0));
    let global = run_edition(&edition, Some("global")).unwrap();
    assert_eq!(own(&global), None);
    let note = global
        .warnings
        .iter()
        .find(|w| w.contains("pipeline.denominate"))
        .unwrap();
    assert!(
        note.contains("variant `global`: its pipeline.denominate replaces the own denominator scale of `y` as well"),
        "{note}"
    );
    let kept = run_edition(&edition, Some("kept")).unwrap();
    assert_eq!(own(&kept), Some(10.0));
    assert!(!kept.warnings.iter().any(|w| w.contains("pipeline.denominate")));
    // y / (x / s) = s·x: min-max makes the scale invisible in the scores.
    let scores = |out: &run::RunOutput| out.results.units.iter().map(|u| u.score).collect::<Vec<_>>();
    assert_eq!(scores(&base), scores(&global));
    // The manifest's own checks.
    let bad = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("denominator_scale = 10.0", "denominator_scale = 0.0");
    std::fs::write(&manifest, bad).unwrap();
    let e = run_error(&edition, None);
    assert!(
        e.contains("indicator `y`: denominator_scale: expected a finite number > 0, got 0"),
        "{e}"
    );
}

// ── Panel data, year by year as in COINr's purse ──────────────────────────────

/// COINr's example purse (`build_example_purse()`): `methodologies/asem-2018-panel.toml`.
const PURSE: &str = "methodologies/asem-2018-panel.toml";

/// A table keyed by (year, unit id): column → value (`None`: missing).
type YearTable = BTreeMap<(i32, String), BTreeMap<String, Option<f64>>>;

/// A COINr reference table of the purse, `tests/fixtures/coinr/more/g_purse_{name}.csv`
/// (columns `Time`, `uCode`, then numbers; an empty field is NA).
fn coinr_purse(name: &str) -> YearTable {
    let path = root().join(format!("tests/fixtures/coinr/more/g_purse_{name}.csv"));
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..2], ["Time", "uCode"], "{}", path.display());
    let mut out = YearTable::new();
    for r in reader.records() {
        let r = r.unwrap();
        let row = header[2..]
            .iter()
            .zip(r.iter().skip(2))
            .map(|(h, v)| (h.clone(), (!v.is_empty()).then(|| v.parse::<f64>().unwrap())))
            .collect();
        out.insert((r[0].parse().unwrap(), r[1].to_string()), row);
    }
    out
}

/// A stage table of a run whose rows are `id@year`, keyed as [`coinr_purse`]'s.
fn stage_by_year(out: &run::RunOutput, name: &str) -> YearTable {
    let stage = out.stages.iter().find(|s| s.name == name).unwrap();
    let mut table = YearTable::new();
    for (r, &u) in stage.units.iter().enumerate() {
        let (id, year) = out.unit_ids[u].split_once('@').unwrap();
        let row = stage
            .columns
            .iter()
            .zip(&stage.values)
            .map(|(c, v)| (c.clone(), Some(v[r]).filter(|x| !x.is_nan())))
            .collect();
        table.insert((year.parse().unwrap(), id.to_string()), row);
    }
    table
}

/// `|ours − coinr|` relative to COINr's value (absolute below 1).
fn deviation(ours: f64, coinr: f64) -> f64 {
    (ours - coinr).abs() / coinr.abs().max(1.0)
}

/// Checks `ours` against COINr's `theirs` cell by cell (the same rows; every
/// column of COINr's; missing where COINr's is NA, within 1e-9 elsewhere) and
/// returns the largest deviation.
fn same_as_coinr(what: &str, ours: &YearTable, theirs: &YearTable) -> f64 {
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{what}: the rows (unit and year)"
    );
    let mut largest: f64 = 0.0;
    for (key, row) in theirs {
        for (col, want) in row {
            let got = ours[key]
                .get(col)
                .unwrap_or_else(|| panic!("{what}: no column `{col}`"));
            match (got, want) {
                (None, None) => {}
                (Some(g), Some(w)) => {
                    let d = deviation(*g, *w);
                    assert!(d <= 1e-9, "{what} {key:?} {col}: {g} vs COINr {w}");
                    largest = largest.max(d);
                }
                _ => panic!("{what} {key:?} {col}: {got:?} vs COINr {want:?}"),
            }
        }
    }
    eprintln!("{what}: largest deviation from COINr {largest:e}");
    largest
}

/// A run of `variant` of the edition at `path` that records its stages.
fn run_with_stages(path: &Path, variant: Option<&str>) -> run::RunOutput {
    let edition = ResolvedEdition::load_variant(path, &LimitsSpec::default(), variant).unwrap();
    let options = cityrank_core::pipeline::Options {
        record_stages: true,
        ..Default::default()
    };
    run::run_edition(&ManifestsOnly, &edition, options).unwrap()
}

/// COINr's purse, stage by stage and year by year: each year screened and treated
/// on its own, normalised over all the years together, aggregated per country and
/// year (COINr 1.1.14, `tests/fixtures/coinr/more/g_purse_*`).
#[test]
fn asem_purse_is_coinrs_at_every_stage_of_every_year() {
    use cityrank_core::catalogue::stage;
    let out = run_with_stages(&root().join(PURSE), None);
    // Raw: the rows of every year, as COINr reads ASEM_iData_p.
    same_as_coinr("raw", &stage_by_year(&out, stage::RAW), &coinr_purse("Raw"));
    for (name, coinr) in [
        (stage::SCREENED, "Screened"),
        (stage::TREATED, "Treated"),
        (stage::NORMALISED, "Normalised"),
        (stage::AGGREGATED, "Aggregated"),
    ] {
        same_as_coinr(name, &stage_by_year(&out, name), &coinr_purse(coinr));
    }

    // The countries screened out, year by year: those of COINr's Raw without a
    // row in its Screened.
    let (raw, screened) = (coinr_purse("Raw"), coinr_purse("Screened"));
    let expected: Vec<String> = raw
        .keys()
        .filter(|k| !screened.contains_key(*k))
        .map(|(y, id)| format!("{id}@{y}"))
        .collect();
    let mut ours: Vec<String> = out.results.screened_out.iter().map(|s| s.id.clone()).collect();
    ours.sort_by_key(|id| {
        let (u, y) = id.split_once('@').unwrap();
        (y.to_string(), u.to_string())
    });
    assert_eq!(ours, expected);
    assert_eq!(
        expected.len(),
        25,
        "BGD, BRN, KHM, LAO and MMR in each of the five years"
    );
}

/// The treatment report of a purse: one entry per indicator and year, as COINr's
/// details table with its `Time` column (transform, points winsorised, skewness and
/// kurtosis before and after).
#[test]
fn asem_purse_treatment_report_is_coinrs_details_table() {
    let out = run_with_stages(&root().join(PURSE), None);
    let path = root().join("tests/fixtures/coinr/more/g_purse_treat_details.csv");
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    // No indicator of any year reached COINr's second treatment (log_CT): the
    // details have no check_SkewKurt2 columns.
    assert_eq!(
        header,
        [
            "Time",
            "iCode",
            "check_SkewKurt0.Pass",
            "check_SkewKurt0.Skew",
            "check_SkewKurt0.Kurt",
            "winsorise.nwin",
            "check_SkewKurt1.Pass",
            "check_SkewKurt1.Skew",
            "check_SkewKurt1.Kurt"
        ]
    );
    let ours: BTreeMap<(i32, &str), &cityrank_core::results::TreatmentInfo> = out
        .results
        .treatment
        .iter()
        .map(|t| ((t.year.expect("a year per entry"), t.indicator.as_str()), t))
        .collect();
    assert_eq!(
        ours.len(),
        out.results.treatment.len(),
        "one entry per indicator and year"
    );
    let (mut rows, mut winsorised, mut largest) = (0, 0, 0.0f64);
    let mut close = |what: &str, got: Option<f64>, want: &str| {
        let want: f64 = want.parse().unwrap();
        let got = got.unwrap_or_else(|| panic!("{what}: none, COINr {want}"));
        let d = deviation(got, want);
        assert!(d <= 1e-9, "{what}: {got} vs COINr {want}");
        largest = largest.max(d);
    };
    for r in reader.records() {
        let r = r.unwrap();
        let year: i32 = r[0].parse().unwrap();
        let t = ours[&(year, &r[1])];
        let at = format!("{} in {year}", &r[1]);
        close(&format!("{at}: skew before"), t.skew_before, &r[3]);
        close(&format!("{at}: kurtosis before"), t.kurt_before, &r[4]);
        if &r[2] == "TRUE" {
            // Passed COINr's check: left alone.
            assert_eq!((t.transform.as_str(), t.winsorised), ("none", 0), "{at}");
            assert_eq!((t.skew_after, t.kurt_after), (t.skew_before, t.kurt_before), "{at}");
        } else {
            assert_eq!(&r[2], "FALSE", "{at}");
            assert_eq!(&r[6], "TRUE", "{at}: passes after winsorising");
            assert_eq!(t.transform, "winsorised", "{at}");
            assert_eq!(t.winsorised, r[5].parse::<usize>().unwrap(), "{at}: points winsorised");
            // The points winsorised, named by country and year.
            assert_eq!(t.units.len(), t.winsorised, "{at}: {:?}", t.units);
            assert!(
                t.units.iter().all(|u| u.ends_with(&format!("@{year}"))),
                "{at}: {:?}",
                t.units
            );
            close(&format!("{at}: skew after"), t.skew_after, &r[7]);
            close(&format!("{at}: kurtosis after"), t.kurt_after, &r[8]);
            winsorised += 1;
        }
        rows += 1;
    }
    eprintln!("treatment details: largest deviation from COINr {largest:e}");
    assert_eq!((rows, ours.len()), (245, 245), "49 indicators × 5 years");
    assert!(winsorised >= 5 * 15, "{winsorised} indicator-years winsorised");
    // In the results document, each entry says its year.
    let json = serde_json::to_value(&out.results).unwrap();
    assert_eq!(json["treatment"][0]["year"], 2018);
}

/// Each country's index in each year (the results' `by_year`) is COINr's, each
/// year's ranking of them is COINr's, and the ranked score is the mean of the
/// five years' (equal weights).
#[test]
fn asem_purse_scores_per_year_are_coinrs_results() {
    let out = run_with_stages(&root().join(PURSE), None);
    let coinr = coinr_purse("results");
    let units: BTreeMap<&str, &cityrank_core::results::UnitResult> =
        out.results.units.iter().map(|u| (u.id.as_str(), u)).collect();
    assert_eq!(units.len(), 46, "the countries kept in some year");
    let mut largest = 0.0f64;
    let mut by_year: BTreeMap<i32, Vec<(&str, f64)>> = BTreeMap::new();
    for ((year, id), row) in &coinr {
        let want = row["Index"].unwrap();
        let got = units[id.as_str()].by_year[&year.to_string()].unwrap();
        let d = deviation(got, want);
        assert!(d <= 1e-9, "{id} in {year}: {got} vs COINr {want}");
        largest = largest.max(d);
        by_year.entry(*year).or_default().push((id.as_str(), got));
    }
    eprintln!("index per year: largest deviation from COINr {largest:e}");
    // COINr ranks each year: rank(-Index, ties.method = "min").
    for (year, scores) in &by_year {
        for (id, s) in scores {
            let rank = 1 + scores.iter().filter(|(_, o)| o > s).count();
            let want = coinr[&(*year, id.to_string())]["Rank"].unwrap();
            assert_eq!(rank as f64, want, "{id} in {year}: rank");
        }
    }
    for (id, u) in &units {
        let years: Vec<f64> = (2018..=2022)
            .map(|y| coinr[&(y, id.to_string())]["Index"].unwrap())
            .collect();
        let mean = years.iter().sum::<f64>() / 5.0;
        let score = u.score.unwrap();
        assert!(
            deviation(score, mean) <= 1e-9,
            "{id}: {score} vs mean of COINr's years {mean}"
        );
    }
}

/// `by_year = ["treat", "normalise"]` is COINr's `Normalise(purse, global = FALSE)`;
/// without `by_year` the treatment pools the years (cityrank's default), which is
/// not COINr's purse, and the report has no years.
#[test]
fn asem_purse_normalised_by_year_and_pooled_treatment() {
    use cityrank_core::catalogue::stage;
    let out = run_with_stages(&root().join(PURSE), Some("normalise-by-year"));
    same_as_coinr(
        "treated (by year)",
        &stage_by_year(&out, stage::TREATED),
        &coinr_purse("Treated"),
    );
    same_as_coinr(
        "normalised (global = FALSE)",
        &stage_by_year(&out, stage::NORMALISED),
        &coinr_purse("Normalised_global_FALSE"),
    );

    let out = run_with_stages(&root().join(PURSE), Some("pooled-treatment"));
    assert_eq!(out.results.treatment.len(), 49, "one entry per indicator");
    assert!(out.results.treatment.iter().all(|t| t.year.is_none()));
    let json = serde_json::to_value(&out.results).unwrap();
    assert!(json["treatment"][0].get("year").is_none(), "{}", json["treatment"][0]);
    // Pooled over 230 country-years, the treatment is not COINr's year by year.
    let (ours, coinr) = (stage_by_year(&out, stage::TREATED), coinr_purse("Treated"));
    let differ = coinr
        .iter()
        .flat_map(|(k, row)| row.iter().map(move |(c, v)| (k, c, v)))
        .filter(|(k, c, v)| match (ours[*k][*c], v) {
            (Some(a), Some(b)) => deviation(a, *b) > 1e-6,
            _ => false,
        })
        .count();
    assert!(
        differ > 0,
        "the pooled treatment should differ from COINr's per-year one"
    );
}

/// Three units over three years (`tests/fixtures/tiny-panel`), one indicator `x`
/// (min-max 0–100), with `panel` set by `panel` (TOML).
fn tiny_panel(dir: &Path, panel: &str, extra: &str) -> PathBuf {
    std::fs::write(
        dir.join("methodology.toml"),
        r#"schema_version = 2
id = "hand-panel"
name = "Hand panel"
version = "1.0.0"
description = "Checked by hand"
index = { id = "index", name = "Index" }
nodes = [{ id = "p", name = "P", parent = "index" }]
indicators = [{ id = "x", name = "X", parent = "p", direction = "higher", unit = "1", from = "x" }]
tiers = [{ label = "all", upper_share = 1.0 }]
"#,
    )
    .unwrap();
    let edition = dir.join("panel.toml");
    std::fs::write(
        &edition,
        format!(
            "schema_version = 1\nid = \"hand-panel\"\nname = \"Hand\"\nyear = 2024\nmethodology = \"methodology.toml\"\n\
             dataset = \"{}\"\npanel = {panel}\n{extra}",
            root()
                .join("tests/fixtures/tiny-panel/dataset.toml")
                .display()
                .to_string()
                .replace('\\', "/")
        ),
    )
    .unwrap();
    edition
}

/// Normalisation year by year, by hand: x is a 1, b 4, c 0 in 2022; b 5, c 2 in
/// 2023 (a missing); a 3, c 2 in 2024 (b missing). Pooled, the range is 0–5 over
/// all nine rows; year by year it is each year's own.
#[test]
fn normalisation_by_year_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let years = "years = [2022, 2023, 2024], weights = [1, 1, 1]";
    let normalised = |panel: &str| -> BTreeMap<String, f64> {
        let out = run_with_stages(&tiny_panel(dir.path(), panel, ""), None);
        let s = out.stages.iter().find(|s| s.name == "normalised").unwrap();
        s.units
            .iter()
            .zip(&s.values[0])
            .filter(|(_, v)| !v.is_nan())
            .map(|(&u, &v)| (out.unit_ids[u].clone(), v))
            .collect()
    };
    let pooled = normalised(&format!("{{ {years} }}"));
    assert_eq!(pooled["a@2022"], 20.0);
    assert_eq!(pooled["b@2023"], 100.0);
    assert_eq!(pooled["c@2024"], 40.0);
    let by_year = normalised(&format!("{{ {years}, by_year = [\"normalise\"] }}"));
    let expected: BTreeMap<String, f64> = [
        ("a@2022", 25.0),
        ("b@2022", 100.0),
        ("c@2022", 0.0),
        ("b@2023", 100.0),
        ("c@2023", 0.0),
        ("a@2024", 100.0),
        ("c@2024", 0.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(by_year, expected);
}

/// A step run year by year that fails names the year and the unit; a step that
/// cannot run year by year, or one named twice, is refused at its place.
#[test]
fn panel_by_year_errors_name_the_year_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let years = "years = [2022, 2023, 2024], weights = [1, 1, 1]";
    // Box-Cox needs x > 0; c has 0 in 2022.
    let edition = tiny_panel(
        dir.path(),
        &format!("{{ {years}, by_year = [\"treat\"] }}"),
        "[variants.v]\npipeline = { treat = { method = \"box-cox\", lambda = 0.5 } }\n",
    );
    let err = run_error(&edition, Some("v"));
    assert!(
        err.contains("treating `x` in 2022: ") && err.contains("c@2022"),
        "{err}"
    );

    let edition = tiny_panel(dir.path(), &format!("{{ {years}, by_year = [\"screen\"] }}"), "");
    let err = run_error(&edition, None);
    // Screening reads one row (a unit in a year) at a time: it is the same year by
    // year, so it is not a choice.
    let at = format!("{}:7:71: ", edition.display());
    assert!(
        err.contains(&format!(
            "{at}panel.by_year[0]: \"screen\" is not one of \"treat\", \"normalise\""
        )),
        "{err}"
    );

    let edition = tiny_panel(
        dir.path(),
        &format!("{{ {years}, by_year = [\"treat\", \"treat\"] }}"),
        "",
    );
    let err = run_error(&edition, None);
    let at = format!("{}:7:80: ", edition.display());
    assert!(
        err.contains(&format!(
            "{at}panel.by_year[1]: \"treat\" is listed twice; name each step once"
        )),
        "{err}"
    );
}
