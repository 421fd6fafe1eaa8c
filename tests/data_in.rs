//! Data in: the LAS 2024 dataset read from a European Excel CSV export (BOM,
//! semicolons, decimal commas, CRLF) and from an Excel workbook ranks exactly as
//! from the bundled CSV; the messages for files in another dialect name the cause
//! and the fix. In process, through `cityrank-core` (the methodology is a
//! declarative manifest: no sandbox).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use cityrank_core::edition::{LimitsSpec, ResolvedEdition};
use cityrank_core::run::{self, ManifestsOnly};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// (id, rank, score bits) of every unit.
type Ranking = Vec<(String, Option<u32>, Option<u64>)>;

fn ranking(edition: &Path) -> Ranking {
    let e = ResolvedEdition::load(edition, &LimitsSpec::default()).unwrap();
    let out = run::run_edition(&ManifestsOnly, &e, Default::default()).unwrap();
    out.results
        .units
        .iter()
        .map(|u| (u.id.clone(), u.rank, u.score.map(f64::to_bits)))
        .collect()
}

/// The LAS 2024 CSV: header and rows of fields.
fn las_rows() -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(root().join("methodologies/data/las-2024/cities.csv")).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// An edition in `dir` scoring `dataset.toml` there with the LAS methodology;
/// `settings` go into the dataset description after its `file` line.
fn edition(dir: &Path, file: &str, settings: &str) -> PathBuf {
    let description = std::fs::read_to_string(root().join("methodologies/data/las-2024/dataset.toml")).unwrap();
    let description = description.replacen("file = \"cities.csv\"", &format!("file = \"{file}\"\n{settings}"), 1);
    std::fs::write(dir.join("dataset.toml"), description).unwrap();
    let path = dir.join("las.toml");
    std::fs::write(
        &path,
        format!(
            "schema_version = 1\nid = \"las-2024\"\nname = \"LAS\"\nyear = 2024\nmethodology = \"{}\"\n\
             dataset = \"dataset.toml\"\n",
            root()
                .join("plugins/harbor-ladder")
                .display()
                .to_string()
                .replace('\\', "/")
        ),
    )
    .unwrap();
    path
}

/// Whether column `c` holds text (the key columns).
fn is_text(header: &[String], c: usize) -> bool {
    ["id", "name", "country", "region"].contains(&header[c].as_str())
}

#[test]
fn a_european_excel_csv_ranks_as_the_csv() {
    let expected = ranking(&root().join("methodologies/las-2024.toml"));
    let (header, rows) = las_rows();
    let dir = tempfile::tempdir().unwrap();
    // BOM, `;`, decimal commas, CRLF, and "NA" for an empty cell.
    let mut text = String::from("\u{feff}");
    text.push_str(&header.join(";"));
    text.push_str("\r\n");
    for row in &rows {
        let fields: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| {
                if is_text(&header, c) {
                    v.clone()
                } else if v.is_empty() {
                    "NA".to_string()
                } else {
                    v.replace('.', ",")
                }
            })
            .collect();
        text.push_str(&fields.join(";"));
        text.push_str("\r\n");
    }
    std::fs::write(dir.path().join("cities.csv"), text).unwrap();
    let path = edition(
        dir.path(),
        "cities.csv",
        "delimiter = \";\"\ndecimal = \",\"\nmissing = [\"NA\"]",
    );
    assert_eq!(ranking(&path), expected);

    // The same file without the dialect declared: the cause and the fix.
    edition(dir.path(), "cities.csv", "");
    let e = ResolvedEdition::load(&path, &LimitsSpec::default()).unwrap();
    let err = match run::run_edition(&ManifestsOnly, &e, Default::default()) {
        Ok(_) => panic!("read without the dialect"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("line 1: the header was read as one column `id;name;country;region;"),
        "{err}"
    );
    assert!(
        err.contains("add `delimiter = \";\"` to the dataset description"),
        "{err}"
    );
}

#[test]
fn a_workbook_ranks_as_the_csv() {
    let expected = ranking(&root().join("methodologies/las-2024.toml"));
    let (header, rows) = las_rows();
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("cities").unwrap();
    // A title row above the table would be data; the table starts at B2 (the used
    // range, as calamine reads it), numbers as numbers, empty cells blank.
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(1, c as u16 + 1, h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16 + 1);
            if v.is_empty() {
                continue;
            }
            if is_text(&header, c as usize - 1) {
                sheet.write_string(r, c, v).unwrap();
            } else {
                sheet.write_number(r, c, v.parse::<f64>().unwrap()).unwrap();
            }
        }
    }
    book.add_worksheet().set_name("notes").unwrap();
    book.save(dir.path().join("cities.xlsx")).unwrap();
    let path = edition(dir.path(), "cities.xlsx", "sheet = \"cities\"");
    assert_eq!(ranking(&path), expected);

    // A wrong sheet name: the sheets there are, and the closest.
    edition(dir.path(), "cities.xlsx", "sheet = \"citie\"");
    let e = ResolvedEdition::load(&path, &LimitsSpec::default()).unwrap();
    let err = match run::run_edition(&ManifestsOnly, &e, Default::default()) {
        Ok(_) => panic!("read a sheet that is not there"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("no sheet `citie` in the workbook; its sheets are: cities, notes"),
        "{err}"
    );
    assert!(err.contains("did you mean `cities`?"), "{err}");
}

