//! Weights from an expert panel: `cityrank experts` against independent numbers,
//! its errors at their rows, and an edition ranked with the panel's weights
//! (checked by hand).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn experts_json(cache: &Path, args: &[&str]) -> Value {
    let o = output(cityrank(cache).arg("experts").args(args).args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn close(got: &Value, want: &[f64], what: &str) {
    let got: Vec<f64> = got.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "{what}: got {got:?}, want {want:?}");
    }
}

/// The 4-child panel of `tools/reference/experts_reference.py` §1b, and the
/// budget allocation of its §2b, as a panel file.
const PANEL: &str = "expert,node,kind,a,b,value
e1,index,pairwise,A,B,3
e1,index,pairwise,A,C,5
e1,index,pairwise,A,D,7
e1,index,pairwise,B,C,2
e1,index,pairwise,B,D,5
e1,index,pairwise,C,D,3
e2,index,pairwise,A,B,1/2
e2,index,pairwise,A,C,3
e2,index,pairwise,A,D,4
e2,index,pairwise,B,C,4
e2,index,pairwise,B,D,6
e2,index,pairwise,C,D,2
e3,index,pairwise,A,B,2
e3,index,pairwise,A,C,7
e3,index,pairwise,A,D,3
e3,index,pairwise,B,C,3
e3,index,pairwise,B,D,0.5
e3,index,pairwise,C,D,1/4
e1,A,points,x,,50
e1,A,points,y,,30
e1,A,points,z,,20
e2,A,points,x,,40
e2,A,points,y,,40
e2,A,points,z,,20
e3,A,points,x,,60
e3,A,points,y,,25
e3,A,points,z,,15
e4,A,points,x,,5
e4,A,points,y,,3
e4,A,points,z,,2
r1,R,rating,p,,5
r1,R,rating,q,,3
r1,R,rating,r,,2
r2,R,rating,p,,4
r2,R,rating,q,,4
r2,R,rating,r,,1
r3,R,rating,p,,5
r3,R,rating,q,,2
r3,R,rating,r,,2
";

