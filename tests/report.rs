//! `cityrank report`: the page's model and arithmetic, checked against `cityrank
//! run` without a browser (tests/browser.rs drives the page itself).
//!
//! A scenario recomputed by `cityrank_web` (the code the page runs, here natively)
//! and the same scenario written as an edition variant and run by the CLI must give
//! every unit the same score, to the bit, the same rank and the same tier. The page
//! module committed in `host/analysis/assets/` must be the one the sources build.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use base64::Engine as _;
use cityrank::web::{Model, Scenario};
use common::*;

/// The text of the `<script>` element with id `id` in `html`.
fn blob<'a>(html: &'a str, id: &str) -> &'a str {
    let open = html
        .find(&format!("id=\"{id}\">"))
        .unwrap_or_else(|| panic!("the page has no #{id}"));
    let start = open + id.len() + 6;
    let end = start + html[start..].find("</script>").expect("the blob ends");
    &html[start..end]
}

/// Writes the report of `edition` into `dir` and reads its model back, with the
/// tables and the page's data.
fn report(cache: &Path, dir: &Path, edition: &str) -> (Model, serde_json::Value, String) {
    let page = dir.join("page.html");
    let o = output(cityrank(cache).args(["report", edition, "-o"]).arg(&page));
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    let mut model: Model = serde_json::from_str(blob(&html, "cityrank-model")).unwrap();
    let tables = base64::engine::general_purpose::STANDARD
        .decode(blob(&html, "cityrank-tables").trim())
        .unwrap();
    model.load_tables(&tables).unwrap();
    model.check().unwrap();
    let data: serde_json::Value = serde_json::from_str(blob(&html, "cityrank-page")).unwrap();
    (model, data, stderr(&o))
}

/// Per unit id: its score's bits, rank and tier.
type UnitResults = std::collections::BTreeMap<String, (Option<u64>, Option<u64>, Option<String>)>;

/// `cityrank run EDITION --variant scenario --format json`: per unit id, its
/// score's bits, rank and tier.
fn cli_run(cache: &Path, edition: &Path) -> UnitResults {
    let o = output(
        cityrank(cache)
            .arg("run")
            .arg(edition)
            .args(["--variant", "scenario", "--format", "json"]),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let results: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    results["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                (
                    u["score"].as_f64().map(f64::to_bits),
                    u["rank"].as_u64(),
                    u["tier"].as_str().map(str::to_string),
                ),
            )
        })
        .collect()
}

/// Checks that `scenario` recomputed by the page's code equals `cityrank run` of
/// the scenario's variant table, unit by unit.
fn agrees_with_the_cli(
    cache: &Path,
    dir: &Path,
    edition: &str,
    model: &Model,
    data: &serde_json::Value,
    scenario: &Scenario,
) {
    let page = model.recompute(scenario).unwrap();
    let snippet = model.variant_toml(scenario, "scenario").unwrap();
    let copy = edition_copy(dir, edition, &snippet);
    let cli = cli_run(cache, &copy);
    let units = data["units"].as_array().unwrap();
    assert_eq!(units.len(), model.units);
    assert_eq!(cli.len(), model.units, "the CLI ranks the page's units");
    let mut moved = 0;
    for (k, unit) in units.iter().enumerate() {
        let id = unit["id"].as_str().unwrap();
        let tier = page.tiers[k].map(|t| model.tiers.names[t].clone());
        let score = page.scores[0][k];
        let want = &cli[id];
        assert_eq!(
            (Some(score.to_bits()), page.ranks[k].map(u64::from), tier.clone()),
            *want,
            "unit `{id}`: the page gives score {score}, rank {:?}, tier {tier:?}; the CLI {:?} (variant:\n{snippet})",
            page.ranks[k],
            want.0.map(f64::from_bits)
        );
        if page.ranks[k].map(u64::from) != unit["rank"].as_u64() {
            moved += 1;
        }
    }
    assert!(moved > 0, "the scenario should move some units (variant:\n{snippet})");
}

