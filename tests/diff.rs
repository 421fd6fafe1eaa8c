//! `cityrank diff`: the differences between two editions, each with its Shapley
//! share of the rank change. The totals are checked against the two runs' own
//! results (re-ranked here, independently of cityrank's code), and the shares
//! against the Shapley formula written out for two differences.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

fn json(cache: &std::path::Path, args: &[&str]) -> Value {
    let o = output(cityrank(cache).args(args));
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Mean |Δrank| between two runs, both re-ranked among the units both rank.
fn mean_shift(a: &Value, b: &Value) -> f64 {
    let ranks = |v: &Value| -> BTreeMap<String, u64> {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|u| Some((u["id"].as_str()?.to_string(), u["rank"].as_u64()?)))
            .collect()
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let both: Vec<(u64, u64)> = ra.iter().filter_map(|(id, r)| Some((*r, *rb.get(id)?))).collect();
    let rerank = |x: Vec<u64>| -> Vec<u64> {
        x.iter()
            .map(|r| 1 + x.iter().filter(|o| *o < r).count() as u64)
            .collect()
    };
    let xa = rerank(both.iter().map(|p| p.0).collect());
    let xb = rerank(both.iter().map(|p| p.1).collect());
    xa.iter().zip(&xb).map(|(p, q)| p.abs_diff(*q) as f64).sum::<f64>() / both.len() as f64
}

#[test]
fn two_differences_get_their_shapley_shares() {
    let cache = tempfile::tempdir().unwrap();
    let (a, b) = (
        "methodologies/asem-2018.toml@zscore",
        "methodologies/asem-2018.toml@geometric",
    );
    let d = json(cache.path(), &["diff", a, b, "--format", "json"]);
    assert_eq!(d["attribution"], "exact");
    let diffs = d["differences"].as_array().unwrap();
    let parts: Vec<&str> = diffs.iter().map(|x| x["part"].as_str().unwrap()).collect();
    assert_eq!(diffs.len(), 2, "{parts:?}");
    assert!(
        parts.contains(&"normalise") && parts.contains(&"aggregate"),
        "{parts:?}"
    );
    // The total is the two runs' own shift.
    let total = mean_shift(
        &json(cache.path(), &["run", a, "--format", "json"]),
        &json(cache.path(), &["run", b, "--format", "json"]),
    );
    let reported = d["total_mean_abs_rank_shift"].as_f64().unwrap();
    assert!((reported - total).abs() < 1e-12, "{reported} vs {total}");
    // Shapley with two players: φ₁ = ½[v({1}) + v({1,2}) − v({2})].
    let alone: Vec<f64> = diffs
        .iter()
        .map(|x| x["alone_mean_abs_rank_shift"].as_f64().unwrap())
        .collect();
    for (i, x) in diffs.iter().enumerate() {
        let expected = 0.5 * (alone[i] + total - alone[1 - i]);
        let share = x["share"].as_f64().unwrap();
        assert!((share - expected).abs() < 1e-12, "{}: {share} vs {expected}", x["part"]);
    }
    // Alone, the normalisation is A with B's min-max onto 1–100 and arithmetic
    // means, which ranks as the edition itself (min-max onto 0–100: an affine change
    // of every indicator).
    let nominal = json(
        cache.path(),
        &["run", "methodologies/asem-2018.toml", "--format", "json"],
    );
    let normalise = diffs.iter().find(|x| x["part"] == "normalise").unwrap();
    let alone_shift = mean_shift(&json(cache.path(), &["run", a, "--format", "json"]), &nominal);
    assert!((normalise["alone_mean_abs_rank_shift"].as_f64().unwrap() - alone_shift).abs() < 1e-12);
}

#[test]
fn data_and_many_differences_add_up_to_the_total() {
    let cache = tempfile::tempdir().unwrap();
    // Another year's data: one difference, all of the change.
    let (a, b) = ("methodologies/las-2024.toml@year-2022", "methodologies/las-2024.toml");
    let d = json(cache.path(), &["diff", a, b, "--format", "json"]);
    let diffs = d["differences"].as_array().unwrap();
    assert_eq!(diffs.len(), 1);
    assert_eq!(diffs[0]["kind"], "data");
    assert!(
        diffs[0]["detail"]
            .as_str()
            .unwrap()
            .contains("panel years [2022] → all"),
        "{}",
        diffs[0]
    );
    let total = mean_shift(
        &json(cache.path(), &["run", a, "--format", "json"]),
        &json(cache.path(), &["run", b, "--format", "json"]),
    );
    assert!((d["total_mean_abs_rank_shift"].as_f64().unwrap() - total).abs() < 1e-12);
    assert!((diffs[0]["share"].as_f64().unwrap() - total).abs() < 1e-12);
    // Two methodologies: the shares add up to the total (Shapley's efficiency).
    let (a, b) = (
        "methodologies/las-2024.toml",
        "methodologies/las-2024.global-cities.toml",
    );
    let d = json(cache.path(), &["diff", a, b, "--format", "json"]);
    let sum: f64 = d["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["share"].as_f64().unwrap())
        .sum();
    let total = mean_shift(
        &json(cache.path(), &["run", a, "--format", "json"]),
        &json(cache.path(), &["run", b, "--format", "json"]),
    );
    assert!((sum - total).abs() < 1e-9, "{sum} vs {total}");
    // The table says how the shares were computed.
    let o = output(cityrank(cache.path()).args(["diff", a, b]));
    assert!(stdout(&o).contains("Shapley values over every order"), "{}", stdout(&o));
}

#[test]
fn units_under_other_ids_are_matched_by_name_as_compare_matches_them() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    // The same three cities, under other ids in B (and in another order), with x
    // reversed: A ranks Lagos 1, Accra 2, Nairobi 3; B ranks Nairobi 1, Accra 2,
    // Lagos 3. Shifts −2, 0, +2: mean |Δrank| 4/3. Values that differ: Lagos 3 → 1
    // and Nairobi 1 → 3, Accra 2 = 2.
    for (side, csv) in [
        (
            "a",
            "id,name,country,x\nng-lagos,Lagos,NGA,3\ngh-accra,Accra,GHA,2\nke-nairobi,Nairobi,KEN,1\n",
        ),
        (
            "b",
            "id,name,country,x\nken-nairobi,Nairobi,KEN,3\nnga-lagos,Lagos,NGA,1\ngha-accra,Accra,GHA,2\n",
        ),
    ] {
        let d = dir.path().join(side);
        std::fs::create_dir(&d).unwrap();
        write_files(
            &d,
            &[
                ("methodology.toml", &declarative_manifest(&[("", &["x"])])),
                ("dataset.toml", &dataset_description("data.csv", "", &["x"])),
                ("data.csv", csv),
                ("edition.toml", &declarative_edition("")),
            ],
        );
    }
    let (a, b) = (dir.path().join("a/edition.toml"), dir.path().join("b/edition.toml"));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let d = json(&cache, &["diff", a, b, "--format", "json"]);
    assert_eq!(d["common_units"], 3, "{d}");
    assert!(
        (d["total_mean_abs_rank_shift"].as_f64().unwrap() - 4.0 / 3.0).abs() < 1e-12,
        "{d}"
    );
    let detail = d["differences"][0]["detail"].as_str().unwrap();
    assert!(detail.ends_with("2 values differ, 0 rows added, 0 removed"), "{detail}");
    let matched: Vec<(&str, &str)> = d["matched_by_name"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), m["as_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        matched,
        [
            ("ken-nairobi", "ke-nairobi"),
            ("nga-lagos", "ng-lagos"),
            ("gha-accra", "gh-accra")
        ]
    );
    // The table lists them.
    let o = output(cityrank(&cache).args(["diff", a, b]));
    let table = stdout(&o);
    assert!(
        table.contains("Matched by name and country (3 units: the ids differ; each is compared under the first id)"),
        "{table}"
    );
    assert!(table.contains("nga-lagos ("), "{table}");
    assert!(table.contains("as ng-lagos"), "{table}");
}
