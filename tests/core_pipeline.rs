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
