//! `cityrank analyse` end to end on the ASEM 2018 edition: the figures are checked
//! against computations written out in this file from the `--stages` tables of
//! `cityrank run` (Pearson, Spearman and Kendall by their definitions, Cronbach's
//! alpha by the textbook formula), and the PCA against its own identities. Also the
//! panel edition (`las-2024.peer-ratings.toml@three-year`): results count units,
//! not rows, and the analysis says its observations are panel rows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

const EDITION: &str = "methodologies/asem-2018.toml";
const TOL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * b.abs().max(1.0)
}

/// Runs cityrank with `args` and returns standard output; fails the test on error.
fn ok(cache: &Path, args: &[&str]) -> String {
    let o = output(cityrank(cache).args(args));
    assert!(o.status.success(), "cityrank {args:?} failed: {}", stderr(&o));
    stdout(&o)
}

/// A stage CSV: column name → values in row order (empty cell = NaN).
fn read_stage(path: &Path) -> BTreeMap<String, Vec<f64>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(header[0], "id");
    let mut columns: BTreeMap<String, Vec<f64>> = header[1..].iter().map(|h| (h.clone(), Vec::new())).collect();
    for record in reader.records() {
        let record = record.unwrap();
        for (h, cell) in header[1..].iter().zip(record.iter().skip(1)) {
            let v = if cell.is_empty() {
                f64::NAN
            } else {
                cell.parse().unwrap()
            };
            columns.get_mut(h).unwrap().push(v);
        }
    }
    columns
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample variance (n − 1).
fn var(x: &[f64]) -> f64 {
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() as f64 - 1.0)
}

/// Pairs where both values are present.
fn complete(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    x.iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .unzip()
}

/// r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² · Σ(y − ȳ)²).
fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (x, y) = complete(x, y);
    let (mx, my) = (mean(&x), mean(&y));
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    let syy: f64 = y.iter().map(|b| (b - my) * (b - my)).sum();
    sxy / (sxx * syy).sqrt()
}

/// Average ranks, by counting: rank = 1 + #smaller + (#equal − 1)/2.
fn ranks(x: &[f64]) -> Vec<f64> {
    x.iter()
        .map(|v| {
            let smaller = x.iter().filter(|w| *w < v).count() as f64;
            let equal = x.iter().filter(|w| *w == v).count() as f64;
            1.0 + smaller + (equal - 1.0) / 2.0
        })
        .collect()
}

fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (x, y) = complete(x, y);
    pearson(&ranks(&x), &ranks(&y))
}

/// τ_b = (n_c − n_d) / √((n₀ − n_x)(n₀ − n_y)), over every pair of units.
fn kendall(x: &[f64], y: &[f64]) -> f64 {
    let (x, y) = complete(x, y);
    let n = x.len();
    let (mut c, mut d, mut tx, mut ty) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..n {
        for j in i + 1..n {
            let s = (x[i] - x[j]) * (y[i] - y[j]);
            if x[i] == x[j] {
                tx += 1.0;
            }
            if y[i] == y[j] {
                ty += 1.0;
            }
            if s > 0.0 {
                c += 1.0;
            } else if s < 0.0 {
                d += 1.0;
            }
        }
    }
    let n0 = (n * (n - 1) / 2) as f64;
    (c - d) / ((n0 - tx) * (n0 - ty)).sqrt()
}

/// α = k/(k−1) · (1 − Σ var(itemᵢ) / var(Σ itemᵢ)), over the units with every item.
fn cronbach(items: &[&Vec<f64>]) -> f64 {
    let n = items[0].len();
    let rows: Vec<usize> = (0..n).filter(|&u| items.iter().all(|c| !c[u].is_nan())).collect();
    let k = items.len() as f64;
    let item_var: f64 = items
        .iter()
        .map(|c| var(&rows.iter().map(|&u| c[u]).collect::<Vec<_>>()))
        .sum();
    let totals: Vec<f64> = rows.iter().map(|&u| items.iter().map(|c| c[u]).sum()).collect();
    k / (k - 1.0) * (1.0 - item_var / var(&totals))
}

fn node<'a>(analysis: &'a Value, id: &str) -> &'a Value {
    analysis["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap_or_else(|| panic!("no node {id} in the analysis"))
}

