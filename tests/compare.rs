//! `cityrank compare` and `cityrank explain`, end to end, with expected values
//! worked out by hand on tiny editions, and checks on the 2024 LAS edition.
//!
//! The tiny editions use the hostile test plugin, whose `derive` returns the
//! dataset's column `x` unchanged (for any edition id but its misbehaviour
//! triggers), with the default pipeline: min-max onto 0–100 and a one-indicator
//! index, so a unit's rank is its rank by `x`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// Units of dataset A: x = 6, 5, 4, 3, 2, 1 → ranks a1 b2 c3 d4 e5 f6.
const A_CSV: &str = "id,name,country,x\na,Abu Alpha,AAA,6\nb,Al Beta,BBB,5\nc,Gamma,CCC,4\nd,Delta,DDD,3\ne,Epsilon,EEE,2\nf,Zeta,FFF,1\n";
/// Units of dataset B: f is gone, g is new; x = a5 b6 c4 d1 e3 g2 → ranks b1 a2 c3 e4
/// g5 d6.
const B_CSV: &str = "id,name,country,x\na,Abu Alpha,AAA,5\nb,Al Beta,BBB,6\nc,Gamma,CCC,4\nd,Delta,DDD,1\ne,Epsilon,EEE,3\ng,Eta,GGG,2\n";

fn dataset_toml(id: &str, file: &str) -> String {
    format!(
        "schema_version = 1\nid = \"{id}\"\ntitle = \"Made-up units for tests\"\nyear = 2024\nfile = \"{file}\"\n\n\
         [columns]\nid = \"id\"\nname = \"name\"\ncountry = \"country\"\n\n\
         [[variables]]\nid = \"x\"\ntype = \"number\"\nmin = 0.0\n"
    )
}