#[test]
fn the_page_computes_what_the_cli_computes() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // ASEM: three normalisers and three aggregations (the edition's, z-scores and
    // the geometric variant's min-max 1–100 with geometric means).
    let (model, data, notes) = report(cache.path(), dir.path(), "methodologies/asem-2018.toml");
    let names: Vec<&str> = model.normalisers.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["edition", "geometric", "zscore"]);
    let aggregations: Vec<&str> = model.aggregators.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(aggregations, ["edition", "geometric"]);
    assert!(
        notes.contains("variant `equal-weights`: it changes pipeline.weights"),
        "{notes}"
    );

    // Weights moved at two levels, by a fragment as a reader's link would give them.
    let position = |id: &str| model.nodes.iter().position(|n| n.id == id).unwrap();
    let fragment = "weights=Conn:3,Sust:0.5,Instit:0,LPI:2.5";
    let mut scenario = model.parse_fragment(fragment).unwrap();
    assert_eq!(scenario.weights[position("Conn")], 3.0);
    assert_eq!(scenario.weights[position("LPI")], 2.5);
    assert_eq!(model.fragment(&scenario), fragment);
    let e = model.parse_fragment("weights=LP:2").unwrap_err();
    assert!(e.contains("no node or indicator `LP`; did you mean `LPI`"), "{e}");
    agrees_with_the_cli(
        cache.path(),
        dir.path(),
        "methodologies/asem-2018.toml",
        &model,
        &data,
        &scenario,
    );

    // Another normaliser and aggregation (min-max 1–100, geometric means), with
    // the moved weights.
    scenario.normaliser = 1;
    scenario.aggregator = 1;
    agrees_with_the_cli(
        cache.path(),
        dir.path(),
        "methodologies/asem-2018.toml",
        &model,
        &data,
        &scenario,
    );
    // z-scores (mean 10, sd 2) with geometric means.
    scenario.normaliser = 2;
    agrees_with_the_cli(
        cache.path(),
        dir.path(),
        "methodologies/asem-2018.toml",
        &model,
        &data,
        &scenario,
    );
}

#[test]
fn a_data_driven_weighting_is_held_and_written_out() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // ASEM with PCA weights (a variant of the edition written here): the page
    // holds the derived weights; a scenario fixes them all.
    let extra = "[variants.pca]\npipeline = { weights = { method = \"pca\" } }\n";
    let copy = edition_copy(dir.path(), "methodologies/asem-2018.toml", extra);
    let arg = format!("{}@pca", copy.display());
    let (model, data, _) = report(cache.path(), dir.path(), &arg);
    assert!(model.derived_weights);
    let mut scenario = model.nominal();
    let conn = model.nodes.iter().position(|n| n.id == "Conn").unwrap();
    scenario.weights[conn] *= 4.0;
    let snippet = model.variant_toml(&scenario, "scenario").unwrap();
    assert!(snippet.contains("weights = { method = \"manual\" }"), "{snippet}");
    // The snippet is written into a copy of the copy (the base variant `pca` is
    // carried over into it).
    let page = model.recompute(&scenario).unwrap();
    let second = tempfile::tempdir().unwrap();
    let copy2 = edition_copy(
        second.path(),
        "methodologies/asem-2018.toml",
        &format!("{extra}\n{snippet}"),
    );
    let cli = cli_run(cache.path(), &copy2);
    for (k, unit) in data["units"].as_array().unwrap().iter().enumerate() {
        let id = unit["id"].as_str().unwrap();
        assert_eq!(
            cli[id].0,
            Some(page.scores[0][k].to_bits()),
            "unit `{id}` (variant:\n{snippet})"
        );
    }
}

#[test]
fn a_panel_of_several_years_is_refused_with_the_fix_and_one_year_is_a_page() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let o = output(
        cityrank(cache.path())
            .args(["report", "methodologies/las-2024.peer-ratings.toml@three-year", "-o"])
            .arg(&page),
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("scores panel data") && e.contains("name an edition or a variant that scores one year"),
        "{e}"
    );
    assert!(!page.exists(), "nothing is written");
    // One year of the panel is one table: its page reproduces its run (the
    // build's own check, unit by unit).
    let o = output(
        cityrank(cache.path())
            .args(["report", "methodologies/las-2024.toml@year-2022", "-o"])
            .arg(&page),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(page.exists());
}

#[test]
fn the_committed_page_module_is_built_from_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cityrank-web.wasm");
    let o = output(
        std::process::Command::new("bash")
            .arg(root().join("tools/build-web.sh"))
            .arg(&out)
            .current_dir(root()),
    );
    assert!(o.status.success(), "tools/build-web.sh failed: {}", stderr(&o));
    let built = std::fs::read(&out).unwrap();
    assert!(
        built == cityrank::html::WEB_MODULE,
        "host/analysis/assets/cityrank-web.wasm is not what the sources build ({} bytes built, {} committed): \
         run `tools/build-web.sh` and commit the module",
        built.len(),
        cityrank::html::WEB_MODULE.len()
    );
}
