//! Panel data end to end: rows of several years scored together (joint
//! normalisation), imputation over time, and the time-weighted average of each
//! unit's yearly scores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

fn edition(dir: &std::path::Path, impute: &str) -> std::path::PathBuf {
    let root = root();
    let text = format!(
        "schema_version = 1\nid = \"well-behaved\"\nname = \"panel\"\nyear = 2024\n\
         methodology = \"{}\"\ndataset = \"{}\"\n\
         panel = {{ years = [2022, 2023, 2024], weights = [1, 2, 3] }}\n\
         [variants.v]\npipeline = {{ impute = {impute} }}\n",
        root.join("tests/plugins/hostile").display(),
        root.join("tests/fixtures/tiny-panel/dataset.toml").display(),
    );
    let path = dir.join("panel.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn csv_value(path: &std::path::Path, row: &str, col: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find(|l| l.starts_with(&format!("{row},")))
        .unwrap()
        .split(',')
        .nth(col)
        .unwrap()
        .to_string()
}

#[test]
fn linear_imputation_joint_normalisation_and_3_2_1_average() {
    let dir = tempfile::tempdir().unwrap();
    let ed = edition(dir.path(), "{ method = \"linear\" }");
    let stages = dir.path().join("stages");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("run")
            .arg(format!("{}", ed.display()))
            .args(["--variant", "v", "--format", "json", "--stages"])
            .arg(&stages),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Linear in time: a@2023 between 1 (2022) and 3 (2024) = 2; b@2024 after its last
    // observation = 5 (the nearest, as R's approx(rule = 2)).
    let imputed = stages.join("imputed.csv");
    assert_eq!(csv_value(&imputed, "a@2023", 1), "2");
    assert_eq!(csv_value(&imputed, "b@2024", 1), "5");
    // Joint min-max over all nine rows: min 0 (c@2022), max 5 → x·20.
    let normalised = stages.join("normalised.csv");
    assert_eq!(csv_value(&normalised, "b@2023", 1), "100");
    assert_eq!(csv_value(&normalised, "a@2022", 1), "20");

    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Weighted 1:2:3 (2022:2023:2024), sum 6:
    //   a = (20 + 2·40 + 3·60)/6 = 280/6 = 46.67; b = (80 + 200 + 300)/6 = 96.67;
    //   c = (0 + 80 + 3·40)/6 = 200/6 = 33.33 → ranks b, a, c.
    let units = r["units"].as_array().unwrap();
    let ids: Vec<&str> = units.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["b", "a", "c"]);
    let score = |i: usize| units[i]["score"].as_f64().unwrap();
    assert!((score(0) - 580.0 / 6.0).abs() < 1e-9, "{}", score(0));
    assert!((score(1) - 280.0 / 6.0).abs() < 1e-9, "{}", score(1));
    assert!((score(2) - 200.0 / 6.0).abs() < 1e-9, "{}", score(2));
    assert_eq!(units[0]["by_year"]["2023"].as_f64(), Some(100.0));
}