/// Writes the tiny fixtures into `dir` and returns the paths of the two editions:
///
/// - `tiny.toml` (id `well-behaved`, 2024) on dataset A with tiers `top` (50%:
///   3 of 6 units) and `bottom`, and a variant `alt` on dataset B with tiers `high`
///   (34%: round(2.04) = 2 units) and `low`;
/// - `tiny-2025.toml` (id `tiny-2025`, 2025) on dataset B with tiers `top` (34%) and
///   `bottom`: the same methodology on another edition.
fn fixtures(dir: &Path) -> (PathBuf, PathBuf) {
    let plugin = root().join("tests/plugins/hostile");
    let plugin = plugin.to_str().unwrap().replace('\\', "/");
    std::fs::write(dir.join("a.csv"), A_CSV).unwrap();
    std::fs::write(dir.join("b.csv"), B_CSV).unwrap();
    std::fs::write(dir.join("a.toml"), dataset_toml("tiny-a", "a.csv")).unwrap();
    std::fs::write(dir.join("b.toml"), dataset_toml("tiny-b", "b.csv")).unwrap();
    let tiny = dir.join("tiny.toml");
    std::fs::write(
        &tiny,
        format!(
            "schema_version = 1\nid = \"well-behaved\"\nname = \"Tiny Tier Ranking (test)\"\nyear = 2024\n\
             methodology = \"{plugin}\"\ndataset = \"a.toml\"\n\
             tiers = [{{ label = \"top\", upper_share = 0.5 }}, {{ label = \"bottom\", upper_share = 1.0 }}]\n\n\
             [variants.alt]\ndataset = \"b.toml\"\n\
             tiers = [{{ label = \"high\", upper_share = 0.34 }}, {{ label = \"low\", upper_share = 1.0 }}]\n"
        ),
    )
    .unwrap();
    let next = dir.join("tiny-2025.toml");
    std::fs::write(
        &next,
        format!(
            "schema_version = 1\nid = \"tiny-2025\"\nname = \"Tiny Tier Ranking 2025 (test)\"\nyear = 2025\n\
             methodology = \"{plugin}\"\ndataset = \"b.toml\"\n\
             tiers = [{{ label = \"top\", upper_share = 0.34 }}, {{ label = \"bottom\", upper_share = 1.0 }}]\n"
        ),
    )
    .unwrap();
    (tiny, next)
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

fn compare_json(cache: &Path, args: &[&str]) -> Value {
    let o = output(cityrank(cache).arg("compare").args(args).args(["--format", "json"]));
    assert!(o.status.success(), "compare failed: {}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // The document matches the schema generated from its Rust type, and deserialises
    // into it.
    assert_valid(
        &<cityrank::compare::CompareReport as cityrank::schema::Document>::schema(),
        &v,
    );
    let _: cityrank::compare::CompareReport = serde_json::from_value(v.clone()).unwrap();
    v
}

fn assert_valid(schema: &Value, document: &Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "the document does not match its schema: {errors:?}");
}

#[test]
fn two_methods_on_tiny_editions_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, _) = fixtures(dir.path());
    let tiny = tiny.to_str().unwrap();
    let v = compare_json(&dir.path().join("cache"), &[tiny, &format!("{tiny}@alt"), "--top", "4"]);
    assert_eq!(v["kind"], "methods");
    let labels: Vec<&str> = v["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["label"].as_str().unwrap())
        .collect();
    // Same methodology: labelled by methodology id, `@variant` for the variant.
    assert_eq!(labels, ["hostile", "hostile@alt"]);
    assert_eq!(v["methods"][1]["variant"], "alt");

    // Units: a–f by rank in the baseline, then g (absent from it).
    let ids: Vec<&str> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e", "f", "g"]);
    let unit = |id: &str| {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .unwrap()
            .clone()
    };
    // Ranks in B: b1 a2 c3 e4 g5 d6. Shift = baseline rank − rank, both among the
    // five units both rank (a b c d e): A a1 b2 c3 d4 e5, B b1 a2 c3 e4 d5.
    let a = unit("a");
    assert_eq!(a["name"], "Abu Alpha");
    assert_eq!(a["methods"]["hostile"]["rank"], 1);
    assert_eq!(a["methods"]["hostile"]["tier"], "top");
    assert!(close(&a["methods"]["hostile"]["score"], 100.0));
    assert_eq!(a["methods"]["hostile@alt"]["rank"], 2);
    assert_eq!(a["methods"]["hostile@alt"]["tier"], "high");
    assert!(close(&a["methods"]["hostile@alt"]["score"], 80.0));
    assert_eq!(a["methods"]["hostile@alt"]["shift"], -1);
    assert!(a["methods"]["hostile"]["shift"].is_null());
    let shifts: Vec<i64> = ["b", "c", "d", "e"]
        .iter()
        .map(|id| unit(id)["methods"]["hostile@alt"]["shift"].as_i64().unwrap())
        .collect();
    // b 2−1, c 3−3, d 4−5 (6th in B as reported, but g is not in A), e 5−4.
    assert_eq!(shifts, [1, 0, -1, 1]);
    // f and g are in one method only: listed, with where they are.
    assert_eq!(v["common_units"], 5);
    let partial = v["partial_units"].as_array().unwrap();
    assert_eq!(partial.len(), 2);
    assert_eq!(partial[0]["id"], "f");
    assert_eq!(partial[0]["ranked_in"], serde_json::json!(["hostile"]));
    assert_eq!(partial[0]["absent_from"], serde_json::json!(["hostile@alt"]));
    assert_eq!(partial[1]["id"], "g");
    assert_eq!(partial[1]["absent_from"], serde_json::json!(["hostile"]));
    assert!(unit("g")["methods"].get("hostile").is_none());

    let pairs = v["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 1);
    let p = &pairs[0];
    assert_eq!(
        (p["a"].as_str(), p["b"].as_str()),
        (Some("hostile"), Some("hostile@alt"))
    );
    // Common units a–e. Ranks in A: 1 2 3 4 5; in B: 2 1 3 6 4, i.e. 2 1 3 5 4 among
    // the five. Spearman: d = −1, 1, 0, −1, 1 → Σd² = 4 → ρ = 1 − 6·4/(5·24) = 0.8.
    // Kendall: of the 10 pairs, (a,b) and (d,e) are discordant → τ = (8 − 2)/10 = 0.6.
    assert_eq!(p["n"], 5);
    assert!(close(&p["spearman"], 0.8), "{p}");
    assert!(close(&p["kendall"], 0.6), "{p}");
    // Pearson of the scores = Pearson of x: x_A = 6 5 4 3 2, x_B = 5 6 4 1 3 →
    // Σdxdy = 9, Σdx² = 10, Σdy² = 14.8 → r = 9/√148.
    assert!(close(&p["pearson"], 9.0 / 148f64.sqrt()), "{p}");
    // Top 4 among the common units: A {a,b,c,d}, B {b,a,c,e} → 3 shared of 4.
    assert_eq!(p["top_k"]["k"], 4);
    assert_eq!(p["top_k"]["both"], 3);
    assert!(close(&p["top_k"]["share"], 0.75));
    // Tiers: labels differ (top/bottom vs high/low) → by position. A: a b c in 1,
    // d e in 2; B: b a in 1, c e d in 2 → 4 of 5 the same (c differs).
    // κ: p_o = 0.8; marginals A 3/2, B 2/3 → p_e = (3·2 + 2·3)/25 = 0.48 →
    // κ = 0.32/0.52 = 8/13.
    assert_eq!(p["tiers"]["basis"], "position");
    assert_eq!(p["tiers"]["n"], 5);
    assert_eq!(p["tiers"]["same"], 4);
    assert!(close(&p["tiers"]["share"], 0.8));
    assert!(close(&p["tiers"]["kappa"], 8.0 / 13.0), "{p}");
    // |Δrank| re-ranked among the five common units: 1 1 0 1 1 → mean 0.8, max 1;
    // as reported (ranks among each method's own units): 1 1 0 2 1 → 1.
    assert!(close(&p["mean_abs_rank_shift"], 0.8));
    assert_eq!(p["max_abs_rank_shift"], 1);
    assert!(close(&p["mean_abs_rank_shift_reported"], 1.0));
}

#[test]
fn edition_over_edition_matches_units_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, next) = fixtures(dir.path());
    let cache = dir.path().join("cache");
    let v = compare_json(&cache, &[tiny.to_str().unwrap(), next.to_str().unwrap()]);
    assert_eq!(v["kind"], "edition-over-edition");
    // One methodology on two editions: labelled by edition id.
    assert_eq!(v["methods"][0]["label"], "well-behaved");
    assert_eq!(v["methods"][1]["label"], "tiny-2025");
    let p = &v["pairs"][0];
    // Same rankings as the variant (same data), but tiers share their labels now.
    assert!(close(&p["spearman"], 0.8) && close(&p["kendall"], 0.6), "{p}");
    assert_eq!(p["tiers"]["basis"], "label");
    assert!(close(&p["tiers"]["kappa"], 8.0 / 13.0), "{p}");

    let o = output(cityrank(&cache).args(["compare", tiny.to_str().unwrap(), next.to_str().unwrap()]));
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.starts_with("Edition over edition — 2 methods, 5 units ranked by every method"),
        "{table}"
    );
    assert!(
        table.contains("change: rank in well-behaved − rank in the method"),
        "{table}"
    );
    assert!(
        table.contains("ranked in well-behaved; absent from tiny-2025 (1): Zeta (f)"),
        "{table}"
    );
    assert!(
        table.contains("ranked in tiny-2025; absent from well-behaved (1): Eta (g)"),
        "{table}"
    );
}