#[test]
fn the_panel_report_matches_numpy_and_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let panel = write(dir.path(), "panel.csv", PANEL);
    let p = panel.to_str().unwrap();
    let r = experts_json(dir.path(), &[p]);
    assert_eq!(r["experts"].as_array().unwrap().len(), 7);
    let index = &r["nodes"][0];
    assert_eq!(index["id"], "index");
    assert_eq!(index["kind"], "pairwise");
    // numpy (experts_reference.py §1b): AIJ eigenvector priorities and the CRs.
    close(
        &index["weights"],
        &[0.4766062488, 0.304359555, 0.1100140853, 0.1090201109],
        "AIJ",
    );
    assert!((index["panel_cr"].as_f64().unwrap() - 0.004361191182).abs() < 1e-10);
    let crs: Vec<f64> = index["experts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["cr"].as_f64().unwrap())
        .collect();
    for (got, want) in crs.iter().zip([0.0287505169, 0.01147536974, 0.03977465691]) {
        assert!((got - want).abs() < 1e-10, "CR {got} vs {want}");
    }
    close(
        &index["experts"][0]["weights"],
        &[0.5738112599, 0.2388289684, 0.1310143137, 0.05634545797],
        "E1",
    );
    // Kendall's W of the three experts' priorities (experts_reference.py §6): ranks
    // 4 3 2 1, 3 4 2 1, 4 2 1 3; rank sums 11 9 5 5, S = 27, W = 12·27/(9·60) = 0.6.
    assert!((index["kendall_w"].as_f64().unwrap() - 0.6).abs() < 1e-12);
    // Ratings: weights proportional to the ratings, then their mean (§6).
    let ratings = &r["nodes"][2];
    assert_eq!(ratings["kind"], "rating");
    close(
        &ratings["weights"],
        &[0.5, 0.3222222222, 0.1777777778],
        "mean of the rating shares",
    );
    // Budget allocation by hand: shares 0.5/0.3/0.2, 0.4/0.4/0.2, 0.6/0.25/0.15 and
    // 5/3/2 of 10 = 0.5/0.3/0.2; means (0.5, 0.3125, 0.1875).
    let a = &r["nodes"][1];
    assert_eq!(a["kind"], "points");
    close(&a["weights"], &[0.5, 0.3125, 0.1875], "mean of the shares");
    // Distance of e2 to the mean: ½(|0.4−0.5| + |0.4−0.3125| + |0.2−0.1875|) = 0.1.
    assert!((a["experts"][1]["distance"].as_f64().unwrap() - 0.1).abs() < 1e-12);

    // AIP (geometric mean of the priorities, renormalised), and the arithmetic one.
    let r = experts_json(dir.path(), &[p, "--pairwise", "aip"]);
    close(
        &r["nodes"][0]["weights"],
        &[0.4789545511, 0.3029812816, 0.1086331523, 0.109431015],
        "AIP",
    );
    let r = experts_json(dir.path(), &[p, "--pairwise", "aip-arithmetic"]);
    close(
        &r["nodes"][0]["weights"],
        &[0.4589770944, 0.3083906475, 0.1055287514, 0.1271035067],
        "AIP arithmetic",
    );
    // Geometric-mean priorities of the AIJ matrix (numpy: row geometric means).
    let r = experts_json(dir.path(), &[p, "--priorities", "geometric-mean"]);
    close(
        &r["nodes"][0]["weights"],
        &[0.4769628845, 0.304228948, 0.1099409938, 0.1088671737],
        "AIJ, row GM",
    );
    // The median share per child: x 0.5, y 0.3, z 0.2.
    let r = experts_json(dir.path(), &[p, "--points", "median"]);
    close(&r["nodes"][1]["weights"], &[0.5, 0.3, 0.2], "median");
    // Leaving out CR > 0.03 drops e3 (CR 0.0398): AIJ of e1 and e2 alone.
    let r = experts_json(dir.path(), &[p, "--max-cr", "0.03"]);
    assert_eq!(r["nodes"][0]["experts"][2]["excluded"], true);
    assert_eq!(r["experts"][2]["excluded_at"][0], "index");
    // numpy (§6): the eigenvector of the geometric mean of E1's and E2's matrices.
    close(
        &r["nodes"][0]["weights"],
        &[0.4353844066, 0.3636695967, 0.1338287955, 0.06711720119],
        "AIJ without e3",
    );

    // CSV: one row per weight.
    let o = output(cityrank(dir.path()).args(["experts", p, "--format", "csv"]));
    let text = stdout(&o);
    assert!(text.starts_with("node,kind,child,who,weight,cr,distance,outlier\n"));
    assert!(text.contains("\nA,points,y,panel,0.3125,,,\n"), "{text}");
    // The table names what matters.
    let o = output(cityrank(dir.path()).args(["experts", p]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("index — index (AHP, 3 experts"), "{}", stdout(&o));
}

#[test]
fn bad_rows_are_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str]); 6] = [
        ("e1,index,pairwise,A,B,12\n", &["line 2", "outside Saaty's scale"]),
        ("e1,index,pairwise,A,A,3\n", &["line 2", "compared with itself"]),
        (
            "e1,index,pairwise,A,B,3\ne1,index,pairwise,B,A,2\ne1,index,pairwise,A,C,2\n",
            &["line 3", "again (first at line 2)"],
        ),
        (
            "e1,A,points,x,,50\ne1,A,points,y,,50\ne2,A,pairwise,x,y,2\n",
            &[
                "line 4",
                "expert `e2` judges `A` by pairwise, but the panel judges it by points (from line 2",
            ],
        ),
        (
            "e1,index,pairwise,A,B,3\ne1,index,pairwise,C,D,3\ne1,A,points,x,,1\n",
            &["unconnected", "`C`, `D`"],
        ),
        ("e1,index,rating,A,,three\n", &["line 2", "`three` is not a number"]),
    ];
    for (rows, expected) in cases {
        let p = write(dir.path(), "bad.csv", &format!("expert,node,kind,a,b,value\n{rows}"));
        let o = output(cityrank(dir.path()).arg("experts").arg(&p));
        assert_eq!(o.status.code(), Some(1), "{rows}: {}", stdout(&o));
        for e in expected {
            assert!(stderr(&o).contains(e), "{rows}: no `{e}` in {}", stderr(&o));
        }
    }
    // A wrong header says what the header is.
    let p = write(
        dir.path(),
        "bad.csv",
        "judge,node,kind,a,b,value\ne1,index,points,A,,1\n",
    );
    let o = output(cityrank(dir.path()).arg("experts").arg(&p));
    assert!(
        stderr(&o).contains("a panel file's header is `expert,node,kind,a,b,value`"),
        "{}",
        stderr(&o)
    );
}