#[test]
fn latest_available_and_constant() {
    let dir = tempfile::tempdir().unwrap();
    for (method, a2023, b2024) in [("latest", "1", "5"), ("constant", "1", "5")] {
        let ed = edition(dir.path(), &format!("{{ method = \"{method}\" }}"));
        let stages = dir.path().join(format!("stages-{method}"));
        let o = output(
            cityrank(&dir.path().join("cache"))
                .arg("run")
                .arg(&ed)
                .args(["--variant", "v", "--format", "csv", "--stages"])
                .arg(&stages),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        // Carried forward from the previous year.
        assert_eq!(csv_value(&stages.join("imputed.csv"), "a@2023", 1), a2023, "{method}");
        assert_eq!(csv_value(&stages.join("imputed.csv"), "b@2024", 1), b2024, "{method}");
    }
}

#[test]
fn imputation_over_time_needs_a_panel() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "schema_version = 1\nid = \"well-behaved\"\nname = \"x\"\nyear = 2024\nmethodology = \"{}\"\n\
         dataset = \"{}\"\n[variants.v]\npipeline = {{ impute = {{ method = \"linear\" }} }}\n",
        root().join("tests/plugins/hostile").display(),
        root().join("tests/fixtures/tiny/dataset.toml").display(),
    );
    let ed = dir.path().join("e.toml");
    std::fs::write(&ed, text).unwrap();
    let o = output(cityrank(dir.path()).arg("run").arg(&ed).args(["--variant", "v"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("imputation over time needs panel data"),
        "{}",
        stderr(&o)
    );
}

/// The tiny panel in the wide layout: one row per unit, a column per year.
fn wide_dataset(dir: &std::path::Path, columns: &str, csv: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("wide.csv"), csv).unwrap();
    let path = dir.join("wide.toml");
    std::fs::write(
        &path,
        format!(
            "schema_version = 1\nid = \"tiny-panel\"\ntitle = \"wide\"\nyear = 2024\nfile = \"wide.csv\"\n\n\
             [columns]\nid = \"id\"\nname = \"name\"\ncountry = \"country\"\n{columns}\n\n\
             [[variables]]\nid = \"x\"\ntype = \"number\"\nmin = 0.0\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn the_wide_layout_ranks_as_the_long_one() {
    let dir = tempfile::tempdir().unwrap();
    // The rows of tests/fixtures/tiny-panel/units.csv, one column per year.
    let data = wide_dataset(
        dir.path(),
        "wide = { years = [2022, 2023, 2024], header = \"{variable} ({year})\" }",
        "id,name,country,x (2022),x (2023),x (2024)\n\
         a,Alpha,AAA,1,,3\nb,Beta,BBB,4,5,\nc,Gamma,CCC,0,2,2\n",
    );
    let ed = dir.path().join("panel.toml");
    std::fs::write(
        &ed,
        format!(
            "schema_version = 1\nid = \"well-behaved\"\nname = \"panel\"\nyear = 2024\n\
             methodology = \"{}\"\ndataset = \"{}\"\n\
             panel = {{ years = [2022, 2023, 2024], weights = [1, 2, 3] }}\n\
             [variants.v]\npipeline = {{ impute = {{ method = \"linear\" }} }}\n",
            root().join("tests/plugins/hostile").display(),
            data.display(),
        ),
    )
    .unwrap();
    let o =
        output(
            cityrank(&dir.path().join("cache"))
                .arg("run")
                .arg(&ed)
                .args(["--variant", "v", "--format", "json"]),
        );
    assert!(o.status.success(), "{}", stderr(&o));
    // The same hand computation as for the long layout (see above): b 580/6,
    // a 280/6, c 200/6.
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let units = r["units"].as_array().unwrap();
    let ids: Vec<&str> = units.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["b", "a", "c"]);
    for (u, expected) in units.iter().zip([580.0 / 6.0, 280.0 / 6.0, 200.0 / 6.0]) {
        assert!((u["score"].as_f64().unwrap() - expected).abs() < 1e-9, "{u}");
    }
    // Without `panel` the edition is told what the dataset holds.
    let plain = dir.path().join("plain.toml");
    std::fs::write(
        &plain,
        format!(
            "schema_version = 1\nid = \"well-behaved\"\nname = \"x\"\nyear = 2024\nmethodology = \"{}\"\ndataset = \"{}\"\n",
            root().join("tests/plugins/hostile").display(),
            data.display(),
        ),
    )
    .unwrap();
    let o = output(cityrank(&dir.path().join("cache")).arg("run").arg(&plain));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("columns per variable and year"), "{}", stderr(&o));
}

#[test]
fn wide_layout_mistakes_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let check = |columns: &str, csv: &str, expected: &[&str]| {
        let data = wide_dataset(dir.path(), columns, csv);
        let o = output(cityrank(&dir.path().join("cache")).args(["data", "check"]).arg(&data));
        assert_eq!(o.status.code(), Some(1), "{columns}: {}", stderr(&o));
        for e in expected {
            assert!(stderr(&o).contains(e), "{columns}: no `{e}` in {}", stderr(&o));
        }
    };
    let csv = "id,name,country,x_2022,x_2023\na,Alpha,AAA,1,2\n";
    // A year without its column: the column is named, and the two fixes.
    check(
        "wide = { years = [2022, 2023, 2024] }",
        csv,
        &[
            "the wide layout needs a column `x_2024` (variable `x` in 2024), but the header has none: add the \
           column, or remove 2024 from `columns.wide.years`",
        ],
    );
    // A variable named otherwise in every year: the columns and the id to agree on.
    check(
        "wide = { years = [2022, 2023] }",
        "id,name,country,xz_2022,xz_2023\na,Alpha,AAA,1,2\n",
        &[
            "the header of wide.csv (line 1) has `xz_2022`, `xz_2023`: rename them there (`x_2022`, …), or change \
           the variable's id in the description to `xz`",
        ],
    );
    // Both layouts at once.
    check(
        "time = \"year\"\nwide = { years = [2022, 2023] }",
        csv,
        &["columns.wide", "not both"],
    );
    // A header without the year, and a year twice.
    check(
        "wide = { years = [2022, 2022], header = \"{variable}\" }",
        csv,
        &["has no `{year}`", "2022 is given twice"],
    );
    // A column of a year not declared.
    check(
        "wide = { years = [2022] }",
        csv,
        &["column `x_2023` is not described", "wide layout"],
    );
}