#[test]
fn workbook_cells_are_named_like_excel() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("data").unwrap();
    for (c, h) in ["id", "name", "x"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "a").unwrap();
    sheet.write_string(1, 1, "A").unwrap();
    sheet.write_number(1, 2, 1.0).unwrap();
    sheet.write_string(2, 0, "b").unwrap();
    sheet.write_string(2, 1, "B").unwrap();
    // C3 holds text that is not a number, C4's row repeats id `a`.
    sheet.write_string(2, 2, "twelve").unwrap();
    sheet.write_string(3, 0, "a").unwrap();
    sheet.write_string(3, 1, "A again").unwrap();
    sheet.write_number(3, 2, 2.0).unwrap();
    book.save(dir.path().join("d.xlsx")).unwrap();
    std::fs::write(
        dir.path().join("dataset.toml"),
        "schema_version = 1\nid = \"d\"\ntitle = \"D\"\nyear = 2024\nfile = \"d.xlsx\"\n[columns]\nid = \"id\"\nname = \"name\"\n\
         [[variables]]\nid = \"x\"\ntype = \"number\"\n",
    )
    .unwrap();
    let err = format!(
        "{:#}",
        cityrank_core::dataset::Dataset::load(&dir.path().join("dataset.toml")).unwrap_err()
    );
    assert!(err.contains("2 problems"), "{err}");
    assert!(err.contains("data!C3 (column `x`): `twelve` is not a number"), "{err}");
    assert!(err.contains("sheet data, row 4: unit id `a` appears twice"), "{err}");
}

#[test]
fn rows_and_numbers_that_would_be_misread_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let describe = |settings: &str| {
        std::fs::write(
            dir.path().join("dataset.toml"),
            format!(
                "schema_version = 1\nid = \"d\"\ntitle = \"D\"\nyear = 2024\nfile = \"d.csv\"\n{settings}\n[columns]\n\
                 id = \"id\"\nname = \"name\"\n[[variables]]\nid = \"x\"\ntype = \"number\"\n[[variables]]\nid = \"y\"\n\
                 type = \"number\"\n"
            ),
        )
        .unwrap();
    };
    let load = || match cityrank_core::dataset::Dataset::load(&dir.path().join("dataset.toml")) {
        Ok(_) => String::new(),
        Err(e) => format!("{e:#}"),
    };
    // A row missing a field would shift its values one column left.
    describe("");
    std::fs::write(dir.path().join("d.csv"), "id,name,x,y\na,A,1,2\nb,B,3\n").unwrap();
    assert!(load().contains("line 3: 3 fields, the header has 4"), "{}", load());
    // Thousands separators are not decimal commas.
    std::fs::write(dir.path().join("d.csv"), "id,name,x,y\na,A,\"1,234\",2\n").unwrap();
    let err = load();
    assert!(
        err.contains("`1,234` is not a number; write numbers without thousands separators"),
        "{err}"
    );
    // With decimal commas declared, a point is a thousands separator: refused.
    describe("delimiter = \";\"\ndecimal = \",\"");
    std::fs::write(dir.path().join("d.csv"), "id;name;x;y\na;A;1.234;2,5\n").unwrap();
    let err = load();
    assert!(
        err.contains("`1.234` has a point, but the file declares decimal commas"),
        "{err}"
    );
}

