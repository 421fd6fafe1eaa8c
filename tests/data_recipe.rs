//! The bundled datasets are exactly what the committed recipe derives from the
//! shared open data (checked only where `../shared/data` is present).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

/// Runs `methodologies/data/recipe/<script> --check` on the shared data, which must
/// leave the committed files as they are (`differs` says which, in the failure).
/// Skipped, saying so, when the shared data lacks `needed` (a path relative to it).
fn check_recipe(script: &str, needed: &str, differs: &str) {
    let root = common::root();
    let shared = root.join("../shared/data");
    let needed = shared.join(needed);
    if !needed.is_file() {
        let dir = needed.parent().expect("a file has a parent");
        eprintln!("skipped: {} is not present", dir.display());
        return;
    }
    let o = Command::new("python3")
        .arg(root.join("methodologies/data/recipe").join(script))
        .arg("--shared")
        .arg(&shared)
        .arg("--out")
        .arg(root.join("methodologies/data"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "{differs} from the recipe's output:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn bundled_datasets_match_the_recipe() {
    check_recipe("derive.py", "README.md", "the committed datasets differ");
}

#[test]
fn asem_dataset_manifest_and_fixtures_match_the_recipe() {
    check_recipe(
        "asem.py",
        "coinr/ASEM_iData.csv",
        "the committed ASEM datasets (asem-2018, asem-2018-panel), plugins/asem/methodology.toml, \
         plugins/asem-purse/methodology.toml or tests/fixtures/coinr differ",
    );
}

#[test]
fn the_scale_recipe_writes_an_edition_that_runs() {
    // The recipe behind `cityrank bench --case scale-process`, at a small size:
    // deterministic, and every command the bench runs works on what it writes.
    let root = common::root();
    let dir = tempfile::tempdir().unwrap();
    let write = |out: &std::path::Path| {
        let o = Command::new("python3")
            .arg(root.join("methodologies/data/recipe/scale.py"))
            .args(["--units", "60", "--indicators", "12", "--out"])
            .arg(out)
            .output()
            .expect("python3 runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    write(&a);
    write(&b);
    for f in ["units.csv", "dataset.toml", "methodology.toml", "edition.toml"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    // 60 rows of 3 key columns and 12 values.
    let csv = std::fs::read_to_string(a.join("units.csv")).unwrap();
    assert_eq!(csv.lines().count(), 61);
    assert_eq!(csv.lines().next().unwrap().split(',').count(), 15);
    let cache = dir.path().join("cache");
    for args in [
        vec!["run", "edition.toml", "--format", "csv"],
        vec!["compare", "edition.toml", "edition.toml@equal-weights"],
        vec!["sensitivity", "edition.toml", "--samples", "4"],
    ] {
        let o = common::output(common::cityrank(&cache).args(&args).current_dir(&a));
        assert!(o.status.success(), "{args:?}: {}", common::stderr(&o));
    }
}