fn check_pair(p: &Value, x: &[f64], y: &[f64], what: &str) {
    let (got_r, got_rho, got_tau) = (
        p["pearson"].as_f64().unwrap(),
        p["spearman"].as_f64().unwrap(),
        p["kendall"].as_f64().unwrap(),
    );
    assert!(
        close(got_r, pearson(x, y)),
        "{what}: Pearson {got_r} vs {}",
        pearson(x, y)
    );
    assert!(
        close(got_rho, spearman(x, y)),
        "{what}: Spearman {got_rho} vs {}",
        spearman(x, y)
    );
    assert!(
        close(got_tau, kendall(x, y)),
        "{what}: Kendall {got_tau} vs {}",
        kendall(x, y)
    );
    assert_eq!(p["n"].as_u64().unwrap() as usize, complete(x, y).0.len(), "{what}: n");
}

#[test]
fn asem_figures_match_an_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let stages = dir.path().join("stages");
    let results_path = dir.path().join("results.json");
    let analysis_path = dir.path().join("analysis.json");
    ok(
        &cache,
        &[
            "run",
            EDITION,
            "--format",
            "json",
            "--output",
            results_path.to_str().unwrap(),
            "--stages",
            stages.to_str().unwrap(),
        ],
    );
    let printed = ok(
        &cache,
        &[
            "analyse",
            EDITION,
            "--format",
            "json",
            "--output",
            analysis_path.to_str().unwrap(),
        ],
    );
    assert!(printed.is_empty(), "with --output nothing goes to stdout");
    let results: Value = serde_json::from_slice(&std::fs::read(&results_path).unwrap()).unwrap();
    let analysis: Value = serde_json::from_slice(&std::fs::read(&analysis_path).unwrap()).unwrap();
    cityrank::schema::validate::<cityrank::analysis::Analysis>(&analysis, "analysis").unwrap();
    let table = read_stage(&stages.join("aggregated.csv"));
    let framework = results["framework"].as_array().unwrap();
    let index = framework[0]["id"].as_str().unwrap();
    assert_eq!(index, "Index");
    let children = |id: &str| -> Vec<String> {
        framework
            .iter()
            .filter(|n| n["parent"] == id)
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect()
    };

    // Every unit kept; one entry per aggregate node (index, 2 sub-indices, 8 pillars),
    // root first; every intermediate node correlated with the index.
    assert_eq!(analysis["observations"].as_u64().unwrap() as usize, table[index].len());
    assert!(analysis.get("panel").is_none());
    let aggregates: Vec<&str> = framework
        .iter()
        .filter(|n| n["kind"] != "indicator")
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(aggregates.len(), 11);
    let nodes = analysis["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), aggregates.len());
    assert_eq!(nodes[0]["id"], index);
    // Depth first: the connectivity pillars come right after `Conn`.
    let order: Vec<&str> = nodes.iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(&order[..3], ["Index", "Conn", "Physical"]);
    let pillars = analysis["pillars"].as_array().unwrap();
    assert_eq!(pillars.len(), 10);

    // Correlations of every intermediate node with the index, by the definitions.
    for p in pillars {
        assert_eq!(p["b"], index);
        let a = p["a"].as_str().unwrap();
        check_pair(p, &table[a], &table[index], &format!("{a} ~ {index}"));
    }
    // Each child of a pillar with the pillar, and each sub-index with the index.
    for id in ["Physical", "Social", "Index"] {
        let n = node(&analysis, id);
        let kids = children(id);
        assert_eq!(n["children"].as_array().unwrap().len(), kids.len());
        for (c, kid) in n["correlations"].as_array().unwrap().iter().zip(&kids) {
            assert_eq!(c["a"], kid.as_str());
            assert_eq!(c["b"], id);
            check_pair(c, &table[kid], &table[id], &format!("{kid} ~ {id}"));
        }
    }

    // Cronbach's alpha of every aggregate node, by the textbook formula.
    for id in &aggregates {
        let kids = children(id);
        let items: Vec<&Vec<f64>> = kids.iter().map(|k| &table[k]).collect();
        let want = cronbach(&items);
        let got = node(&analysis, id)["cronbach_alpha"].as_f64().unwrap();
        assert!(close(got, want), "alpha of {id}: {got} vs {want}");
    }

    // PCA: eigenvalues of a k×k correlation matrix sum to k, largest first; the first
    // component's share is λ₁/k; its squared loadings sum to λ₁ (unit eigenvector
    // scaled by √λ₁); and for two children the eigenvalues are 1 ± r.
    for id in &aggregates {
        let n = node(&analysis, id);
        let pca = &n["pca"];
        let k = children(id).len() as f64;
        let eig: Vec<f64> = pca["eigenvalues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(eig.len() as f64, k);
        assert!(close(eig.iter().sum::<f64>(), k), "{id}: Σλ = {eig:?}");
        assert!(eig.windows(2).all(|w| w[0] >= w[1]), "{id}: {eig:?}");
        assert!(close(pca["first_share"].as_f64().unwrap(), eig[0] / k), "{id}");
        let loadings: Vec<f64> = pca["first_loadings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert!(close(loadings.iter().map(|l| l * l).sum::<f64>(), eig[0]), "{id}");
        assert!(loadings.iter().sum::<f64>() >= 0.0, "{id}: sign convention");
    }
    let kids = children(index);
    assert_eq!(kids.len(), 2);
    let r = pearson(&table[&kids[0]], &table[&kids[1]]);
    let eig = &node(&analysis, index)["pca"]["eigenvalues"];
    assert!(close(eig[0].as_f64().unwrap(), 1.0 + r.abs()));
    assert!(close(eig[1].as_f64().unwrap(), 1.0 - r.abs()));

    // The table shows the same figures.
    let text = ok(&cache, &["analyse", EDITION]);
    let alpha = node(&analysis, "Physical")["cronbach_alpha"].as_f64().unwrap();
    assert!(text.contains("Physical — "), "{text}");
    assert!(text.contains(&format!("Cronbach's alpha {alpha:.3}")), "{text}");
    assert!(text.contains(&format!("nodes with the index `{index}`")), "{text}");
}

#[test]
fn between_gives_the_three_correlations_of_two_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let stages = dir.path().join("stages");
    let ranking = ok(&cache, &["run", EDITION, "--stages", stages.to_str().unwrap()]);
    // Not a panel, no peer groups: units only, no peer group column.
    assert!(ranking.lines().next().unwrap().ends_with("(51 units)"), "{ranking}");
    assert!(!ranking.contains("peer group"), "{ranking}");
    let table = read_stage(&stages.join("aggregated.csv"));

    // An indicator and a pillar of the other sub-index.
    let json = ok(
        &cache,
        &["analyse", EDITION, "--between", "LPI", "Social", "--format", "json"],
    );
    let analysis: Value = serde_json::from_str(&json).unwrap();
    cityrank::schema::validate::<cityrank::analysis::Analysis>(&analysis, "analysis").unwrap();
    assert!(analysis.get("nodes").is_none() && analysis.get("pillars").is_none());
    let p = &analysis["between"];
    assert_eq!((p["a"].as_str(), p["b"].as_str()), (Some("LPI"), Some("Social")));
    check_pair(p, &table["LPI"], &table["Social"], "LPI ~ Social");

    let text = ok(&cache, &["analyse", EDITION, "--between", "LPI", "Social"]);
    let r = p["pearson"].as_f64().unwrap();
    assert!(text.contains("LPI ~ Social"), "{text}");
    assert!(text.contains(&format!("{r:.3}")), "{text}");

    let o = output(cityrank(&cache).args(["analyse", EDITION, "--between", "LPI", "Nope"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--between: no node `Nope`"), "{}", stderr(&o));
    // Nothing is written when the analysis fails.
    let out = dir.path().join("never.json");
    let o = output(
        cityrank(&cache)
            .args(["analyse", EDITION, "--between", "Nope", "LPI", "--output"])
            .arg(&out),
    );
    assert!(!o.status.success());
    assert!(!out.exists());
}

#[test]
fn panel_edition_counts_units_and_rows_and_analyses_rows() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let panel = "methodologies/las-2024.peer-ratings.toml@three-year";
    let (path, variant) = panel.split_once('@').unwrap();
    let json = ok(&cache, &["run", path, "--variant", variant, "--format", "json"]);
    let results: Value = serde_json::from_str(&json).unwrap();
    // 62 cities over three years: 62 units, 62 × 3 = 186 rows.
    assert_eq!(results["units"].as_array().unwrap().len(), 62);
    assert_eq!(results["dataset"]["units"], 62);
    assert_eq!(results["dataset"]["rows"], 186);
    let text = ok(&cache, &["run", path, "--variant", variant]);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with(", 186 rows (62 units × 3 years)"),
        "{text}"
    );
    // Ratings within peer groups: the table and the CSV have a peer group column.
    assert!(text.lines().nth(1).unwrap().contains("peer group"), "{text}");
    let csv = ok(&cache, &["run", path, "--variant", variant, "--format", "csv"]);
    assert!(csv.starts_with("rank,tier,peer group,id,"), "{csv}");

    let json = ok(&cache, &["analyse", panel, "--format", "json"]);
    let analysis: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(analysis["panel"], true);
    assert_eq!(analysis["observations"], 186);
    assert_eq!(analysis["edition"]["variant"], "three-year");
}

#[test]
fn data_check_gives_coinrs_statistics_for_a_dataset_and_an_edition() {
    let cache = tempfile::tempdir().unwrap();
    // A dataset: every variable, none of an edition's parts.
    let o = output(cityrank(cache.path()).args([
        "data",
        "check",
        "methodologies/data/las-2024/dataset.toml",
        "--format",
        "json",
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rows"], 62);
    assert!(v.get("indicators").is_none());
    let lat = v["variables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "lat")
        .unwrap();
    assert_eq!(lat["available"], 62);
    // An edition: also each indicator as derived, and who misses it.
    let o = output(cityrank(cache.path()).args(["data", "check", "methodologies/asem-2018.toml", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["edition"], "asem-2018");
    assert_eq!(v["indicators"].as_array().unwrap().len(), 49);
    // COINr's get_stats of the raw ASEM data flags Flights for outliers (skew 2.1,
    // kurtosis 4.51; tests/fixtures/coinr/asem_stats_raw.csv) — as derived here,
    // Flights is denominated later, so the raw column is the same.
    let flights = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "Flights")
        .unwrap();
    assert!(
        flights["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "possible outliers"),
        "{flights}"
    );
    // ConSpeed is missing for 8 of 51 countries (COINr: Frc.Avail 0.843).
    assert_eq!(v["missing"]["ConSpeed"].as_array().unwrap().len(), 8);
    // The table says what the flags mean.
    let o = output(cityrank(cache.path()).args(["data", "check", "methodologies/asem-2018.toml"]));
    assert!(stdout(&o).contains("COINr's thresholds"), "{}", stdout(&o));
}

#[test]
fn document_writes_the_methodology_appendix_from_the_files() {
    let cache = tempfile::tempdir().unwrap();
    let o = output(cityrank(cache.path()).args(["document", "methodologies/las-2024.toml"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = stdout(&o);
    for part in [
        "# 2024 LAS Smart City Ranking (reconstruction) — methodology",
        "## How these results were made",
        "## Framework and weights",
        "## Indicators",
        "## Steps",
        "## Tiers",
        "## Data",
        "- **Normalisation** (`normalise`): ladder, out of 100",
        // The ladder of air connectivity, from the manifest.
        "| 2 | national hub (≥ 50) | 50 | – |",
    ] {
        assert!(doc.contains(part), "missing `{part}`:\n{doc}");
    }
    // The effective weights of the indicators are their shares of the index: they
    // add up to 100% (to the rounding of one decimal each).
    let shares: Vec<f64> = doc
        .lines()
        .filter(|l| l.contains("| indicator |"))
        .map(|l| {
            l.rsplit('|')
                .nth(1)
                .unwrap()
                .trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .unwrap()
        })
        .collect();
    assert_eq!(shares.len(), 16);
    assert!((shares.iter().sum::<f64>() - 100.0).abs() < 0.1 * 16.0, "{shares:?}");
    // The tier counts are the run's.
    let o = output(cityrank(cache.path()).args(["run", "methodologies/las-2024.toml", "--format", "json"]));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for t in v["tiers"].as_array().unwrap() {
        let row = format!("| {} |", t["label"].as_str().unwrap());
        let line = doc.lines().find(|l| l.starts_with(&row)).unwrap();
        assert!(line.ends_with(&format!("| {} |", t["count"])), "{line}");
    }
    // And the data's sources with their licences.
    assert!(doc.contains("| Source | Title | Licence |"), "{doc}");
}