#[test]
fn csv_output_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, _) = fixtures(dir.path());
    let tiny = tiny.to_str().unwrap();
    let cache = dir.path().join("cache");
    let o = output(cityrank(&cache).args(["compare", tiny, &format!("{tiny}@alt"), "--format", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,name,country,hostile rank,hostile score,hostile tier,hostile@alt rank,hostile@alt score,hostile@alt tier,hostile@alt shift"
    );
    assert_eq!(lines.next().unwrap(), "a,Abu Alpha,AAA,1,100,top,2,80,high,-1");
    assert_eq!(csv.lines().count(), 8);

    // An unknown variant names the known ones; nothing is written.
    let out = dir.path().join("out.json");
    let o = output(
        cityrank(&cache)
            .args(["compare", tiny, &format!("{tiny}@nope"), "--format", "json", "-o"])
            .arg(&out),
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains(&format!("running `{tiny}@nope`")), "{e}");
    assert!(e.contains("no variant `nope`; its variants are: alt"), "{e}");
    assert!(!out.exists(), "no partial output");
    // One edition alone is not a comparison.
    let o = output(cityrank(&cache).args(["compare", tiny]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("give at least two editions"), "{}", stderr(&o));
    let o = output(cityrank(&cache).args(["compare", tiny, &format!("{tiny}@")]));
    assert!(stderr(&o).contains("no variant after `@`"), "{}", stderr(&o));
}

const PUBLISHED: &str = "\
ranking,edition,city,country_iso3,result_kind,result,source
Tiny Tier Ranking,2024,Abu Alpha,AAA,tier,top,test
Tiny Tier Ranking,2024,Beta,BBB,tier,top,test
Tiny Tier Ranking,2024,GAMMÁ,CCC,tier,bottom,test
Tiny Tier Ranking,2024,e,,tier,bottom,test
Tiny Tier Ranking,2024,Delta,XXX,tier,bottom,test
Tiny Tier Ranking,2024,Omega,OOO,tier,top,test
Tiny Rank Index,2024,Abu Alpha,AAA,rank,2,test
Tiny Rank Index,2024,Al-Beta,BBB,rank,1,test
Tiny Rank Index,2024,Gamma,CCC,rank,3,test
Tiny Rank Index,2024,Delta,DDD,rank,5,test
Tiny Rank Index,2024,Epsilon,EEE,rank,4,test
Tiny Score Index,2024,Abu Alpha,,score,10,test
Tiny Score Index,2024,Beta,,score,9,test
Tiny Score Index,2024,Gamma,,score,7,test
Tiny Score Index,2024,Delta,,score,6,test
Tiny Score Index,2024,Epsilon,,score,1,test
";

#[test]
fn published_tiers_ranks_and_scores_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, _) = fixtures(dir.path());
    let tiny = tiny.to_str().unwrap();
    let published = dir.path().join("published.csv");
    std::fs::write(&published, PUBLISHED).unwrap();
    let published = published.to_str().unwrap();
    let cache = dir.path().join("cache");

    // Tiers, the ranking inferred: "Tiny Tier Ranking" shares "tiny" and "tier" with
    // the edition's name, the two others only "tiny".
    let v = compare_json(&cache, &[tiny, "--published", published]);
    let p = &v["published"][0];
    assert_eq!(p["ranking"], "Tiny Tier Ranking");
    assert_eq!(p["edition"], "2024");
    assert_eq!(p["inferred"], true);
    assert_eq!(p["rows"], 6);
    // Matched: Abu Alpha (name + country), Beta ↔ "Al Beta" (article dropped),
    // GAMMÁ ↔ Gamma (case, accent), e (by id). Delta is published in XXX, not DDD;
    // Omega is nowhere.
    let how: Vec<(&str, &str)> = p["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["unit"].as_str().unwrap(), m["matched_by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        how,
        [
            ("a", "name-and-country"),
            ("b", "name-and-country"),
            ("c", "name-and-country"),
            ("e", "id")
        ]
    );
    let unmatched: Vec<&str> = p["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["city"].as_str().unwrap())
        .collect();
    assert_eq!(unmatched, ["Delta", "Omega"]);
    assert!(
        p["unmatched"][0]["reason"].as_str().unwrap().contains("d (DDD)"),
        "{}",
        p["unmatched"][0]
    );
    // Method tiers: a b c top, d e f bottom. Published: a top, b top, c bottom,
    // e bottom → a, b, e agree: 3 of 4.
    let t = &p["tiers"];
    assert_eq!(t["n"], 4);
    assert_eq!(t["same"], 3);
    assert!(close(&t["share"], 0.75));
    assert_eq!(t["labels_match"], true);
    assert_eq!(t["confusion"]["published"], serde_json::json!(["top", "bottom"]));
    assert_eq!(t["confusion"]["method"], serde_json::json!(["top", "bottom"]));
    assert_eq!(t["confusion"]["counts"], serde_json::json!([[2, 0], [1, 1]]));
    // All 6 units are in tiers the list uses; 3 of them are listed in the same tier.
    assert_eq!(t["method_in_listed_tiers"], 6);
    assert_eq!(t["method_in_listed_tiers_same"], 3);

    // Ranks: published 2 1 3 5 4 vs the method's 1 2 3 4 5 → ρ = 0.8, τ = 0.6 (as above).
    let v = compare_json(
        &cache,
        &[tiny, "--published", published, "--published-ranking", "tiny rank index"],
    );
    let p = &v["published"][0];
    assert_eq!(p["inferred"], false);
    assert_eq!(p["matched"].as_array().unwrap().len(), 5);
    assert_eq!(p["ranks"]["n"], 5);
    assert!(
        close(&p["ranks"]["spearman"], 0.8) && close(&p["ranks"]["kendall"], 0.6),
        "{p}"
    );
    assert!(p.get("tiers").is_none());

    // Scores: Pearson of the method's scores (linear in x = 6 5 4 3 2) with 10 9 7 6 1:
    // dx = 2 1 0 −1 −2, dp = 3.4 2.4 0.4 −0.6 −5.6 → Σdxdp = 21, Σdx² = 10,
    // Σdp² = 49.2 → r = 21/√492. Rows without a country match by name alone.
    let v = compare_json(
        &cache,
        &[
            tiny,
            "--published",
            published,
            "--published-ranking",
            "Tiny Score Index",
            "--published-edition",
            "2024",
        ],
    );
    let p = &v["published"][0];
    assert_eq!(p["matched"][1]["matched_by"], "name");
    assert_eq!(p["scores"]["n"], 5);
    assert!(close(&p["scores"]["pearson"], 21.0 / 492f64.sqrt()), "{p}");

    // The table names the unmatched cities.
    let o = output(cityrank(&cache).args(["compare", tiny, "--published", published]));
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(
        table.contains("tiers: 3/4 published cities in the same tier (75.0%)"),
        "{table}"
    );
    assert!(table.contains("unmatched: Omega (OOO)"), "{table}");
    assert!(
        table.contains("in another tier: GAMMÁ (bottom published, top here)"),
        "{table}"
    );

    // No ranking of another year; a ranking that does not exist.
    let o = output(cityrank(&cache).args(["compare", tiny, "--published", published, "--published-edition", "1999"]));
    assert!(stderr(&o).contains("it has no ranking for 1999"), "{}", stderr(&o));
    let o = output(cityrank(&cache).args(["compare", tiny, "--published", published, "--published-ranking", "Nope"]));
    assert!(stderr(&o).contains("no ranking named `Nope`"), "{}", stderr(&o));
}

fn explain_json(cache: &Path, edition: &str, unit: &str) -> Value {
    let o = output(cityrank(cache).args(["explain", edition, "--unit", unit, "--format", "json"]));
    assert!(o.status.success(), "explain failed: {}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_valid(
        &<cityrank::explain::Explanation as cityrank::schema::Document>::schema(),
        &v,
    );
    let _: cityrank::explain::Explanation = serde_json::from_value(v.clone()).unwrap();
    v
}

#[test]
fn explain_a_tiny_unit_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, _) = fixtures(dir.path());
    let tiny = tiny.to_str().unwrap();
    let cache = dir.path().join("cache");
    // c: x = 4 → min-max (4 − 1)/(6 − 1)·100 = 60; 3 of the other 5 units below →
    // percentile 3/5 = 60; rank 3 of 6. One indicator with weight 1: contribution 60.
    let v = explain_json(&cache, tiny, "c");
    assert_eq!(v["unit"]["rank"], 3);
    assert_eq!(v["additive"], true);
    let x = v["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "x").unwrap();
    assert!(close(&x["value"], 60.0) && close(&x["contribution"], 60.0), "{x}");
    assert!(close(&x["percentile"], 60.0), "{x}");
    assert_eq!(x["rank"], 3);
    assert_eq!(x["of"], 6);
    assert!(close(&x["mean"], 50.0));
    assert_eq!(v["strengths"][0]["id"], "x");
    assert_eq!(v["weaknesses"], serde_json::json!([]));
    // The table says where the line between the two is.
    let o = output(cityrank(&cache).args(["explain", tiny, "--unit", "c"]));
    assert!(
        stdout(&o)
            .contains("weaknesses (worst percentiles among the units): none (no indicator below the 50th percentile)"),
        "{}",
        stdout(&o)
    );
    // d: 40, percentile 40 → a weakness. Found by name too.
    let v = explain_json(&cache, tiny, "delta");
    assert_eq!(v["unit"]["id"], "d");
    assert_eq!(v["weaknesses"][0]["id"], "x");
    assert!(close(&v["weaknesses"][0]["percentile"], 40.0));

    let o = output(cityrank(&cache).args(["explain", tiny, "--unit", "zz"]));
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no unit `zz` in well-behaved"), "{}", stderr(&o));
}

