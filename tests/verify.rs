//! `cityrank verify`: a results file of every bundled edition is confirmed by a
//! re-run, and a changed dataset, a changed methodology or an edited results file
//! is explained, not confirmed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::*;

/// Every edition file of `methodologies/`.
fn editions() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("methodologies"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.ends_with(".toml").then_some(name)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_bundled_edition_and_variant_is_verified() {
    let cache = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for name in editions() {
        let edition = format!("methodologies/{name}");
        // The edition and each of its variants.
        let variants = cityrank_variants(&root().join(&edition)).into_iter().map(Some);
        for v in std::iter::once(None).chain(variants) {
            let results = out
                .path()
                .join(format!("{name}-{}.json", v.as_deref().unwrap_or("nominal")));
            let mut run = cityrank(cache.path());
            run.args(["run", &edition, "--format", "json", "-o"]).arg(&results);
            if let Some(v) = &v {
                run.args(["--variant", v]);
            }
            let o = output(&mut run);
            assert!(o.status.success(), "{edition} {v:?}: {}", stderr(&o));
            // The results are in a temporary directory: verify finds the edition in
            // `methodologies/` of the current directory (the repository root).
            let o = output(cityrank(cache.path()).arg("verify").arg(&results));
            assert!(o.status.success(), "{edition} {v:?}: {}{}", stdout(&o), stderr(&o));
            assert!(
                stdout(&o).contains("verified: the re-run gives byte-identical results"),
                "{}",
                stdout(&o)
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} results verified");
}

/// The names of an edition's variants.
fn cityrank_variants(path: &Path) -> Vec<String> {
    let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    table
        .get("variants")
        .and_then(|v| v.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// A small edition in `dir`: the tiny dataset copied, a methodology of one
/// indicator `x` (min-max 0–100).
fn small_edition(dir: &Path) {
    let tiny = root().join("tests/fixtures/tiny");
    std::fs::copy(tiny.join("dataset.toml"), dir.join("dataset.toml")).unwrap();
    std::fs::copy(tiny.join("units.csv"), dir.join("units.csv")).unwrap();
    std::fs::write(
        dir.join("methodology.toml"),
        "schema_version = 2\nid = \"m\"\nname = \"M\"\nversion = \"1.0.0\"\ndescription = \"d\"\n\
         index = { id = \"index\", name = \"Index\" }\nnodes = [{ id = \"p\", name = \"P\", parent = \"index\" }]\n\
         indicators = [{ id = \"x\", name = \"X\", parent = \"p\", direction = \"higher\", unit = \"1\", from = \"x\" }]\n\
         tiers = [{ label = \"all\", upper_share = 1.0 }]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("small.toml"),
        "schema_version = 1\nid = \"small\"\nname = \"Small\"\nyear = 2024\nmethodology = \"methodology.toml\"\n\
         dataset = \"dataset.toml\"\n",
    )
    .unwrap();
}

/// [`small_edition`] in `dir`, run: the path of its results file.
fn small_results(cache: &Path, dir: &Path) -> std::path::PathBuf {
    small_edition(dir);
    let results = dir.join("results.json");
    let o = output(
        cityrank(cache)
            .arg("run")
            .arg(dir.join("small.toml"))
            .args(["--format", "json", "-o"])
            .arg(&results),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    results
}

#[test]
fn a_changed_dataset_is_explained_unit_by_unit() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = small_results(cache.path(), dir.path());
    // Found beside the results, without --edition.
    let o = output(cityrank(cache.path()).arg("verify").arg(&results));
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));

    // Gamma's x goes from 2 to 3: min-max of 1, 3, 3 gives a 0, b 100, c 100, so c
    // ties with b at rank 1 (it was 2nd with 50).
    std::fs::write(
        dir.path().join("units.csv"),
        "id,name,country,x\na,Alpha,AAA,1\nb,Beta,BBB,3\nc,Gamma,CCC,3\n",
    )
    .unwrap();
    let o = output(cityrank(cache.path()).arg("verify").arg(&results));
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("CHANGED  dataset file sha256"), "{text}");
    assert!(text.contains("same     methodology sha256"), "{text}");
    assert!(
        text.contains("(1 unit changed rank, 0 changed tier, 1 changed score)"),
        "{text}"
    );
    assert!(text.contains("units[c].rank: 2 → 1"), "{text}");
    assert!(text.contains("units[c].score: 50.0 → 100.0"), "{text}");
    assert!(
        text.contains("what changed since the results were made: dataset file sha256"),
        "{text}"
    );
    assert!(stderr(&o).contains("not verified"), "{}", stderr(&o));
}

#[test]
fn a_changed_methodology_an_old_file_and_a_missing_edition_are_named() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = small_results(cache.path(), dir.path());

    // The methodology now treats lower x as better: every rank changes.
    let m = std::fs::read_to_string(dir.path().join("methodology.toml")).unwrap();
    std::fs::write(
        dir.path().join("methodology.toml"),
        m.replace("\"higher\"", "\"lower\""),
    )
    .unwrap();
    let o = output(cityrank(cache.path()).arg("verify").arg(&results));
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("CHANGED  methodology sha256"), "{text}");
    assert!(text.contains("units[a].rank: 3 → 1"), "{text}");

    // Results moved away from their edition: named, with the fix.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("results.json");
    std::fs::copy(&results, &moved).unwrap();
    let o = output(
        cityrank(cache.path())
            .arg("verify")
            .arg(&moved)
            .current_dir(elsewhere.path()),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot find the edition file `small.toml`"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("pass --edition FILE"), "{}", stderr(&o));
    let o = output(
        cityrank(cache.path())
            .arg("verify")
            .arg(&moved)
            .arg("--edition")
            .arg(dir.path().join("small.toml")),
    );
    assert!(stdout(&o).contains("CHANGED  methodology sha256"), "{}", stdout(&o));

    // Results of an older format say how to get a verifiable file.
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&results).unwrap()).unwrap();
    v["schema_version"] = 2.into();
    std::fs::write(&results, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let o = output(cityrank(cache.path()).arg("verify").arg(&results));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("results format 2"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--format json -o FILE"), "{}", stderr(&o));
}

#[test]
fn an_edited_results_file_is_not_verified() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = small_results(cache.path(), dir.path());
    let text = std::fs::read_to_string(&results).unwrap();
    // Someone improves Beta's published score by hand.
    std::fs::write(&results, text.replacen("\"score\": 100.0", "\"score\": 101.0", 1)).unwrap();
    let o = output(cityrank(cache.path()).arg("verify").arg(&results));
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("units[b].score: 101.0 → 100.0"), "{}", stdout(&o));
    assert!(stdout(&o).contains("same     dataset file sha256"), "{}", stdout(&o));
}

