//! End to end: the 2024 LAS edition runs through the sandboxed harbor-ladder
//! plugin and produces a complete, consistent, reproducible ranking.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

fn run_las(cache: &std::path::Path, out: &std::path::Path) -> Vec<u8> {
    let o = output(
        cityrank(cache)
            .args(["run", "methodologies/las-2024.toml", "--format", "json", "--output"])
            .arg(out),
    );
    assert!(o.status.success(), "run failed: {}", stderr(&o));
    assert!(stdout(&o).is_empty(), "with --output nothing goes to stdout");
    std::fs::read(out).expect("results written")
}

#[test]
fn las_2024_ranks_every_city_consistently_and_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let first = run_las(&dir.path().join("cache"), &dir.path().join("a.json"));
    // A second run, from the compile cache this time, is byte-identical.
    let second = run_las(&dir.path().join("cache"), &dir.path().join("b.json"));
    assert!(first == second, "two runs differ");

    let results: Value = serde_json::from_slice(&first).unwrap();
    cityrank::schema::validate::<cityrank::results::Results>(&results, "results").unwrap();
    assert_eq!(results["edition"]["id"], "las-2024");
    assert_eq!(results["methodology"]["id"], "harbor-ladder");
    assert_eq!(results["methodology"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(results["dataset"]["sha256"].as_str().unwrap().len(), 64);
    let units = results["units"].as_array().unwrap();
    // The dataset's rule gives 62 cities (as many as the published edition).
    assert_eq!(units.len(), 62);
    assert_eq!(results["dataset"]["units"], 62);

    let labels = ["top 10%", "10-30%", "30-60%", "60-100%"];
    let mut previous: Option<(f64, u64)> = None;
    for (position, u) in units.iter().enumerate() {
        let score = u["score"]
            .as_f64()
            .unwrap_or_else(|| panic!("{} has no score", u["id"]));
        let rank = u["rank"].as_u64().unwrap();
        let tier = u["tier"].as_str().unwrap();
        assert!(labels.contains(&tier), "unknown tier {tier}");
        // Every framework node has a score entry (pillars, indicators, index).
        assert_eq!(u["scores"]["index"].as_f64(), Some(score));
        for pillar in ["traditional", "digital", "institutional"] {
            assert!(u["scores"][pillar].is_number(), "{} lacks {pillar}", u["id"]);
        }
        // Units come best first; a unit tied with the previous one shares its rank,
        // otherwise its rank is its 1-based position (competition ranking).
        match previous {
            Some((s, r)) if s == score => assert_eq!(rank, r),
            Some((s, _)) => {
                assert!(score < s, "not sorted by score");
                assert_eq!(rank, position as u64 + 1);
            }
            None => assert_eq!(rank, 1),
        }
        previous = Some((score, rank));
    }
    // Tiers by cumulative share of 62 units: cut-offs round(6.2)=6, round(18.6)=19,
    // round(37.2)=37 (ties at a cut-off go to the better tier).
    let tier_of_rank = |r: u64| {
        if r <= 6 {
            0
        } else if r <= 19 {
            1
        } else if r <= 37 {
            2
        } else {
            3
        }
    };
    for u in units {
        assert_eq!(
            u["tier"],
            labels[tier_of_rank(u["rank"].as_u64().unwrap())],
            "{}",
            u["id"]
        );
    }
    // Indicator scores are ladder points rescaled to 0–100 (rungs 1–4 → 25 … 100).
    let allowed = [0.0, 25.0, 50.0, 75.0, 100.0];
    for u in units {
        let v = u["scores"]["internet_use"].as_f64().unwrap();
        assert!(allowed.contains(&v), "internet_use {v} is not a rescaled ladder point");
    }
    // New Cairo has no population in the data: its population-based indicator is
    // missing and reported, not invented.
    assert_eq!(
        results["missing"]["egy-new-cairo"],
        serde_json::json!(["connected_people"])
    );
}

#[test]
fn table_and_csv_formats() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args(["run", "methodologies/las-2024.toml"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    assert!(table.lines().nth(1).unwrap().starts_with("rank  tier"), "{table}");
    assert!(
        table.contains("tiers — top 10%: 6, 10-30%: 13, 30-60%: 18, 60-100%: 25"),
        "{table}"
    );

    let o = output(cityrank(dir.path()).args(["run", "methodologies/las-2024.toml", "--format", "csv"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("rank,tier,id,name,country,score,index,"), "{header}");
    assert_eq!(csv.lines().count(), 63);
}

#[test]
fn inspect_validate_and_build() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args(["inspect", "plugins/harbor-ladder"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    // The tree: pillar weights 0.35/0.40/0.25 (sum 1), and ladders with their points.
    assert!(
        text.contains("traditional — Traditional infrastructure  weight 0.35 (effective 0.3500)"),
        "{text}"
    );
    assert!(text.contains("4 pt  x ≥ 300  global hub (≥ 300)"), "{text}");

    let o = output(cityrank(dir.path()).args(["validate", "plugins/harbor-ladder"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("ok: methodology harbor-ladder v0.1.0"), "{text}");
    // A manifest without code: its 16 indicators are dataset variables or formulas.
    assert!(
        text.contains("1 index, 3 nodes, 16 indicators (14 from a variable, 2 by formula, 0 by code), depth 2"),
        "{text}"
    );
    assert!(text.contains("(declarative, sha256 "), "{text}");
    let o = output(cityrank(dir.path()).args(["build", "plugins/harbor-ladder"]));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("is a declarative manifest: it has no code to build"),
        "{}",
        stderr(&o)
    );

    let o = output(cityrank(dir.path()).args(["build", "plugins/u4ssc"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("u4ssc.component.wasm"));
}

/// Reads one column of a stage CSV written by `--stages`.
fn stage_column(dir: &std::path::Path, stage: &str, column: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join(format!("{stage}.csv"))).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let c = header.iter().position(|h| *h == column).unwrap();
    lines
        .map(|l| l.split(',').nth(c).unwrap().parse::<f64>().unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn plugin_supplied_steps_run_in_the_sandbox() {
    // plugins/custom-steps normalises with its own `log-min-max`:
    // y = (ln(1 + x) − min)/(max − min) · 100 over the treated values.
    let dir = tempfile::tempdir().unwrap();
    let stages = dir.path().join("stages");
    let o = output(
        cityrank(&dir.path().join("cache"))
            .args([
                "run",
                "methodologies/las-2024.custom-steps.toml",
                "--format",
                "json",
                "--stages",
            ])
            .arg(&stages),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let treated = stage_column(&stages, "treated", "air");
    let normalised = stage_column(&stages, "normalised", "air");
    let logs: Vec<f64> = treated.iter().map(|v| (1.0 + v).ln()).collect();
    let (lo, hi) = logs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    for (l, y) in logs.iter().zip(&normalised) {
        let expected = (l - lo) / (hi - lo) * 100.0;
        assert!((expected - y).abs() < 1e-9, "{expected} vs {y}");
    }
    // Two plugin calls per run for the steps (treat, normalise) plus manifest and derive.
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["usage"]["calls"], 4);
}

#[test]
fn ranks_within_groups() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args([
        "run",
        "methodologies/las-2024.toml",
        "--variant",
        "by-region",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let units = r["units"].as_array().unwrap();
    let mut regions: std::collections::BTreeMap<String, Vec<(f64, u64)>> = Default::default();
    for u in units {
        let region = u["group"].as_str().unwrap().to_string();
        regions
            .entry(region)
            .or_default()
            .push((u["score"].as_f64().unwrap(), u["group_rank"].as_u64().unwrap()));
    }
    assert_eq!(
        regions.keys().map(String::as_str).collect::<Vec<_>>(),
        ["africa", "asia"]
    );
    // The table and the CSV show them too (they were in the JSON and the workbook only).
    let o = output(cityrank(dir.path()).args(["run", "methodologies/las-2024.toml@by-region", "--format", "csv"]));
    assert!(
        stdout(&o).starts_with("rank,tier,group,group rank,id,name,"),
        "{}",
        stdout(&o)
    );
    let o = output(cityrank(dir.path()).args(["run", "methodologies/las-2024.toml@by-region"]));
    let header = stdout(&o).lines().nth(1).unwrap().to_string();
    assert!(
        header.contains(" group ") && header.contains(" group rank  city"),
        "{header}"
    );
    for (region, mut members) in regions {
        // Competition ranks among the region's own cities: sorted by score, a city
        // tied with the previous one shares its rank, else its rank is its position.
        members.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (i, &(score, rank)) in members.iter().enumerate() {
            let expected = if i > 0 && members[i - 1].0 == score {
                members[i - 1].1
            } else {
                i as u64 + 1
            };
            assert_eq!(rank, expected, "{region}: position {i}");
        }
    }
}

/// A group column to rank within that the dataset does not have is found by
/// `validate` (every variant is checked, before any run), named with the closest
/// column; `run` refuses it with the same words.
#[test]
fn ranks_within_an_unknown_group_column_are_refused_with_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    let edition = edition_copy(
        dir.path(),
        "methodologies/las-2024.toml",
        "[variants.by-regon]\ndescription = \"a typo\"\npipeline = { rank = { rule = \"dense\", within = \"regon\" } }\n",
    );
    let expected = "(variant `by-regon`): pipeline.rank.within: `regon` is not a group column of dataset `las-2024` \
                    (its group columns: region); did you mean `region`?";
    let o = output(cityrank(dir.path()).arg("validate").arg(&edition));
    assert!(!o.status.success());
    assert!(stderr(&o).contains(expected), "{}", stderr(&o));
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(format!("{}@by-regon", edition.display())),
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("pipeline.rank.within: `regon` is not a group column"),
        "{}",
        stderr(&o)
    );
}

/// Every problem of a variant is one problem of `validate`'s list, at its place,
/// counted (a variant's own list was nested under a "1 problem" header); a
/// variant's denominators without a denomination step would change nothing and
/// are refused (they were silently ignored).
#[test]
fn validate_lists_every_problem_of_a_variant() {
    let dir = tempfile::tempdir().unwrap();
    let edition = edition_copy(
        dir.path(),
        "methodologies/las-2024.toml",
        "[variants.typos]\nskip = [\"treet\"]\nweights = { nope = 1.0 }\ndenominate = { rapid = \"population_k\" }\n",
    );
    let text = std::fs::read_to_string(&edition).unwrap();
    let line = |start: &str| text.lines().position(|l| l.starts_with(start)).unwrap() + 1;
    let (skip, weights, denominate) = (line("skip = "), line("weights = { nope"), line("denominate = "));
    let o = output(cityrank(dir.path()).arg("validate").arg(&edition));
    assert!(!o.status.success());
    let err = stderr(&o);
    let file = edition.display();
    assert!(err.contains(&format!("{file}: 4 problems:\n")), "{err}");
    assert!(!err.contains("1 problem"), "{err}");
    // Each at its value: `skip = ` is 7 characters, `weights = { nope = ` 19,
    // `denominate = { rapid = ` 23, `denominate = ` 13.
    for expected in [
        format!("{file}:{skip}:8: variants.typos.skip: `treet` cannot be skipped"),
        format!("{file}:{weights}:20: variants.typos.weights.nope: no node or indicator `nope`"),
        format!("{file}:{denominate}:24: variants.typos.denominate.rapid: no indicator `rapid`"),
        format!(
            "{file}:{denominate}:14: variants.typos.denominate: the variant changes denominators, but methodology \
             `harbor-ladder` has no denomination step, so they would change nothing; add `pipeline = {{ denominate \
             = {{}} }}` to the variant"
        ),
    ] {
        assert!(err.contains(&expected), "missing `{expected}` in {err}");
    }
}

/// `validate` finds optimised weights of a level the framework does not have
/// before any run (it was found only by `run`): LAS's index is level 3 (its
/// indicators 1, its pillars 2), so the levels below it are 1 and 2.
#[test]
fn validate_checks_the_level_of_optimised_weights() {
    let dir = tempfile::tempdir().unwrap();
    let edition = edition_copy(
        dir.path(),
        "methodologies/las-2024.toml",
        "[variants.deep]\npipeline = { weights = { method = \"optimised\", level = 3 } }\n",
    );
    let o = output(cityrank(dir.path()).arg("validate").arg(&edition));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains(
            "(variant `deep`): pipeline.weights.level: 3 is not a level below the index's; the levels are counted \
             from the indicators (1) upward, and `index` is level 3, so give 1 to 2"
        ),
        "{}",
        stderr(&o)
    );
}

/// The ranking table says which units it does not list because screening removed
/// them: COINr's example purse screens out BGD, BRN, KHM, LAO and MMR in each of
/// its five years (tests/fixtures/coinr/more/g_purse_Screened.csv), 46 of 51 ranked.
#[test]
fn the_table_names_the_units_screened_out() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args(["run", "methodologies/asem-2018-panel.toml"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let line = table
        .lines()
        .find(|l| l.starts_with("screened out — "))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        line.starts_with("screened out — 25 rows (unit × year) of 5 units not ranked: `BGD@2018` ("),
        "{line}"
    );
    assert!(
        line.contains(" and 17 more (see `screened_out` in --format json)"),
        "{line}"
    );
}

/// Outlier treatment that changes a ladder-scored indicator before its rungs (in
/// the indicator's own units) score it is warned about, with the variant table
/// that leaves it untreated; with that table, no warning (a new user's log
/// treatment of LAS moved Dubai from 83.12 to 67.58 without a word).
#[test]
fn treating_a_ladder_indicator_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let edition = edition_copy(
        dir.path(),
        "methodologies/las-2024.toml",
        "[variants.logged]\npipeline = { treat = { method = \"coinr\", winmax = 0 } }\n",
    );
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(format!("{}@logged", edition.display())),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let warning = err
        .lines()
        .find(|l| l.contains("are scored on ladders whose rungs are in their own units, but outlier treatment"))
        .unwrap_or_else(|| panic!("no ladder warning in {err}"));
    assert!(warning.contains("`air_connectivity`"), "{warning}");
    // The fix it gives, as a variant table, silences it.
    let fix = warning
        .split("leave them untreated: `")
        .nth(1)
        .and_then(|rest| rest.split("` in the variant").next())
        .unwrap();
    let edition = edition_copy(
        dir.path(),
        "methodologies/las-2024.toml",
        &format!("[variants.logged]\npipeline = {{ treat = {{ method = \"coinr\", winmax = 0 }} }}\n{fix}\n"),
    );
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(format!("{}@logged", edition.display())),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("scored on ladders"), "{}", stderr(&o));
}

/// `validate` checks the sensitivity analysis as declared, without a build: a
/// noise level the framework does not have is found there, at its place, with
/// the levels it has (it passed `validate` and failed `cityrank sensitivity`).
#[test]
fn validate_checks_the_sensitivity_design() {
    let dir = tempfile::tempdir().unwrap();
    let edition = edition_copy(
        dir.path(),
        "methodologies/las-2024.toml",
        "[[sensitivity.inputs]]\nname = \"deep\"\nweight_noise = { levels = [7], factor = 0.25 }\n",
    );
    let lines = std::fs::read_to_string(&edition).unwrap().lines().count();
    let o = output(cityrank(dir.path()).arg("validate").arg(&edition));
    assert!(!o.status.success());
    // The appended input's `weight_noise` is the file's last line; `levels` is its
    // first key, the array at column 27 (`weight_noise = { levels = ` is 26 characters);
    // the input is named by its name.
    let expected = format!(
        "{}:{lines}:27: sensitivity: input `deep`: weight_noise.levels: no node is at levels [7]; this framework's \
         weights are at levels 1 (indicators) to 2 (the index's children)",
        edition.display()
    );
    assert!(stderr(&o).contains(&expected), "missing `{expected}` in {}", stderr(&o));
}

/// The peer-ratings methodology rates each HDI group on its own part of the AAA–D
/// scale, as IMD does (2023 report: highest group AAA–BB, second A–CCC, third BB–C,
/// lowest CCC–D), in equal shares of the group.
#[test]
fn peer_ratings_use_each_groups_own_scale() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(&dir.path().join("cache")).args([
        "run",
        "methodologies/las-2024.peer-ratings.toml",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "run failed: {}", stderr(&o));
    let results: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let scales: [(&str, &[&str]); 4] = [
        ("HDI group 1 (highest quartile)", &["AAA", "AA", "A", "BBB", "BB"]),
        ("HDI group 2", &["A", "BBB", "BB", "B", "CCC"]),
        ("HDI group 3", &["BB", "B", "CCC", "CC", "C"]),
        ("HDI group 4 (lowest quartile)", &["CCC", "CC", "C", "D"]),
    ];
    let units = results["units"].as_array().unwrap();
    for (group, scale) in scales {
        // Members best first (units come sorted by score).
        let members: Vec<(f64, &str)> = units
            .iter()
            .filter(|u| u["peer_group"] == group)
            .map(|u| (u["score"].as_f64().unwrap(), u["tier"].as_str().unwrap()))
            .collect();
        assert!(!members.is_empty(), "no city in {group}");
        let position = |t: &str| scale.iter().position(|s| *s == t);
        for pair in members.windows(2) {
            let (a, b) = (position(pair[0].1), position(pair[1].1));
            assert!(
                a.is_some() && b.is_some(),
                "{group}: rating outside {scale:?}: {pair:?}"
            );
            // A lower score never gets a better rating; equal scores share one.
            assert!(a <= b && (pair[0].0 != pair[1].0 || a == b), "{group}: {pair:?}");
        }
        // Both ends of the scale are used.
        assert_eq!(members[0].1, scale[0], "{group}");
        assert_eq!(members[members.len() - 1].1, *scale.last().unwrap(), "{group}");
        if group.starts_with("HDI group 1") {
            // 16 cities with distinct scores, five ratings of a fifth each: cut-offs
            // at ranks round(3.2) = 3, round(6.4) = 6, round(9.6) = 10,
            // round(12.8) = 13 and 16, so 3, 3, 4, 3 and 3 cities.
            let count = |t: &str| members.iter().filter(|m| m.1 == t).count();
            assert_eq!(members.len(), 16);
            assert_eq!(scale.iter().map(|t| count(t)).collect::<Vec<_>>(), [3, 3, 4, 3, 3]);
        }
    }
}

/// An edition that replaces the tiers of a methodology with per-group scales must
/// say what becomes of the scales: it is told so, and `peer_scales = []` rates every
/// group on the new list.
#[test]
fn replaced_tiers_and_peer_scales() {
    let dir = tempfile::tempdir().unwrap();
    let root = root();
    let edition = |extra: &str| {
        format!(
            "schema_version = 1\nid = \"x\"\nname = \"x\"\nyear = 2024\nmethodology = \"{}\"\ndataset = \"{}\"\n{extra}\
             tiers = [{{ label = \"top quarter\", upper_share = 0.25 }}, {{ label = \"rest\", upper_share = 1.0 }}]\n",
            root.join("plugins/peer-ratings").display(),
            root.join("methodologies/data/las-2024/dataset.toml").display()
        )
    };
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    std::fs::write(&a, edition("")).unwrap();
    std::fs::write(&b, edition("peer_scales = []\n")).unwrap();
    let o = output(cityrank(&dir.path().join("cache")).arg("run").arg(&a));
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("a.toml: peer_groups.scales[0][0]: no tier `CCC`") && e.contains("peer_scales = []"),
        "{e}"
    );
    let o = output(
        cityrank(&dir.path().join("cache"))
            .args(["run", "--format", "json"])
            .arg(&b),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let results: Value = serde_json::from_str(&stdout(&o)).unwrap();
    // Every group now has a top quarter: 16 cities in the highest group → round(4) = 4.
    let top = results["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["peer_group"] == "HDI group 1 (highest quartile)" && u["tier"] == "top quarter")
        .count();
    assert_eq!(top, 4);
}

#[test]
fn a_unit_ranked_without_a_whole_pillar_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    // Pillars econ (e1, e2, e3) and soc (s1), weight 1 each: effective weights
    // e1–e3 1/6 each, s1 1/2. d has no econ value; e has e1 only (1/3 of econ's
    // weight, below min_share 0.5).
    write_files(
        dir.path(),
        &[
            (
                "methodology.toml",
                &declarative_manifest(&[("econ", &["e1", "e2", "e3"]), ("soc", &["s1"])]),
            ),
            (
                "dataset.toml",
                &dataset_description("data.csv", "", &["e1", "e2", "e3", "s1"]),
            ),
            (
                "data.csv",
                "id,name,country,e1,e2,e3,s1\na,Alpha,AAA,1,1,1,0\nb,Beta,BBB,2,2,2,1\nc,Gamma,CCC,3,3,3,2\n\
                 d,Delta,DDD,,,,4\ne,Epsilon,EEE,3,,,0\n",
            ),
            ("edition.toml", &declarative_edition("")),
        ],
    );
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("run")
            .arg(dir.path().join("edition.toml")),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Min-max: s1 over 0..4 → a 0, b 25, c 50, d 100, e 0; e1 over 1..3 → a 0, b 50,
    // c 100, e 100 (e2, e3 alike without e). econ: a 0, b 50, c 100, d and e none.
    // Index (econ, soc equally): a 0, b 37.5, c 75; d and e on soc alone (half the
    // weight, enough for min_share 0.5): d 100, e 0. Ranks: d 1, c 2, b 3, a and e 4.
    let err = stderr(&o);
    assert!(
        err.contains(
            "warning: unit `d` (Delta) has no score for `econ` (Pillar econ: none of its indicators has a value), \
             so the index rests on `soc` alone: its score 100.00 (rank 1 of 5) rests on indicators carrying 50% of \
             the index's weight"
        ),
        "{err}"
    );
    // e's values: e1 (1/6) and s1 (1/2) = 2/3 = 66.7%.
    assert!(
        err.contains(
            "warning: unit `e` (Epsilon) has no score for `econ` (Pillar econ: its parts with a value carry less \
             than the missing-value policy's min_share 0.5 of its weight), so the index rests on `soc` alone: its \
             score 0.00 (rank 4 of 5) rests on indicators carrying 66.7% of the index's weight"
        ),
        "{err}"
    );
    let table = stdout(&o);
    assert!(
        table.contains(
            "without a node — 2 units ranked with no score for a whole node: `d` (no `econ`), `e` (no `econ`)"
        ),
        "{table}"
    );
    // The appendix lists them with the run's warnings.
    let o = output(
        cityrank(&dir.path().join("cache"))
            .arg("document")
            .arg(dir.path().join("edition.toml")),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("## Warnings of the run\n\n- unit `d` (Delta) has no score for `econ`"),
        "{}",
        stdout(&o)
    );
}

/// The field case `ties-float` (../shared/cases/field/ties-float, from public bug
/// reports): A–D hold 0.1, 0.2, 0.3 in different orders, so with equal weights and
/// no normalisation each scores 0.2 in exact arithmetic and all four share rank 1
/// (by hand: competition ranks 1, 1, 1, 1, 5; the top half holds the four). Before,
/// the sums' last bits ranked them 1, 1, 3, 3, 5.
#[test]
fn mathematically_equal_scores_share_their_rank() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("methodology.toml", &declarative_manifest(&[("", &["x1", "x2", "x3"])])),
            (
                "dataset.toml",
                &dataset_description("units.csv", "", &["x1", "x2", "x3"]),
            ),
            (
                "units.csv",
                "id,name,country,x1,x2,x3\na,A,X,0.1,0.2,0.3\nb,B,X,0.3,0.1,0.2\nc,C,X,0.2,0.3,0.1\n\
                 d,D,X,0.3,0.2,0.1\ne,E,X,0.0,0.0,0.0\n",
            ),
            (
                "edition.toml",
                &declarative_edition("[variants.raw]\npipeline = { normalise = { method = \"none\" } }"),
            ),
        ],
    );
    let edition = dir.path().join("edition.toml");
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(&edition)
            .args(["--variant", "raw", "--format", "json"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ranks: Vec<(String, u64, String)> = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["rank"].as_u64().unwrap(),
                u["tier"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String)> = [
        ("a", 1, "top"),
        ("b", 1, "top"),
        ("c", 1, "top"),
        ("d", 1, "top"),
        ("e", 5, "bottom"),
    ]
    .iter()
    .map(|(id, r, t)| (id.to_string(), *r, t.to_string()))
    .collect();
    assert_eq!(ranks, expected);
}

/// Writes an edition of three indicators x1–x3 under the index on `csv`, with
/// `variants` (TOML lines), and returns the edition file.
/// The weight of node `id` in a results document's framework.
fn framework_weight(results: &Value, id: &str) -> f64 {
    results["framework"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap()["weight"]
        .as_f64()
        .unwrap()
}

fn three_indicators(dir: &std::path::Path, csv: &str, variants: &str) -> std::path::PathBuf {
    write_files(
        dir,
        &[
            ("methodology.toml", &declarative_manifest(&[("", &["x1", "x2", "x3"])])),
            (
                "dataset.toml",
                &dataset_description("units.csv", "", &["x1", "x2", "x3"]),
            ),
            ("units.csv", csv),
            ("edition.toml", &declarative_edition(variants)),
        ],
    );
    dir.join("edition.toml")
}

/// The field case `optweights-constant` (COINr issue #5): optimised weights with a
/// constant child returned the optimiser's start (1/3 each) as the optimum,
/// silently. Now refused, naming the node and the child; without it the weights
/// move to the balance point, 0.4932 / 0.5068 by scipy's brentq on the case's
/// `expected.py` (Nelder–Mead at its default tolerance stops within 0.01 of it).
#[test]
fn optimised_weights_refuse_a_constant_child() {
    let dir = tempfile::tempdir().unwrap();
    let edition = three_indicators(
        dir.path(),
        "id,name,country,x1,x2,x3\na,A,X,1,10,5\nb,B,X,2,30,5\nc,C,X,4,20,5\nd,D,X,8,40,5\n",
        "[variants.opt]\npipeline = { weights = { method = \"optimised\" } }\n\
         [variants.opt-drop-x3]\npipeline = { weights = { method = \"optimised\" } }\ndrop = [\"x3\"]\n",
    );
    let o = output(cityrank(dir.path()).arg("run").arg(&edition).args(["--variant", "opt"]));
    assert!(!o.status.success() && o.stdout.is_empty());
    let e = stderr(&o);
    assert!(
        e.contains("optimised weights of `index`: `x3` is constant over the units") && e.contains("drop = [\"x3\"]"),
        "{e}"
    );
    let o =
        output(
            cityrank(dir.path())
                .arg("run")
                .arg(&edition)
                .args(["--variant", "opt-drop-x3", "--format", "json"]),
        );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let weight = |id: &str| framework_weight(&r, id);
    assert!((weight("x1") - 0.4932).abs() < 0.01, "{}", weight("x1"));
    assert!((weight("x2") - 0.5068).abs() < 0.01, "{}", weight("x2"));

    // COINr #5's own data (6 units, x3 = 0 for all): optimised and PCA weights
    // both name the constant child.
    let coinr5 = tempfile::tempdir().unwrap();
    let edition = three_indicators(
        coinr5.path(),
        "id,name,country,x1,x2,x3\np1,PDGFRA_1,X,0,1,0\np2,PDGFRA_2,X,1,0,0\nr3,RPL22_3,X,0,0,0\n\
         e4,ENO1_4,X,0,0,0\nm5,MACF1_5,X,0,0,0\ny6,YBX1_6,X,0,0,0\n",
        "[variants.opt]\npipeline = { weights = { method = \"optimised\" } }\n\
         [variants.pca]\npipeline = { weights = { method = \"pca\" } }\n",
    );
    for (variant, method) in [("opt", "optimised weights"), ("pca", "PCA weights")] {
        let o = output(
            cityrank(coinr5.path())
                .arg("run")
                .arg(&edition)
                .args(["--variant", variant]),
        );
        assert!(!o.status.success() && o.stdout.is_empty(), "{variant}");
        let e = stderr(&o);
        assert!(
            e.contains(&format!("{method} of `index`")) && e.contains("`x3`") && e.contains("constant"),
            "{variant}: {e}"
        );
    }
}

/// The field case `pca-negative-loading`: x1 and x2 rise together, x3 falls. Raw
/// PCA loadings failed at aggregation ("expected finite, non-negative weights"),
/// naming neither PCA nor x3; squared loadings hid the sign. By numpy
/// (`np.linalg.eigh` of the correlation matrix): the first component is
/// (0.5776, 0.5647, −0.5895), squared (0.3336, 0.3188, 0.3475).
#[test]
fn pca_weights_name_a_child_that_loads_against_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let edition = three_indicators(
        dir.path(),
        "id,name,country,x1,x2,x3\nu1,U1,X,1,2,6\nu2,U2,X,2,1,5\nu3,U3,X,3,4,4\nu4,U4,X,4,3,3\nu5,U5,X,5,6,1\n\
         u6,U6,X,6,5,2\n",
        "[variants.pca]\npipeline = { weights = { method = \"pca\" } }\n\
         [variants.pca-loadings]\npipeline = { weights = { method = \"pca\", loadings = true } }\n",
    );
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(&edition)
            .args(["--variant", "pca-loadings"]),
    );
    assert!(!o.status.success() && o.stdout.is_empty());
    let e = stderr(&o);
    assert!(
        e.contains(
            "PCA weights of `index`: `x3` (-0.59) loads negatively on the first principal component of `index` \
             while `x1`, `x2` load positively; check its direction"
        ),
        "{e}"
    );
    // Squared loadings run, and say what they hide, in the results and on stderr.
    let o = output(
        cityrank(dir.path())
            .arg("run")
            .arg(&edition)
            .args(["--variant", "pca", "--format", "json"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let note = "`x3` (-0.59) loads negatively on the first principal component of `index`";
    assert!(stderr(&o).contains(note), "{}", stderr(&o));
    assert!(
        r["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains(note)),
        "{}",
        r["warnings"]
    );
    let weight = |id: &str| framework_weight(&r, id);
    for (id, want) in [("x1", 0.33364156), ("x2", 0.31884673), ("x3", 0.34751171)] {
        assert!((weight(id) - want).abs() < 1e-7, "{id}: {}", weight(id));
    }

    // Data whose indicators all rise together: raw loadings run, and the weights
    // are the first component's entries, by numpy: (0.63393347, 0.53757326, 0.5560066).
    let positive = tempfile::tempdir().unwrap();
    let edition = three_indicators(
        positive.path(),
        "id,name,country,x1,x2,x3\nu1,U1,X,1,2,1\nu2,U2,X,2,1,3\nu3,U3,X,3,4,2\nu4,U4,X,4,3,5\nu5,U5,X,5,6,4\n\
         u6,U6,X,6,5,6\n",
        "[variants.pca-loadings]\npipeline = { weights = { method = \"pca\", loadings = true } }\n",
    );
    let o = output(cityrank(positive.path()).arg("run").arg(&edition).args([
        "--variant",
        "pca-loadings",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let weights: Vec<f64> = ["x1", "x2", "x3"].iter().map(|id| framework_weight(&r, id)).collect();
    // Compared as shares, whichever scale the framework reports them on.
    let total: f64 = weights.iter().sum();
    let pc1 = [0.63393347, 0.53757326, 0.5560066];
    let pc1_total: f64 = pc1.iter().sum();
    for (w, p) in weights.iter().zip(pc1) {
        assert!((w / total - p / pc1_total).abs() < 1e-7, "{weights:?}");
    }
}

/// A variable an indicator takes as it is (`from`) is moved into it rather than
/// copied; the run is the same, and a formula that misspells it is still told
/// the name it meant.
#[test]
fn variables_taken_as_they_are_are_still_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = declarative_manifest(&[("", &["population", "gdp"])])
        .replace("from = \"gdp\"", "formula = \"gdp / populaton\"");
    write_files(
        dir.path(),
        &[
            ("methodology.toml", &manifest),
            (
                "dataset.toml",
                &dataset_description("units.csv", "", &["population", "gdp"]),
            ),
            (
                "units.csv",
                "id,name,country,population,gdp\na,A,X,10,100\nb,B,X,20,150\nc,C,X,40,160\n",
            ),
            ("edition.toml", &declarative_edition("")),
        ],
    );
    let o = output(cityrank(dir.path()).arg("run").arg(dir.path().join("edition.toml")));
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("no variable `populaton`") && e.contains("did you mean `population`?"),
        "{e}"
    );
}