#[test]
fn explain_las_contributions_sum_to_the_score() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // Riyadh has every value; New Cairo lacks `connected_people` (no population), so
    // its siblings carry that weight, as aggregation does.
    for unit in ["sau-riyadh", "egy-new-cairo"] {
        let v = explain_json(&cache, "methodologies/las-2024.toml", unit);
        let score = v["unit"]["score"].as_f64().unwrap();
        assert_eq!(v["additive"], true, "{unit}: {}", v["note"]);
        assert_eq!(v["aggregation"], "weighted arithmetic mean at every node");
        let nodes = v["nodes"].as_array().unwrap();
        let sum: f64 = nodes
            .iter()
            .filter(|n| n["kind"] == "indicator")
            .filter_map(|n| n["contribution"].as_f64())
            .sum();
        assert!((sum - score).abs() < 1e-9, "{unit}: {sum} vs {score}");
        // Each pillar's contribution is the sum of its indicators'.
        for pillar in ["traditional", "digital", "institutional"] {
            let own = nodes.iter().find(|n| n["id"] == pillar).unwrap()["contribution"]
                .as_f64()
                .unwrap();
            let parts: f64 = nodes
                .iter()
                .filter(|n| n["parent"] == pillar)
                .filter_map(|n| n["contribution"].as_f64())
                .sum();
            assert!((own - parts).abs() < 1e-9, "{unit} {pillar}: {own} vs {parts}");
        }
        for n in nodes {
            if let Some(p) = n["percentile"].as_f64() {
                assert!((0.0..=100.0).contains(&p), "{n}");
            }
        }
        assert!(!v["strengths"].as_array().unwrap().is_empty() || !v["weaknesses"].as_array().unwrap().is_empty());
    }
    let v = explain_json(&cache, "methodologies/las-2024.toml", "egy-new-cairo");
    let nodes = v["nodes"].as_array().unwrap();
    let missing = nodes.iter().find(|n| n["id"] == "connected_people").unwrap();
    assert!(
        missing["value"].is_null() && missing["unit_weight"].is_null(),
        "{missing}"
    );
    let sibling = nodes
        .iter()
        .find(|n| n["parent"] == missing["parent"] && n["id"] != "connected_people")
        .unwrap();
    assert!(
        sibling["unit_weight"].as_f64().unwrap() > sibling["effective_weight"].as_f64().unwrap(),
        "{sibling}"
    );

    let o = output(cityrank(&cache).args(["explain", "methodologies/las-2024.toml", "--unit", "sau-riyadh"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.starts_with("Riyadh (sau-riyadh, SAU)"), "{table}");
    assert!(table.contains("sum to the index score"), "{table}");
    assert!(table.contains("strengths"), "{table}");
}

#[test]
fn las_2024_methods_and_the_published_tiers() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let published = "../shared/data/published/published_results.csv";
    let published = if root().join(published).is_file() {
        root().join(published)
    } else {
        // Outside the workplace, the shared data may not be there.
        eprintln!("skipping the published comparison: {published} is absent");
        return;
    };
    let v = compare_json(
        &cache,
        &[
            "methodologies/las-2024.toml",
            "methodologies/las-2024.u4ssc.toml",
            "--published",
            published.to_str().unwrap(),
        ],
    );
    assert_eq!(v["kind"], "methods");
    assert_eq!(v["common_units"], 62);
    assert_eq!(v["methods"][0]["label"], "harbor-ladder");
    let p = &v["pairs"][0];
    assert_eq!(p["n"], 62);
    for key in ["spearman", "kendall"] {
        let x = p[key].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&x), "{key} {x}");
    }
    // Each method is compared with the published LAS 2024 tiers (17 cities, two tiers).
    for (i, method) in ["harbor-ladder", "u4ssc"].iter().enumerate() {
        let q = &v["published"][i];
        assert_eq!(q["method"], *method);
        assert_eq!(q["ranking"], "LAS Smart City Ranking");
        assert_eq!(q["rows"], 17);
        // The dataset was built to include every published city.
        assert_eq!(q["matched"].as_array().unwrap().len(), 17, "{}", q["unmatched"]);
        assert_eq!(q["tiers"]["n"], 17);
        let same = q["tiers"]["same"].as_u64().unwrap();
        let counts: u64 = q["tiers"]["confusion"]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().iter().map(|c| c.as_u64().unwrap()))
            .sum();
        assert_eq!(counts, 17);
        assert!(same <= 17);
        // The published labels are shares ("top 10%", "10-30%"): the method's ranks
        // are also cut at those shares. harbor-ladder's own tiers are those shares of
        // its ranking, so both comparisons agree for it.
        let by_rank = &q["tiers"]["by_rank"];
        assert_eq!(by_rank["n"], 17);
        assert_eq!(
            by_rank["confusion"]["method"],
            serde_json::json!(["top 10%", "10-30%", "beyond"])
        );
        if *method == "harbor-ladder" {
            assert_eq!(by_rank["same"], q["tiers"]["same"]);
            assert_eq!(q["tiers"]["labels_match"], true);
        }
    }
}