#[test]
fn a_pinned_methodology_that_changed_is_explained() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = small_results(cache.path(), dir.path());
    // Pin the methodology as the results record it, then change the methodology.
    let recorded: serde_json::Value = serde_json::from_slice(&std::fs::read(&results).unwrap()).unwrap();
    let pinned = recorded["methodology"]["sha256"].as_str().unwrap().to_string();
    let edition = dir.path().join("small.toml");
    let text = std::fs::read_to_string(&edition).unwrap();
    std::fs::write(
        &edition,
        text.replace("dataset = ", &format!("methodology_sha256 = \"{pinned}\"\ndataset = ")),
    )
    .unwrap();
    let m = std::fs::read_to_string(dir.path().join("methodology.toml")).unwrap();
    std::fs::write(
        dir.path().join("methodology.toml"),
        m.replace("name = \"X\"", "name = \"X2\""),
    )
    .unwrap();
    let o = output(
        cityrank(cache.path())
            .arg("verify")
            .arg(&results)
            .arg("--edition")
            .arg(&edition),
    );
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("CHANGED  methodology sha256"), "{text}");
    assert!(text.contains("CHANGED  edition file sha256"), "{text}");
    assert!(text.contains("NOT verified: the re-run failed:"), "{text}");
    assert!(text.contains(&format!("pins methodology {pinned}")), "{text}");
}

#[test]
fn the_same_numbers_with_another_record_are_said_to_be_the_same() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = small_results(cache.path(), dir.path());
    // A comment in the edition file: its hash changes, no number does.
    let edition = dir.path().join("small.toml");
    let text = std::fs::read_to_string(&edition).unwrap();
    std::fs::write(&edition, format!("# reviewed\n{text}")).unwrap();
    let o = output(cityrank(cache.path()).arg("verify").arg(&results));
    assert_eq!(o.status.code(), Some(1));
    let text = stdout(&o);
    assert!(text.contains("CHANGED  edition file sha256"), "{text}");
    assert!(
        text.contains("every score, rank and tier is the same — only the record of how the results were made differs"),
        "{text}"
    );
}

#[test]
fn other_documents_and_other_editions_are_refused_up_front() {
    let cache = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let results = small_results(cache.path(), dir.path());
    // A comparison is not a run's results.
    let compare = dir.path().join("compare.json");
    let o = output(
        cityrank(cache.path())
            .arg("compare")
            .arg(dir.path().join("small.toml"))
            .arg(dir.path().join("small.toml"))
            .args(["--format", "json", "-o"])
            .arg(&compare),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = output(cityrank(cache.path()).arg("verify").arg(&compare));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("this is a comparison (`cityrank compare --format json`)"),
        "{}",
        stderr(&o)
    );
    // Another edition given with --edition is named, not re-run.
    let o = output(
        cityrank(cache.path())
            .arg("verify")
            .arg(&results)
            .args(["--edition", "methodologies/las-2024.toml"]),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is edition `las-2024`, but"), "{}", stderr(&o));
    assert!(stderr(&o).contains("are results of edition `small`"), "{}", stderr(&o));
}

#[test]
fn run_takes_a_variant_after_an_at_sign() {
    let cache = tempfile::tempdir().unwrap();
    let with_at =
        output(cityrank(cache.path()).args(["run", "methodologies/asem-2018.toml@zscore", "--format", "json"]));
    assert!(with_at.status.success(), "{}", stderr(&with_at));
    let with_flag = output(cityrank(cache.path()).args([
        "run",
        "methodologies/asem-2018.toml",
        "--variant",
        "zscore",
        "--format",
        "json",
    ]));
    assert_eq!(with_at.stdout, with_flag.stdout);
    let twice =
        output(cityrank(cache.path()).args(["run", "methodologies/asem-2018.toml@zscore", "--variant", "geometric"]));
    assert!(
        stderr(&twice).contains("the variant is given twice"),
        "{}",
        stderr(&twice)
    );
}
