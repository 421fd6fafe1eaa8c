//! The inputs of `../shared/cases/newcomer/` that issue 9 names (a newcomer's
//! methodology done wrong), each with the error or result it must give. Checked
//! only where `../shared` is present; the cases are copied into a temporary
//! directory with `@SDK@` and `@CHECKOUT@` filled in, as their README says.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A copy of the newcomer cases, or `None` (saying so) when the shared data is absent.
fn cases() -> Option<tempfile::TempDir> {
    let src = root().join("../shared/cases/newcomer");
    if !src.join("base").is_dir() {
        eprintln!("skipped: {} is not present", src.display());
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&src, dir.path());
    Some(dir)
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            let bytes = std::fs::read(entry.path()).unwrap();
            let bytes = match String::from_utf8(bytes) {
                Ok(text) => text
                    .replace("@SDK@", &root().join("plugins/sdk").display().to_string())
                    .replace("@CHECKOUT@", &root().display().to_string())
                    .into_bytes(),
                Err(e) => e.into_bytes(),
            };
            std::fs::write(&target, bytes).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

/// `cityrank ARGS` in `dir` with its own compile cache.
fn run_in(cache: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    output(cityrank(cache).current_dir(dir).args(args))
}

/// Every case in one test, one after the other: each builds a Rust plugin in a
/// target directory of its own, and two cores build one at a time best.
#[test]
fn newcomer_cases_give_clear_errors_or_right_results() {
    let Some(dir) = cases() else { return };
    let cases = dir.path();
    let cache = tempfile::tempdir().unwrap();
    let cache = cache.path();
    let at = |case: &str| -> PathBuf { cases.join(case) };

    // manifest-direction-typo: the file, line and column, the indicator, the values.
    let o = run_in(cache, &at("manifest-direction-typo"), &["run", "edition.toml"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("plugin/methodology.toml:88:13: indicator `unemployment`: direction: \"lowr\" is not one of \"higher\", \"lower\""),
        "{err}"
    );

    // manifest-indicator-weight-typo: the misspelt key, where it is, what was meant.
    let o = run_in(cache, &at("manifest-indicator-weight-typo"), &["run", "edition.toml"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(
            "plugin/methodology.toml:87:1: indicator `unemployment`: 'wieght' is not a key here (unexpected); did \
             you mean `weight`?"
        ),
        "{err}"
    );

    // manifest-undeclared-input: the plugin is told to declare the variable.
    let o = run_in(cache, &at("manifest-undeclared-input"), &["run", "edition.toml"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains(
            "the input has no numeric column `hospital_beds`; if it is a dataset variable, declare it in \
             methodology.toml: an [[inputs]] entry with id = \"hospital_beds\" and type = \"number\""
        ),
        "{err}"
    );

    // validate-edition: an edition is checked without running it.
    let o = run_in(cache, &at("validate-edition"), &["validate", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("ok: edition validate-edition"), "{out}");
    assert!(out.contains("derived     9 indicators × 21 units"), "{out}");

    // plugin-copied-outside-repo: harbor-ladder is a manifest now, so a copy runs as
    // it is; a copied Rust crate that takes settings from the workspace is told what
    // to change, with cargo's own error and no hint about the wasm target.
    let case = at("plugin-copied-outside-repo");
    copy(&root().join("plugins/harbor-ladder"), &case.join("my-ranking"));
    let o = run_in(cache, &case, &["run", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("Harbor ladder smart-city index"), "{}", stdout(&o));
    std::fs::remove_dir_all(case.join("my-ranking")).unwrap();
    copy(&root().join("plugins/u4ssc"), &case.join("my-ranking"));
    let o = run_in(cache, &case, &["run", "edition.toml"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("failed to find a workspace root"), "{err}");
    assert!(err.contains("add an empty `[workspace]` table"), "{err}");
    assert!(!err.contains("rustup target add"), "{err}");

    // The data as users keep it (issue 11): a workbook, European CSV dialects, line
    // numbers as an editor counts them, and warnings for data that cannot rank.
    let run_case = |case: &str, args: &[&str]| run_in(cache, &at(case), args);
    let o = run_case("xlsx-dataset", &["run", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("(21 units)"), "{}", stdout(&o));
    for case in ["csv-semicolon-only", "csv-bom-semicolon-decimal-comma"] {
        let o = run_case(case, &["run", "edition.toml"]);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.contains("cities.csv: line 1: the header was read as one column `id;name;"),
            "{case}: {err}"
        );
        assert!(
            err.contains("is it separated by semicolons? add `delimiter = \";\"`"),
            "{case}: {err}"
        );
    }
    let declare = |case: &str, settings: &str| {
        let path = at(case).join("dataset.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replacen(
                "file = \"cities.csv\"",
                &format!("file = \"cities.csv\"\n{settings}"),
                1,
            ),
        )
        .unwrap();
    };
    declare("csv-bom-semicolon-decimal-comma", "delimiter = \";\"\ndecimal = \",\"");
    let o = run_case("csv-bom-semicolon-decimal-comma", &["run", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_case("csv-decimal-comma", &["run", "edition.toml"]);
    let err = stderr(&o);
    assert!(
        err.contains(
            "line 2, column `gdp_bn_usd`: `102,4` is not a number; is it a decimal comma? add `decimal = \",\"`"
        ),
        "{err}"
    );
    declare("csv-decimal-comma", "decimal = \",\"");
    let o = run_case("csv-decimal-comma", &["run", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_case("csv-crlf-line-number", &["run", "edition.toml"]);
    let err = stderr(&o);
    assert!(
        err.contains("line 14, column `gdp_bn_usd`: `n/a` is not a number; if it means a missing value, declare it: `missing = [\"n/a\"]`"),
        "{err}"
    );
    let o = run_case("csv-duplicate-ids-crlf", &["run", "edition.toml"]);
    assert!(
        stderr(&o).contains("line 3: unit id `ng-lagos` appears twice"),
        "{}",
        stderr(&o)
    );
    // A blank line and a row of empty cells hold nothing: skipped.
    let o = run_case("csv-blank-rows-line-number", &["run", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run_case("csv-all-missing-indicator", &["run", "edition.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: indicator `egov` has no value for any of the 21 units"),
        "{}",
        stderr(&o)
    );
    let o = run_case("csv-constant-column", &["run", "edition.toml"]);
    assert!(
        stderr(&o).contains("warning: indicator `green_space` is 10 for every unit"),
        "{}",
        stderr(&o)
    );
    let o = run_case(
        "variant-normalise-drops-ladder",
        &["run", "edition.toml", "--variant", "pctrank"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "warning: variant `pctrank`: its pipeline.normalise replaces the own normalisation of `brt_network`"
        ),
        "{}",
        stderr(&o)
    );

    // compare-id-only: the same cities under other ids are matched by name and country.
    let au = root().join("methodologies/au-2025.toml");
    let au = au.to_str().unwrap();
    let o = run_case("compare-id-only", &["compare", "edition.toml", au, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("note: 21 units matched by name and country"),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["common_units"], 21);
    // compare-rank-shift-across-populations: 21 cities against 80; shifts are
    // counted among the 21 (re-ranked here, independently of cityrank's code).
    let o = run_case(
        "compare-rank-shift-across-populations",
        &["compare", "edition.toml", au, "--format", "json"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let labels: Vec<String> = v["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["label"].as_str().unwrap().to_string())
        .collect();
    let both: Vec<(String, u64, u64)> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| {
            let r = |l: &str| u["methods"].get(l).and_then(|m| m["rank"].as_u64());
            Some((u["id"].as_str()?.to_string(), r(&labels[0])?, r(&labels[1])?))
        })
        .collect();
    assert_eq!(both.len(), 21);
    let rerank = |rs: Vec<u64>| -> Vec<u64> {
        rs.iter()
            .map(|r| 1 + rs.iter().filter(|o| *o < r).count() as u64)
            .collect()
    };
    let ra = rerank(both.iter().map(|x| x.1).collect());
    let rb = rerank(both.iter().map(|x| x.2).collect());
    let mean = ra.iter().zip(&rb).map(|(a, b)| a.abs_diff(*b) as f64).sum::<f64>() / 21.0;
    let reported = v["pairs"][0]["mean_abs_rank_shift"].as_f64().unwrap();
    assert!((reported - mean).abs() < 1e-12, "{reported} vs {mean}");
    for (k, (id, _, _)) in both.iter().enumerate() {
        let shift = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id.as_str())
            .unwrap()["methods"][&labels[1]]["shift"]
            .as_i64()
            .unwrap();
        assert_eq!(shift, ra[k] as i64 - rb[k] as i64, "{id}");
        assert!(shift.abs() <= 20, "{id}: {shift}");
    }

    // shared-target-dir-stale-plugin: two crates of one name in one CARGO_TARGET_DIR
    // each run their own code (b weights the digital pillar 0.9).
    let case = at("shared-target-dir-stale-plugin");
    let shared = tempfile::tempdir().unwrap();
    let run = |edition: &str| {
        let o = output(
            cityrank(cache)
                .current_dir(&case)
                .env("CARGO_TARGET_DIR", shared.path())
                .args(["run", edition, "--format", "json"]),
        );
        assert!(o.status.success(), "{edition}: {}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let a = run("edition-a.toml");
    let b = run("edition-b.toml");
    assert_eq!(a["methodology"]["name"], "AU Institute Smart City Index");
    assert_eq!(b["methodology"]["name"], "AU Institute Smart City Index (digital 0.9)");
    assert_ne!(a["methodology"]["sha256"], b["methodology"]["sha256"]);
}