#[test]
fn units_matched_by_name_are_listed_in_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // 25 cities, ids `a01`… in A and `b01`… in B, the same names and countries.
    for side in ["a", "b"] {
        let mut csv = String::from("id,name,country,x\n");
        for k in 1..=25 {
            csv.push_str(&format!("{side}{k:02},City {k},C{k:02},{k}\n"));
        }
        let d = dir.path().join(side);
        std::fs::create_dir(&d).unwrap();
        write_files(
            &d,
            &[
                ("methodology.toml", &declarative_manifest(&[("", &["x"])])),
                ("dataset.toml", &dataset_description("data.csv", "", &["x"])),
                ("data.csv", &csv),
                ("edition.toml", &declarative_edition("")),
            ],
        );
    }
    let o = output(
        cityrank(&cache)
            .arg("compare")
            .arg(dir.path().join("a/edition.toml"))
            .arg(dir.path().join("b/edition.toml")),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.contains("Matched by name and country (25 units"), "{table}");
    // Listed in B's ranking order (x = k: b25 first): the first 20 (b25 … b06), the
    // other 5 (b05 … b01) counted.
    for k in 6..=25 {
        assert!(
            table.contains(&format!("b{k:02} (test-method#2)  as a{k:02}")),
            "no b{k:02} in {table}"
        );
    }
    for k in 1..=5 {
        assert!(!table.contains(&format!("as a{k:02}")), "b{k:02} listed in {table}");
    }
    assert!(table.contains("… and 5 more"), "{table}");
    assert!(
        stderr(&o).contains("note: 25 units matched by name and country"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("listed below the units"), "{}", stderr(&o));
}