/// A declarative methodology: index → pillars p (indicators x, y) and q (z), min-max
/// 0–100, arithmetic means; weights 1 everywhere.
fn tiny_edition(dir: &Path, experts: &str) -> std::path::PathBuf {
    write(
        dir,
        "methodology.toml",
        "schema_version = 2\nid = \"tiny-panel-weights\"\nname = \"Tiny\"\nversion = \"0.1.0\"\n\
         description = \"For tests.\"\n\
         [[tiers]]\nlabel = \"top\"\nupper_share = 0.5\n[[tiers]]\nlabel = \"rest\"\nupper_share = 1.0\n\
         [index]\nid = \"index\"\nname = \"Index\"\n\
         [[nodes]]\nid = \"p\"\nname = \"P\"\nparent = \"index\"\nweight = 1\n\
         [[nodes]]\nid = \"q\"\nname = \"Q\"\nparent = \"index\"\nweight = 1\n\
         [pipeline]\nnormalise = { method = \"min-max\", lo = 0.0, hi = 100.0 }\n\
         [[indicators]]\nid = \"x\"\nname = \"X\"\nparent = \"p\"\nweight = 1\ndirection = \"higher\"\nunit = \"u\"\nfrom = \"x\"\n\
         [[indicators]]\nid = \"y\"\nname = \"Y\"\nparent = \"p\"\nweight = 1\ndirection = \"higher\"\nunit = \"u\"\nfrom = \"y\"\n\
         [[indicators]]\nid = \"z\"\nname = \"Z\"\nparent = \"q\"\nweight = 1\ndirection = \"higher\"\nunit = \"u\"\nfrom = \"z\"\n",
    );
    write(dir, "units.csv", "id,name,x,y,z\na,A,0,10,5\nb,B,10,0,0\nc,C,5,5,10\n");
    write(
        dir,
        "dataset.toml",
        "schema_version = 1\nid = \"tiny3\"\ntitle = \"t\"\nyear = 2024\nfile = \"units.csv\"\n\
         [columns]\nid = \"id\"\nname = \"name\"\n\
         [[variables]]\nid = \"x\"\ntype = \"number\"\n[[variables]]\nid = \"y\"\ntype = \"number\"\n\
         [[variables]]\nid = \"z\"\ntype = \"number\"\n",
    );
    write(
        dir,
        "edition.toml",
        &format!(
            "schema_version = 1\nid = \"tiny\"\nname = \"Tiny\"\nyear = 2024\nmethodology = \"methodology.toml\"\n\
             dataset = \"dataset.toml\"\n{experts}"
        ),
    )
}