/// A dataset description `d.toml` in `dir` for the data file `file` with the key
/// columns `id`, `name`, `country` and the number variables `variables`
/// (`settings`: lines after `file`), loaded; the error as text (empty when it loads).
fn load_with(dir: &Path, file: &str, settings: &str, variables: &[&str]) -> String {
    let mut text = format!(
        "schema_version = 1\nid = \"d\"\ntitle = \"D\"\nyear = 2024\nfile = \"{file}\"\n{settings}\n[columns]\n\
         id = \"id\"\nname = \"name\"\ncountry = \"country\"\n"
    );
    for v in variables {
        text.push_str(&format!("[[variables]]\nid = \"{v}\"\ntype = \"number\"\n"));
    }
    std::fs::write(dir.join("d.toml"), text).unwrap();
    match cityrank_core::dataset::Dataset::load(&dir.join("d.toml")) {
        Ok(_) => String::new(),
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn a_text_in_a_number_column_is_told_how_to_declare_it_missing() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "id;name;country;income_k\nx1;X;AAA;12,5\nx2;Y;BBB;n.a.\n";
    std::fs::write(dir.path().join("d.csv"), csv).unwrap();
    // With decimal commas declared, `n.a.` is a text, not a number with points.
    let err = load_with(dir.path(), "d.csv", "delimiter = \";\"\ndecimal = \",\"", &["income_k"]);
    assert!(
        err.contains(
            "line 3, column `income_k`: `n.a.` is not a number; if it means a missing value, declare it: \
             `missing = [\"n.a.\"]`"
        ),
        "{err}"
    );
    assert!(!err.contains("thousands"), "{err}");
    // The line to write keeps the tokens already declared.
    let err = load_with(
        dir.path(),
        "d.csv",
        "delimiter = \";\"\ndecimal = \",\"\nmissing = [\"NA\"]",
        &["income_k"],
    );
    assert!(err.contains("declare it: `missing = [\"NA\", \"n.a.\"]`"), "{err}");
    // Declared, it loads.
    let err = load_with(
        dir.path(),
        "d.csv",
        "delimiter = \";\"\ndecimal = \",\"\nmissing = [\"NA\", \"n.a.\"]",
        &["income_k"],
    );
    assert_eq!(err, "");
    // Any text with letters gets the same hint; a number with points where commas
    // are declared still gets the separators' advice.
    std::fs::write(
        dir.path().join("d.csv"),
        "id;name;country;income_k\nx1;X;AAA;unknown\nx2;Y;BBB;1.234\n",
    )
    .unwrap();
    let err = load_with(dir.path(), "d.csv", "delimiter = \";\"\ndecimal = \",\"", &["income_k"]);
    assert!(
        err.contains("`unknown` is not a number; if it means a missing value, declare it: `missing = [\"unknown\"]`"),
        "{err}"
    );
    assert!(
        err.contains("`1.234` has a point, but the file declares decimal commas"),
        "{err}"
    );
}

#[test]
fn a_header_that_differs_from_the_description_is_named_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    // CSV: the header's line.
    std::fs::write(dir.path().join("d.csv"), "id,name,country,unemploymnet\nx1,X,AAA,5\n").unwrap();
    let err = load_with(dir.path(), "d.csv", "", &["unemployment"]);
    assert!(
        err.contains(
            "the header of d.csv (line 1) has `unemploymnet`: rename it to `unemployment` there, or change the \
             description's name to match"
        ),
        "{err}"
    );
    // Not reported a second time as a column the description lacks.
    assert!(!err.contains("is not described"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
    // Workbook: the header's cell. The table starts at B2, so the sixth column's
    // name is in G2.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("cities").unwrap();
    for (c, h) in ["id", "name", "country", "gdp", "pop", "unemploymnet"]
        .iter()
        .enumerate()
    {
        sheet.write_string(1, c as u16 + 1, *h).unwrap();
    }
    for (c, v) in ["x1", "X", "AAA"].iter().enumerate() {
        sheet.write_string(2, c as u16 + 1, *v).unwrap();
    }
    for c in 4..7 {
        sheet.write_number(2, c, 1.0).unwrap();
    }
    book.save(dir.path().join("d.xlsx")).unwrap();
    let err = load_with(dir.path(), "d.xlsx", "", &["gdp", "pop", "unemployment"]);
    assert!(
        err.contains("the header of d.xlsx (cell cities!G2) has `unemploymnet`: rename it to `unemployment` there"),
        "{err}"
    );
}

/// The field case `csv-semicolon` (JASP issue 3608: `0,435` read as 435): a
/// semicolon file says what was read and how to declare it, with the decimal
/// comma it also holds; a comma file with a quoted `"6,2"` names the cell. The
/// case's own files, four rows each.
#[test]
fn field_case_semicolons_and_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    let description = |file: &str| {
        format!(
            "schema_version = 1\nid = \"decimal-comma\"\ntitle = \"t\"\nyear = 2024\nfile = \"{file}\"\n\
             [columns]\nid = \"id\"\nname = \"name\"\n[[variables]]\nid = \"NEET\"\ntype = \"number\"\n"
        )
    };
    let load = |name: &str, csv: &str| {
        std::fs::write(dir.path().join(format!("{name}.csv")), csv).unwrap();
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, description(&format!("{name}.csv"))).unwrap();
        cityrank_core::dataset::Dataset::load(&path)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let err = load(
        "units-semicolon",
        "id;name;NEET\nSWE;Sweden;6,2\nTHA;Thailand;15\nNLD;Netherlands;0,6\nZAF;South Africa;42,1\n",
    );
    assert!(
        err.contains(
            "units-semicolon.csv: line 1: the header was read as one column `id;name;NEET`: is it separated by \
             semicolons? add `delimiter = \";\"` to the dataset description"
        ),
        "{err}"
    );
    let err = load(
        "units",
        "id,name,NEET\nSWE,Sweden,\"6,2\"\nTHA,Thailand,15\nNLD,Netherlands,\"0,6\"\n",
    );
    assert!(
        err.contains(
            "line 2, column `NEET`: `6,2` is not a number; is it a decimal comma? add `decimal = \",\"` to the \
             dataset description"
        ),
        "{err}"
    );
    assert!(err.contains("line 4, column `NEET`: `0,6` is not a number"), "{err}");
}