#[test]
fn a_missing_year_column_is_not_taken_for_another_years() {
    let dir = tempfile::tempdir().unwrap();
    let data = wide_dataset(
        dir.path(),
        "wide = { years = [2022, 2023, 2024], header = \"{variable} ({year})\" }",
        "id,name,country,x (2022),x (2024)\na,Alpha,AAA,1,3\n",
    );
    let o = output(cityrank(&dir.path().join("cache")).args(["data", "check"]).arg(&data));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "the wide layout needs a column `x (2023)` (variable `x` in 2023), but the header has none: add the \
             column, or remove 2023 from `columns.wide.years`"
        ),
        "{err}"
    );
    // The other years' columns are where they should be: not offered instead.
    assert!(!err.contains("did you mean"), "{err}");
    assert!(!err.contains("as the"), "{err}");
}

/// A declarative panel edition in `dir`: 4 units × 3 years (long layout), the
/// indicators `x` (every row) and `y` (missing for c in 2023 and for d in every
/// year), the years weighted 1:2:3.
fn declarative_panel(dir: &std::path::Path) -> std::path::PathBuf {
    write_files(
        dir,
        &[
            ("methodology.toml", &declarative_manifest(&[("", &["x", "y"])])),
            (
                "dataset.toml",
                &dataset_description("data.csv", "time = \"year\"", &["x", "y"]),
            ),
            (
                "data.csv",
                "id,name,country,year,x,y\n\
                 a,Alpha,AAA,2022,1,1\na,Alpha,AAA,2023,2,2\na,Alpha,AAA,2024,3,3\n\
                 b,Beta,BBB,2022,2,2\nb,Beta,BBB,2023,3,3\nb,Beta,BBB,2024,4,4\n\
                 c,Gamma,CCC,2022,3,3\nc,Gamma,CCC,2023,4,\nc,Gamma,CCC,2024,5,5\n\
                 d,Delta,DDD,2022,4,\nd,Delta,DDD,2023,5,\nd,Delta,DDD,2024,6,\n",
            ),
            (
                "edition.toml",
                &declarative_edition("panel = { years = [2022, 2023, 2024], weights = [1, 2, 3] }"),
            ),
        ],
    );
    dir.join("edition.toml")
}

#[test]
fn the_appendix_of_a_panel_counts_units_and_rows_and_says_how_years_combine() {
    let dir = tempfile::tempdir().unwrap();
    let edition = declarative_panel(dir.path());
    let o = output(cityrank(&dir.path().join("cache")).arg("document").arg(&edition));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = stdout(&o);
    // y: 12 rows less c@2023 and d's three = 8 of 12 (66.7%); a and b have it in
    // every year, c in two of three, d in none.
    assert!(
        doc.contains(
            "- Coverage: 8 of 12 rows (66.7%; 4 units × 3 years): 2 of 4 units in every year, 1 in some years only \
             and 1 in none"
        ),
        "{doc}"
    );
    // x: every row.
    assert!(
        doc.contains("- Coverage: 12 of 12 rows (100%; 4 units × 3 years): 4 of 4 units in every year\n"),
        "{doc}"
    );
    // The years and how they combine: weights 1:2:3 of 6 = 16.7%, 33.3%, 50%; the
    // default min_share 0.5 = 50%.
    for part in [
        "## Years scored (panel data)",
        "The ranking scores the years 2022, 2023 and 2024 of the dataset together; the dataset holds them as a time \
         column (`year`).",
        "normalisation is joint over the years",
        "the weighted average of its yearly scores, with the weights 1:2:3 for 2022, 2023, 2024 (2022: 16.7%, \
         2023: 33.3%, 2024: 50%)",
        "carry less than 50% of the weight (`min_share` 0.5) gets no average",
        "| Dataset | Made-up units for tests (test-data, 12 rows (4 units × 3 years)) |",
    ] {
        assert!(doc.contains(part), "no `{part}` in:\n{doc}");
    }
}

#[test]
fn panel_counts_say_rows_and_units() {
    let dir = tempfile::tempdir().unwrap();
    let edition = declarative_panel(dir.path());
    let cache = dir.path().join("cache");
    // 4 units × 3 years = 12 rows; y is missing in 4 of them (c@2023, d@2022–2024),
    // which belong to 2 units.
    let o = output(cityrank(&cache).arg("validate").arg(&edition));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("derived     2 indicators × 12 rows (4 units × 3 years), 4 values missing"),
        "{}",
        stdout(&o)
    );
    let o = output(cityrank(&cache).arg("run").arg(&edition));
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("missing — 4 indicator values in 4 rows (unit × year) of 2 units"),
        "{table}"
    );
    assert!(
        table.lines().next().unwrap().ends_with(", 12 rows (4 units × 3 years)"),
        "{table}"
    );
}
