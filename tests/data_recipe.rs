//! The bundled datasets are exactly what the committed recipe derives from the
//! shared open data (checked only where `../shared/data` is present).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

#[test]
fn bundled_datasets_match_the_recipe() {
    let root = common::root();
    let shared = root.join("../shared/data");
    if !shared.join("README.md").is_file() {
        eprintln!("skipped: {} is not present", shared.display());
        return;
    }
    let o = Command::new("python3")
        .arg(root.join("methodologies/data/recipe/derive.py"))
        .arg("--shared")
        .arg(&shared)
        .arg("--out")
        .arg(root.join("methodologies/data"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "the committed datasets differ from the recipe's output:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn asem_dataset_manifest_and_fixtures_match_the_recipe() {
    let root = common::root();
    let shared = root.join("../shared/data");
    if !shared.join("coinr/ASEM_iData.csv").is_file() {
        eprintln!("skipped: {} is not present", shared.join("coinr").display());
        return;
    }
    let o = Command::new("python3")
        .arg(root.join("methodologies/data/recipe/asem.py"))
        .arg("--shared")
        .arg(&shared)
        .arg("--out")
        .arg(root.join("methodologies/data"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "the committed ASEM dataset, plugins/asem/methodology.toml or tests/fixtures/coinr differ from the recipe's output:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