#[test]
fn an_edition_ranks_with_the_panels_weights() {
    let dir = tempfile::tempdir().unwrap();
    // One expert: p is 3 times as important as q → 0.75 / 0.25. Two experts split
    // p's points: x 60 / y 40 and x 20 / y 80 → mean shares x 0.4, y 0.6.
    write(
        dir.path(),
        "panel.csv",
        "expert,node,kind,a,b,value\ne1,index,pairwise,p,q,3\ne1,p,points,x,,60\ne1,p,points,y,,40\n\
         e2,p,points,x,,20\ne2,p,points,y,,80\n",
    );
    // A third expert (x 30 / y 70) in another file, for the median variant.
    write(
        dir.path(),
        "panel3.csv",
        "expert,node,kind,a,b,value\ne1,index,pairwise,p,q,3\ne1,p,points,x,,60\ne1,p,points,y,,40\n\
         e2,p,points,x,,20\ne2,p,points,y,,80\ne3,p,points,x,,30\ne3,p,points,y,,70\n",
    );
    let variant = "[variants.median]\nexperts = { file = \"panel3.csv\", points = \"median\" }\n";
    let edition = tiny_edition(dir.path(), &format!("[experts]\nfile = \"panel.csv\"\n{variant}"));
    let o = output(cityrank(dir.path()).arg("run").arg(&edition).args(["--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Min-max 0–100: x a 0, b 100, c 50; y a 100, b 0, c 50; z a 50, b 0, c 100.
    // p = 0.4·x + 0.6·y: a 60, b 40, c 50. Index = 0.75·p + 0.25·z:
    // a 45 + 12.5 = 57.5, b 30 + 0 = 30, c 37.5 + 25 = 62.5 → c, a, b.
    let units = r["units"].as_array().unwrap();
    let got: Vec<(&str, f64)> = units
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["score"].as_f64().unwrap()))
        .collect();
    let want = [("c", 62.5), ("a", 57.5), ("b", 30.0)];
    for ((id, s), (wid, ws)) in got.iter().zip(want) {
        assert_eq!(*id, wid);
        assert!((s - ws).abs() < 1e-9, "{id}: {s} vs {ws}");
    }
    // The results say where the weights came from.
    let e = &r["edition"]["experts"];
    assert_eq!(e["file"], "panel.csv");
    assert_eq!(e["nodes"], serde_json::json!(["index", "p"]));
    assert_eq!(e["experts"], 2);
    assert_eq!(e["settings"]["points"], "mean");
    assert_eq!(e["sha256"].as_str().unwrap().len(), 64);
    // The median variant (three experts): x shares 0.6, 0.2, 0.3 → 0.3; y 0.4,
    // 0.8, 0.7 → 0.7. p = 0.3x + 0.7y: a 70, b 30, c 50; index a 52.5 + 12.5 = 65,
    // b 22.5, c 37.5 + 25 = 62.5 → a, c, b.
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(&edition)
            .args(["--variant", "median", "--format", "json"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["edition"]["experts"]["settings"]["points"], "median");
    assert_eq!(m["edition"]["experts"]["file"], "panel3.csv");
    let got: Vec<(&str, f64)> = m["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["score"].as_f64().unwrap()))
        .collect();
    for ((id, s), (wid, ws)) in got.iter().zip([("a", 65.0), ("c", 62.5), ("b", 22.5)]) {
        assert_eq!(*id, wid);
        assert!((s - ws).abs() < 1e-9, "{id}: {s} vs {ws}");
    }
    // As an alternative of a sensitivity input the variant's panel applies too:
    // some builds rank `a` first (only the median panel does).
    let with_input = tiny_edition(
        dir.path(),
        &format!(
            "[experts]\nfile = \"panel.csv\"\n[sensitivity]\nsamples = 8\nleave_one_out = false\nbootstrap = 0\n\
             [[sensitivity.inputs]]\nname = \"aggregation\"\nvariants = [\"nominal\", \"median\"]\n{variant}"
        ),
    );
    let o = output(cityrank(dir.path()).arg("sensitivity").arg(&with_input).args([
        "--uncertainty-only",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = s["units"].as_array().unwrap().iter().find(|u| u["id"] == "a").unwrap();
    assert_eq!(a["nominal_rank"], 2);
    assert_eq!(a["q5_rank"].as_f64(), Some(1.0), "{a}");
    // `cityrank experts --edition` checks the panel against the methodology and
    // shows the methodology's own weights beside the panel's.
    let panel = dir.path().join("panel.csv");
    let x = experts_json(
        dir.path(),
        &[panel.to_str().unwrap(), "--edition", edition.to_str().unwrap()],
    );
    close(&x["nodes"][0]["nominal"], &[0.5, 0.5], "nominal");
    close(&x["nodes"][0]["weights"], &[0.75, 0.25], "panel");
}

#[test]
fn a_panel_that_does_not_fit_the_methodology_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "panel.csv",
        "expert,node,kind,a,b,value\ne1,index,pairwise,p,qq,3\ne1,pp,points,x,,60\ne1,p,points,x,,60\n",
    );
    let edition = tiny_edition(dir.path(), "[experts]\nfile = \"panel.csv\"\n");
    let o = output(cityrank(dir.path()).arg("run").arg(&edition));
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("line 2: `qq` is not a child of `index` (its children: p, q)"),
        "{e}"
    );
    assert!(e.contains("line 3: no node `pp` with children"), "{e}");
    assert!(
        e.contains("line 4: expert `e1` gives points to 1 of the 2 children of `p` (missing: y)"),
        "{e}"
    );
    // A variant that changes a panel the edition does not have.
    let edition = tiny_edition(dir.path(), "[variants.v]\nexperts = { points = \"median\" }\n");
    let o = output(cityrank(dir.path()).arg("run").arg(&edition));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("variants.v.experts: the edition has no [experts] panel"),
        "{}",
        stderr(&o)
    );
    // A panel file that is not there.
    let edition = tiny_edition(dir.path(), "[experts]\nfile = \"nope.csv\"\n");
    let o = output(cityrank(dir.path()).arg("run").arg(&edition));
    assert!(stderr(&o).contains("experts.file:"), "{}", stderr(&o));
}

#[test]
fn the_sensitivity_analysis_resamples_the_panel() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "panel.csv",
        "expert,node,kind,a,b,value\ne1,index,pairwise,p,q,3\ne1,p,points,x,,60\ne1,p,points,y,,40\n\
         e2,p,points,x,,20\ne2,p,points,y,,80\n",
    );
    let edition = tiny_edition(
        dir.path(),
        "[experts]\nfile = \"panel.csv\"\n\
         [sensitivity]\nsamples = 8\nleave_one_out = false\nbootstrap = 0\n\
         [[sensitivity.inputs]]\nname = \"panel\"\nexperts = { resample = \"each\" }\n",
    );
    let o =
        output(
            cityrank(dir.path())
                .arg("sensitivity")
                .arg(&edition)
                .args(["--uncertainty-only", "--format", "json"]),
        );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["design"]["inputs"][0]["alternatives"][0],
        "each of the 2 experts alone"
    );
    // Each expert alone (only e1 judged the index: 0.75 / 0.25 in both).
    // e1: p = 0.6x + 0.4y → a 40, b 60, c 50; index a 42.5, b 45, c 62.5 → c, b, a.
    // e2: p = 0.2x + 0.8y → a 80, b 20, c 50; index a 72.5, b 15, c 62.5 → a, c, b.
    // Nominal (mean shares x 0.4, y 0.6): c 62.5, a 57.5, b 30 → c, a, b.
    // Whether the top tier (upper share 0.5 of 3) holds one unit or two, one
    // build moves two units across its boundary and the other none.
    let c = &r["tier_changes"][0];
    assert_eq!(c["input"], "panel");
    assert_eq!(c["builds"], 2);
    assert_eq!(c["units_changing_tier"], 2);
    assert_eq!(c["mean_units_changing_tier"], 1.0);
    assert_eq!(c["top_tier_changed"], 0.5);
    // Without a panel the input is refused, saying why.
    let edition = tiny_edition(
        dir.path(),
        "[sensitivity]\nsamples = 8\n[[sensitivity.inputs]]\nname = \"panel\"\nexperts = { resample = \"each\" }\n",
    );
    let o = output(
        cityrank(dir.path())
            .arg("sensitivity")
            .arg(&edition)
            .arg("--uncertainty-only"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the edition has no [experts]"), "{}", stderr(&o));
}

#[test]
fn the_las_panel_is_what_its_script_draws() {
    // methodologies/data/las-2024-experts/panel.csv is synthetic: the committed
    // script must draw exactly it (Python's standard library only).
    let script = root().join("methodologies/data/las-2024-experts/make_panel.py");
    let o = std::process::Command::new("python3")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // And the edition ranks with it: the panel and the settings are recorded.
    let cache = tempfile::tempdir().unwrap();
    let o = output(cityrank(cache.path()).args(["run", "methodologies/las-2024.experts.toml", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["edition"]["experts"]["experts"], 18);
    assert_eq!(r["edition"]["experts"]["nodes"].as_array().unwrap().len(), 4);
    // The framework's weights are the panel's (as `cityrank experts` reports them).
    let x = experts_json(
        cache.path(),
        &[
            "methodologies/data/las-2024-experts/panel.csv",
            "--edition",
            "methodologies/las-2024.experts.toml",
        ],
    );
    let fw = r["framework"].as_array().unwrap();
    for node in x["nodes"].as_array().unwrap() {
        for (c, child) in node["children"].as_array().unwrap().iter().enumerate() {
            let used = fw.iter().find(|n| n["id"] == *child).unwrap()["weight"]
                .as_f64()
                .unwrap();
            assert!((used - node["weights"][c].as_f64().unwrap()).abs() < 1e-15, "{child}");
        }
    }
    // Three synthetic experts are inconsistent on purpose (07 and 13 by design).
    let flagged: Vec<&str> = x["experts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["inconsistent"].as_array().unwrap().is_empty())
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(
        flagged.contains(&"synthetic-07") && flagged.contains(&"synthetic-13"),
        "{flagged:?}"
    );
}

#[test]
fn panels_in_other_dialects_and_sheets_and_their_typos() {
    let dir = tempfile::tempdir().unwrap();
    // As a European spreadsheet saves it: semicolons, decimal commas, a BOM.
    let semi = write(
        dir.path(),
        "semi.csv",
        "\u{feff}expert;node;kind;a;b;value\ne1;index;pairwise;A;B;0,5\ne2;index;pairwise;A;B;2\n",
    );
    let r = experts_json(dir.path(), &[semi.to_str().unwrap()]);
    // AIJ of ½ and 2: their geometric mean 1 → equal weights.
    close(&r["nodes"][0]["weights"], &[0.5, 0.5], "semicolons and decimal commas");
    // A workbook whose panel is on its second sheet.
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("Notes")
        .unwrap()
        .write_string(0, 0, "Panel of 2 experts")
        .unwrap();
    let sheet = book.add_worksheet().set_name("Judgements").unwrap();
    for (c, h) in ["expert", "node", "kind", "a", "b", "value"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (e, v)) in [("e1", 3.0), ("e2", 1.0 / 3.0)].iter().enumerate() {
        let row = r as u32 + 1;
        for (c, x) in [*e, "index", "pairwise", "A", "B"].iter().enumerate() {
            sheet.write_string(row, c as u16, *x).unwrap();
        }
        sheet.write_number(row, 5, *v).unwrap();
    }
    let xlsx = dir.path().join("panel.xlsx");
    book.save(&xlsx).unwrap();
    let o = output(cityrank(dir.path()).arg("experts").arg(&xlsx));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("read from the sheet `Notes`"), "{}", stderr(&o));
    let r = experts_json(dir.path(), &[xlsx.to_str().unwrap(), "--sheet", "Judgements"]);
    close(&r["nodes"][0]["weights"], &[0.5, 0.5], "the second sheet");
    // Without a methodology, a child only one of three experts names, close to
    // another's, is a likely typo: named at its row, not blamed on the others.
    let typo = write(
        dir.path(),
        "typo.csv",
        "expert,node,kind,a,b,value\ne1,P,points,alpha,,1\ne1,P,points,beta,,1\ne2,P,points,alpha,,1\n\
         e2,P,points,beta,,1\ne3,P,points,alpha,,1\ne3,P,points,betta,,1\n",
    );
    let o = output(cityrank(dir.path()).arg("experts").arg(&typo));
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("line 7: `betta` (a child of `P`) is named only by expert `e3`: a typo?"),
        "{e}"
    );
    assert!(!e.contains("gives points to"), "{e}");
    // The same expert written two ways.
    let case = write(
        dir.path(),
        "case.csv",
        "expert,node,kind,a,b,value\nAmal,P,points,alpha,,1\nAmal,P,points,beta,,1\namal,Q,points,x,,1\n",
    );
    let o = output(cityrank(dir.path()).arg("experts").arg(&case));
    assert!(
        stderr(&o).contains("line 4: expert `amal` and expert `Amal` differ only in case"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_panel_with_the_methodologys_own_shares_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // The methodology weighs p and q 1 : 1 and x and y 1 : 1; so does the panel
    // (1 on Saaty's scale; 50 points each) — in other numbers, the same shares.
    write(
        dir.path(),
        "panel.csv",
        "expert,node,kind,a,b,value\ne1,index,pairwise,p,q,1\ne1,p,points,x,,50\ne1,p,points,y,,50\n",
    );
    let with = tiny_edition(dir.path(), "[experts]\nfile = \"panel.csv\"\nmax_cr = 0.1\n");
    let o = output(cityrank(dir.path()).arg("run").arg(&with));
    assert!(o.status.success(), "{}", stderr(&o));
    // The table says where the weights came from.
    assert!(
        stdout(&o).contains("weights — from the expert panel panel.csv (1 expert) at index, p"),
        "{}",
        stdout(&o)
    );
    let without = dir.path().join("plain.toml");
    std::fs::write(
        &without,
        std::fs::read_to_string(&with)
            .unwrap()
            .replace("[experts]\nfile = \"panel.csv\"\nmax_cr = 0.1\n", ""),
    )
    .unwrap();
    let o = output(
        cityrank(dir.path())
            .arg("diff")
            .arg(&without)
            .arg(&with)
            .args(["--format", "json"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let d: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["differences"].as_array().unwrap().len(), 0, "{d}");
}

#[test]
fn two_inputs_drawing_the_same_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "panel.csv",
        "expert,node,kind,a,b,value\ne1,index,pairwise,p,q,3\ne2,index,pairwise,p,q,2\n",
    );
    let edition = tiny_edition(
        dir.path(),
        "[experts]\nfile = \"panel.csv\"\n[sensitivity]\nsamples = 8\n\
         [[sensitivity.inputs]]\nname = \"pillar weights\"\nweight_noise = { levels = [2], factor = 0.25 }\n\
         [[sensitivity.inputs]]\nname = \"panel\"\nexperts = { resample = \"each\" }\n",
    );
    let o = output(cityrank(dir.path()).arg("sensitivity").arg(&edition));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("`pillar weights` and `panel` both draw the weights of `p`, `q`"),
        "{}",
        stderr(&o)
    );
}
