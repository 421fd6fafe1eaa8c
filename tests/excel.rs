//! Excel out: `cityrank run --format xlsx` writes a workbook whose sheets hold the
//! same numbers as the JSON results of the same run (read back with calamine), the
//! same bytes every time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use calamine::{Data, Reader};
use common::*;

fn sheet(book: &mut calamine::Xlsx<std::io::Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<Data>> {
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("sheet {name}: {e}"))
        .rows()
        .map(<[Data]>::to_vec)
        .collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(x) => Some(*x),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

#[test]
fn the_results_workbook_holds_the_results() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("las.xlsx");
    let edition = "methodologies/las-2024.peer-ratings.toml";
    let o = output(
        cityrank(cache.path())
            .args(["run", edition, "--format", "xlsx", "-o"])
            .arg(&xlsx),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(cityrank(cache.path()).args(["run", edition, "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();

    let bytes = std::fs::read(&xlsx).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        ["Ranking", "Indicators", "Raw values", "Framework", "Missing", "About"]
    );

    // Ranking: one row per unit, in the JSON's order, with its rank, tier and score.
    let ranking = sheet(&mut book, "Ranking");
    let header: Vec<String> = ranking[0].iter().map(text).collect();
    assert_eq!(&header[..6], ["rank", "tier", "id", "name", "country", "score"]);
    let units = json["units"].as_array().unwrap();
    assert_eq!(ranking.len() - 1, units.len());
    for (row, u) in ranking[1..].iter().zip(units) {
        assert_eq!(text(&row[2]), u["id"].as_str().unwrap());
        assert_eq!(text(&row[3]), u["name"].as_str().unwrap());
        assert_eq!(number(&row[0]), u["rank"].as_f64(), "{}", u["id"]);
        assert_eq!(text(&row[1]), u["tier"].as_str().unwrap_or(""), "{}", u["id"]);
        // The same number to the bit.
        assert_eq!(number(&row[5]), u["score"].as_f64(), "{}", u["id"]);
    }

    // Framework: every node with its weights.
    let framework = sheet(&mut book, "Framework");
    let nodes = json["framework"].as_array().unwrap();
    assert_eq!(framework.len() - 1, nodes.len());
    for (row, n) in framework[1..].iter().zip(nodes) {
        assert_eq!(text(&row[0]), n["id"].as_str().unwrap());
        assert_eq!(number(&row[4]), n["weight"].as_f64());
        assert_eq!(number(&row[5]), n["effective_weight"].as_f64());
    }

    // Indicators: the normalised scores as the JSON has them, headed by name.
    let indicators = sheet(&mut book, "Indicators");
    let by_name = |name: &str| -> String {
        nodes
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("no node named `{name}`"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ids: Vec<String> = indicators[0][3..].iter().map(|h| by_name(&text(h))).collect();
    for (row, u) in indicators[1..].iter().zip(units) {
        assert_eq!(text(&row[1]), u["id"].as_str().unwrap());
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(number(&row[3 + k]), u["scores"][id].as_f64(), "{} {id}", u["id"]);
        }
    }

    // About: how the results were made.
    let about = sheet(&mut book, "About");
    let value = |what: &str| {
        about
            .iter()
            .find(|r| text(&r[0]) == what)
            .map(|r| text(&r[1]))
            .unwrap_or_else(|| panic!("no `{what}` in About"))
    };
    assert_eq!(
        value("methodology sha256"),
        json["methodology"]["sha256"].as_str().unwrap()
    );
    assert_eq!(
        value("dataset file sha256"),
        json["dataset"]["sha256"].as_str().unwrap()
    );

    // The same run, the same bytes.
    let again = dir.path().join("again.xlsx");
    let o = output(
        cityrank(cache.path())
            .args(["run", edition, "--format", "xlsx", "-o"])
            .arg(&again),
    );
    assert!(o.status.success());
    assert_eq!(std::fs::read(&again).unwrap(), bytes);

    // A workbook is not for the terminal.
    let o = output(cityrank(cache.path()).args(["run", edition, "--format", "xlsx"]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--format xlsx writes a workbook: give the file to write with -o FILE"));
}

#[test]
fn csv_for_excel_has_a_bom_and_names_when_asked() {
    let cache = tempfile::tempdir().unwrap();
    let edition = "methodologies/las-2024.toml";
    let plain = output(cityrank(cache.path()).args(["run", edition, "--format", "csv"]));
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert!(plain.stdout.starts_with(b"rank,tier,id,name,country,score,index,"));
    let excel = output(cityrank(cache.path()).args(["run", edition, "--format", "csv", "--bom", "--names"]));
    assert!(excel.status.success(), "{}", stderr(&excel));
    let text = String::from_utf8(excel.stdout).unwrap();
    assert!(
        text.starts_with("\u{feff}rank,tier,id,name,country,score,Smart city index,"),
        "{text}"
    );
    // The same rows below the header.
    let rows = |t: &str| t.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(rows(&text), rows(&String::from_utf8(plain.stdout).unwrap()));
    let o = output(cityrank(cache.path()).args(["run", edition, "--bom"]));
    assert!(
        stderr(&o).contains("--bom and --names are for --format csv"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_comparison_workbook_holds_the_comparison() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("c.xlsx");
    let (a, b) = (
        "methodologies/las-2024.toml",
        "methodologies/las-2024.u4ssc-declarative.toml",
    );
    let o = output(
        cityrank(cache.path())
            .args(["compare", a, b, "--format", "xlsx", "-o"])
            .arg(&xlsx),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(cityrank(cache.path()).args(["compare", a, b, "--format", "json"]));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
    let agreement = sheet(&mut book, "Agreement");
    let p = &json["pairs"][0];
    assert_eq!(number(&agreement[1][2]), p["n"].as_f64());
    assert_eq!(number(&agreement[1][3]), p["spearman"].as_f64());
    assert_eq!(number(&agreement[1][9]), p["mean_abs_rank_shift"].as_f64());
    let units = sheet(&mut book, "Units");
    assert_eq!(units.len() - 1, json["units"].as_array().unwrap().len());
    let label = json["methods"][1]["label"].as_str().unwrap();
    for (row, u) in units[1..].iter().zip(json["units"].as_array().unwrap()) {
        assert_eq!(text(&row[0]), u["id"].as_str().unwrap());
        assert_eq!(number(&row[7]), u["methods"][label]["rank"].as_f64(), "{}", u["id"]);
        assert_eq!(number(&row[10]), u["methods"][label]["shift"].as_f64(), "{}", u["id"]);
    }
}

#[test]
fn the_sensitivity_workbook_holds_the_rank_intervals() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("s.xlsx");
    let edition = "methodologies/asem-2018.toml";
    let args = ["sensitivity", edition, "--samples", "16"];
    let o = output(
        cityrank(cache.path())
            .args(args)
            .args(["--format", "xlsx", "-o"])
            .arg(&xlsx),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(cityrank(cache.path()).args(args).args(["--format", "json"]));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
    let ranks = sheet(&mut book, "Ranks");
    let units = json["units"].as_array().unwrap();
    assert_eq!(ranks.len() - 1, units.len());
    for (row, u) in ranks[1..].iter().zip(units) {
        assert_eq!(text(&row[0]), u["id"].as_str().unwrap());
        assert_eq!(number(&row[5]), u["median_rank"].as_f64(), "{}", u["id"]);
        assert_eq!(number(&row[7]), u["q5_rank"].as_f64(), "{}", u["id"]);
        assert_eq!(number(&row[8]), u["q95_rank"].as_f64(), "{}", u["id"]);
    }
    let sobol = sheet(&mut book, "Sobol indices");
    for (row, x) in sobol[1..]
        .iter()
        .zip(json["sensitivity"]["indices"].as_array().unwrap())
    {
        assert_eq!(text(&row[0]), x["input"].as_str().unwrap());
        assert_eq!(number(&row[4]), x["total"].as_f64());
    }
}

#[test]
fn the_explanation_workbook_holds_the_breakdown() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("e.xlsx");
    let args = ["explain", "methodologies/las-2024.toml", "--unit", "sau-riyadh"];
    let o = output(
        cityrank(cache.path())
            .args(args)
            .args(["--format", "xlsx", "-o"])
            .arg(&xlsx),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(cityrank(cache.path()).args(args).args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
    let rows = sheet(&mut book, "Breakdown");
    let nodes = json["nodes"].as_array().unwrap();
    assert_eq!(rows.len() - 1, nodes.len());
    for (row, n) in rows[1..].iter().zip(nodes) {
        assert_eq!(text(&row[0]), n["id"].as_str().unwrap());
        assert_eq!(number(&row[7]), n["value"].as_f64(), "{}", n["id"]);
        assert_eq!(number(&row[8]), n["contribution"].as_f64(), "{}", n["id"]);
        assert_eq!(number(&row[11]), n["rank"].as_f64(), "{}", n["id"]);
    }
    let highlights = sheet(&mut book, "Strengths and weaknesses");
    let strengths = json["strengths"].as_array().unwrap();
    let weaknesses = json["weaknesses"].as_array().unwrap();
    assert_eq!(highlights.len() - 1, strengths.len() + weaknesses.len());
    assert_eq!(text(&highlights[1][1]), strengths[0]["id"].as_str().unwrap());
    let about = sheet(&mut book, "About");
    assert!(
        about
            .iter()
            .any(|r| text(&r[0]) == "unit" && text(&r[1]).contains("(sau-riyadh)"))
    );
    // Without a file there is nowhere to put a workbook: refused before running.
    let o = output(cityrank(cache.path()).args(args).args(["--format", "xlsx"]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("-o FILE"), "{}", stderr(&o));
}

#[test]
fn raw_values_are_in_rank_order_with_names() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("methodology.toml", &declarative_manifest(&[("", &["x", "y"])])),
            ("dataset.toml", &dataset_description("data.csv", "", &["x", "y"])),
            (
                "data.csv",
                "id,name,country,x,y\na,Alpha,AAA,1,3\nb,Beta,BBB,3,2\nc,Gamma,CCC,2,1\n",
            ),
            ("edition.toml", &declarative_edition("")),
        ],
    );
    let xlsx = dir.path().join("r.xlsx");
    let o = output(
        cityrank(cache.path())
            .arg("run")
            .arg(dir.path().join("edition.toml"))
            .args(["--format", "xlsx", "-o"])
            .arg(&xlsx),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
    // Min-max: x → a 0, b 100, c 50; y → a 100, b 50, c 0. Index: a 50, b 75, c 25:
    // ranks b 1, a 2, c 3.
    let raw = sheet(&mut book, "Raw values");
    let header: Vec<String> = raw[0].iter().map(text).collect();
    assert_eq!(header, ["rank", "id", "name", "Indicator x", "Indicator y"]);
    // Each row as `rank id name x y`, numbers as numbers.
    let rows: Vec<String> = raw[1..]
        .iter()
        .map(|r| {
            r.iter()
                .map(|d| number(d).map_or_else(|| text(d), |x| x.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(rows, ["1 b Beta 3 2", "2 a Alpha 1 3", "3 c Gamma 2 1"]);
    let indicators = sheet(&mut book, "Indicators");
    let header: Vec<String> = indicators[0].iter().map(text).collect();
    assert_eq!(header, ["rank", "id", "name", "Indicator x", "Indicator y"]);
    let b: Vec<Option<f64>> = indicators[1][3..].iter().map(number).collect();
    assert_eq!(
        (text(&indicators[1][1]), b),
        ("b".to_string(), vec![Some(100.0), Some(50.0)])
    );
}

#[test]
fn the_experts_workbook_holds_the_panel() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("panel.xlsx");
    let args = [
        "experts",
        "methodologies/data/las-2024-experts/panel.csv",
        "--edition",
        "methodologies/las-2024.experts.toml",
    ];
    let o = output(
        cityrank(cache.path())
            .args(args)
            .args(["--format", "xlsx", "-o"])
            .arg(&xlsx),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(cityrank(cache.path()).args(args).args(["--format", "json"]));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&xlsx).unwrap())).unwrap();
    let weights = sheet(&mut book, "Weights");
    let nodes = json["nodes"].as_array().unwrap();
    let children: usize = nodes.iter().map(|n| n["children"].as_array().unwrap().len()).sum();
    assert_eq!(weights.len() - 1, children);
    let mut row = 1;
    for n in nodes {
        for (c, child) in n["children"].as_array().unwrap().iter().enumerate() {
            assert_eq!(text(&weights[row][0]), n["id"].as_str().unwrap());
            assert_eq!(text(&weights[row][1]), child.as_str().unwrap());
            assert_eq!(number(&weights[row][3]), n["weights"][c].as_f64());
            row += 1;
        }
    }
    let experts = sheet(&mut book, "Experts");
    let judgements: usize = nodes.iter().map(|n| n["experts"].as_array().unwrap().len()).sum();
    assert_eq!(experts.len() - 1, judgements);
    let agreement = sheet(&mut book, "Agreement");
    assert_eq!(number(&agreement[1][4]), nodes[0]["kendall_w"].as_f64());
}
