//! `cityrank sensitivity` end to end: reproducible for a seed whatever the number of
//! threads, consistent statistics, clear errors. (The estimators themselves are
//! tested against hand computations and the Ishigami function in
//! `host/analysis/src/sensitivity/estimate.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::Value;

fn sensitivity(cache: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let o = output(cityrank(cache).arg("sensitivity").args(args));
    assert!(o.status.success(), "sensitivity failed: {}", stderr(&o));
    o.stdout
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let args = |threads: &'static str, seed: &'static str| {
        [
            "methodologies/asem-2018.toml",
            "--samples",
            "16",
            "--seed",
            seed,
            "--format",
            "json",
            "--threads",
            threads,
        ]
    };
    let one = sensitivity(dir.path(), &args("1", "3"));
    let two = sensitivity(dir.path(), &args("2", "3"));
    let three = sensitivity(dir.path(), &args("3", "3"));
    assert!(one == two && two == three, "thread count changed the output");
    let other = sensitivity(dir.path(), &args("2", "4"));
    assert!(one != other, "a different seed gave the same output");

    let r: Value = serde_json::from_slice(&one).unwrap();
    // 4 inputs, N = 16: N·(d + 2) = 96 builds.
    assert_eq!(r["design"]["builds"], 96);
    let indices = r["sensitivity"]["indices"].as_array().unwrap();
    assert_eq!(indices.len(), 4);
    for i in indices {
        // Total-order indices are non-negative by construction (a sum of squares).
        assert!(i["total"].as_f64().unwrap() >= 0.0, "{i}");
        let ci = i["total_ci"].as_array().unwrap();
        assert!(ci[0].as_f64().unwrap() <= ci[1].as_f64().unwrap());
    }
}

#[test]
fn rank_statistics_and_tier_shares_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let out = sensitivity(
        dir.path(),
        &["methodologies/las-2024.toml", "--samples", "16", "--format", "json"],
    );
    let r: Value = serde_json::from_slice(&out).unwrap();
    let units = r["units"].as_array().unwrap();
    assert_eq!(units.len(), 62);
    let mut previous = 0;
    for u in units {
        let nominal = u["nominal_rank"].as_u64().unwrap();
        assert!(nominal >= previous, "units are ordered by nominal rank");
        previous = nominal;
        let (q5, median, q95) = (
            u["q5_rank"].as_f64().unwrap(),
            u["median_rank"].as_f64().unwrap(),
            u["q95_rank"].as_f64().unwrap(),
        );
        assert!(1.0 <= q5 && q5 <= median && median <= q95 && q95 <= 62.0, "{u}");
        let shares: f64 = u["tier_shares"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!(
            (shares - 1.0).abs() < 1e-12,
            "tier shares of {} sum to {shares}",
            u["id"]
        );
    }
    // The top-tier change of all builds is the share of builds whose top tier
    // differs; per alternative the builds add up to all builds.
    let top = r["top_tier"].as_array().unwrap();
    assert_eq!(top[0]["input"], "all");
    let all_builds = top[0]["builds"].as_u64().unwrap();
    assert_eq!(all_builds, 32, "the A and B builds (2N) of the design");
    let per_alternative: u64 = top[1..].iter().map(|t| t["builds"].as_u64().unwrap()).sum();
    assert_eq!(per_alternative, all_builds);
    // Leaving out a pillar moves ranks; the report names the unit moved most.
    let loo = r["leave_one_out"].as_array().unwrap();
    assert!(
        loo.iter()
            .any(|l| l["removed"] == "digital" && l["max_abs_shift"].as_u64().unwrap() > 0)
    );
}

#[test]
fn uncertainty_only_with_monte_carlo() {
    let dir = tempfile::tempdir().unwrap();
    let out = sensitivity(
        dir.path(),
        &[
            "methodologies/asem-2018.toml",
            "--samples",
            "20",
            "--design",
            "mc",
            "--uncertainty-only",
            "--format",
            "json",
        ],
    );
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["design"]["builds"], 20);
    assert_eq!(r["design"]["design"], "mc");
    assert!(r.get("sensitivity").is_none());
}

#[test]
fn clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = output(cityrank(dir.path()).args(["sensitivity", "methodologies/g20-2023.toml"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no [sensitivity] table"), "{}", stderr(&o));
    // A target that never varies (Dubai is first in every build) has zero indices.
    let out = sensitivity(
        dir.path(),
        &[
            "methodologies/las-2024.toml",
            "--samples",
            "8",
            "--target",
            "rank:are-dubai",
            "--format",
            "json",
        ],
    );
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["sensitivity"]["variance"], 0.0);
    let o = output(cityrank(dir.path()).args(["sensitivity", "methodologies/asem-2018.toml", "--target", "rank:XXX"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("target: no unit `XXX` in the dataset"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn plugin_steps_in_the_samples_are_deterministic_too() {
    // las-2024.custom-steps.toml varies the plugin's own treatment and normaliser:
    // the builds call into the sandbox, and the output still depends on the seed only.
    let dir = tempfile::tempdir().unwrap();
    let args = |threads: &'static str| {
        [
            "methodologies/las-2024.custom-steps.toml",
            "--samples",
            "8",
            "--format",
            "json",
            "--threads",
            threads,
        ]
    };
    let one = sensitivity(dir.path(), &args("1"));
    let two = sensitivity(dir.path(), &args("2"));
    assert!(one == two, "thread count changed the output");
    let r: Value = serde_json::from_slice(&one).unwrap();
    // 3 inputs, N = 8: 8·(3 + 2) = 40 builds.
    assert_eq!(r["design"]["builds"], 40);
}
